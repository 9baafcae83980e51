"""Define what a render pool raises besides the engine's own errors: busy, timeout, worker died.

Each is an :class:`~offer_render.errors.OfferRenderError` (exit code 1: the input may
be fine, the machine could not render it now), so a caller that already handles the
engine's errors handles these too. The render service maps them to HTTP: busy 503
with ``Retry-After``, timeout 504, a dead worker 500.
"""

from __future__ import annotations

from offer_render.errors import OfferRenderError


class PoolError(OfferRenderError):
    """Base of the pool's own errors."""

    exit_code = 1


class PoolBusy(PoolError):
    """Every worker is busy and the wait queue is full: try again in ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PoolTimeout(PoolError):
    """The task was not done within its deadline (waiting and rendering together).

    A task still waiting is dropped; a task running is stopped by killing its worker
    process (which is replaced), since a render cannot be interrupted from outside.
    """


class WorkerDied(PoolError):
    """The worker process running the task died (killed, or crashed in a native library).

    The worker is replaced; other tasks are not affected.
    """


class PoolClosed(PoolError):
    """The pool was closed: no task is taken any more, and tasks still queued are dropped."""

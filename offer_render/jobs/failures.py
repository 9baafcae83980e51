"""Take an error a job met; return whether running it again may help, and its message.

**Transient** (the job is run again later, with backoff, up to ``--job-retries``):
a resource that timed out, could not be reached or answered 5xx
(``ResourceError.transient``), storage that failed (:class:`StorageError`), and the
render pool's own failures (busy, past its deadline, a worker that died, shutting
down). **Permanent** (the job fails at once): invalid input (an InvalidInputError:
the template, the offer's data in strict merging), a resource that answered 404 or
that the network policy refuses, a render that failed. The message is the line the
command line prints after ``offer-render: error:``.
"""

from __future__ import annotations

from offer_render.errors import OfferRenderError, ResourceError
from offer_render.pool.errors import PoolError


class StorageError(OfferRenderError):
    """Storage could not take or tell about an object (always transient: stores come back)."""


def is_transient(exc: BaseException) -> bool:
    """Return whether ``exc`` says nothing about the job itself, so a later run may succeed."""
    if isinstance(exc, ResourceError):
        return exc.transient and not exc.refused
    return isinstance(exc, StorageError | PoolError)


def message(exc: BaseException) -> str:
    """Return the one line the command line would print for ``exc``."""
    if isinstance(exc, OfferRenderError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())}".rstrip(": ")

"""Take the service's settings; run render jobs from the queue until SIGTERM or Ctrl-C.

What ``offer-render worker`` runs, on any machine that reaches the queue and the
storage: a :class:`~offer_render.pool.RenderPool` of ``--workers`` render processes,
the queue's consumer threads and the sweeper (:mod:`.workers`), and nothing else (no
HTTP). SIGTERM or SIGINT stops taking jobs and lets those running finish (up to the
render timeout); a second one stops at once. A job this process was running when it
was killed outright (SIGKILL) is run again by another worker once its lease ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from offer_render.errors import InvalidInputError


def run_worker(settings: object, *, announce: Callable[[str], None]) -> None:
    """Run jobs until told to stop (see the module); raise InvalidInputError or PoolError
    when the queue, the storage or the render workers cannot start."""
    from offer_render.jobs.runtime import JobsRuntime
    from offer_render.pool import RenderPool

    workers = getattr(settings, "workers", None)
    if workers == 0:
        raise InvalidInputError([("workers", "must be at least 1: a worker renders")])
    runtime = JobsRuntime(settings)
    try:
        pool = RenderPool(runtime.config, workers=workers,
                          timeout=getattr(settings, "render_timeout", None),
                          preload=("offer_render.jobs.work",))
    except BaseException:
        runtime.close()
        raise
    stop = threading.Event()
    previous = _on_stop(stop)
    try:
        jobs = runtime.workers(pool)
        announce(f"working on {runtime.queue.describe()} with {pool.workers} render workers "
                 f"and {jobs.threads} job threads; files to {runtime.storage.url}")
        stop.wait()
        announce("stopping: finishing the jobs in flight")
        jobs.stop()
    finally:
        _restore(previous)
        pool.close()
        runtime.close()
    announce("stopped")


def _on_stop(stop: threading.Event) -> dict[int, object]:
    """Make SIGTERM and SIGINT set ``stop`` (a second one interrupts at once)."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def _restore(previous: dict[int, object]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)  # type: ignore[arg-type]  # what signal.signal returned

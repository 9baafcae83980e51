"""Render in a bounded pool of warm worker processes: take renders, return futures of results.

:class:`RenderPool` keeps ``workers`` processes, each with one warm
:class:`~offer_render.api.Renderer` made from one
:class:`~offer_render.config.RendererConfig` (see :mod:`.worker`, :mod:`.process`).

- **Bounded.** At most ``workers`` tasks run and ``backlog`` wait; a task beyond that
  is refused at once with :class:`~offer_render.pool.errors.PoolBusy` (with a
  ``retry_after`` estimate), never queued without limit. Of the waiting tasks, one per
  busy worker is already in that worker's pipe, so it starts as soon as the worker
  has answered (see ``AHEAD`` in :mod:`.dispatch`); cancelling one of those stops its
  answer, not its run.
- **Deadlines.** Each task has a deadline (``timeout`` seconds from submission,
  waiting included). A task still waiting at its deadline is dropped; a running one
  has its worker killed (SIGKILL) and replaced, since nothing can interrupt a native
  call from outside, and a hung one must not pin a worker. Either way its future
  fails with :class:`~offer_render.pool.errors.PoolTimeout`. Renders get a fetch
  budget a little inside the deadline, so a slow font host gives a fallback warning
  rather than a killed worker.
- **Crashes.** A worker that dies (SIGKILL, a segfault in a native library) is
  replaced; its task fails with :class:`~offer_render.pool.errors.WorkerDied`;
  other tasks go on (one it held ahead goes to another worker).

A thread of the pool's own watches the workers' pipes, their exits and the
deadlines (an asyncio program can have its loop do it instead:
:meth:`RenderPool.drive_from_loop`); :meth:`RenderPool.submit` hands a task to an
idle worker directly from the caller's thread. Futures are
``concurrent.futures.Future`` objects, so asyncio callers can await them with
``asyncio.wrap_future``.
"""

from __future__ import annotations

import os
import pickle
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from offer_render.config import RendererConfig
from offer_render.errors import InvalidInputError
from offer_render.pool import tasks
from offer_render.pool.dispatch import Dispatcher, PoolStats
from offer_render.pool.errors import PoolBusy
from offer_render.pool.process import Task
from offer_render.pool.worker import TaskContext
from offer_render.result import RenderResult

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
"""Seconds a task may take from submission to answer. Default: 30 (a warm render takes
milliseconds; a cold one with fonts to download takes a second or two)."""
BACKLOG_PER_WORKER = 8
"""Tasks that may wait per worker when ``backlog`` is not given. Default: 8, so at the
2 to 20 ms of a typical warm render a waiting task waits well under a second."""
START_TIMEOUT = 60.0
"""Seconds the first workers may take to start. Default: 60."""

_UNSET: Any = object()


class RenderPool:
    """A bounded pool of worker processes, each rendering with a warm Renderer.

    Use it from any thread; ``with RenderPool(config) as pool:`` closes it after.
    ``workers`` defaults to the CPU count, ``backlog`` to ``8 * workers``,
    ``timeout`` to 30 s (None: no deadline). ``preload`` names modules for the
    forkserver to import (those holding your task functions). ``warm`` renders once
    in each new worker before it takes tasks. Raises PoolError when the workers
    cannot start (the worker's own error is in the message).
    """

    def __init__(
        self,
        config: RendererConfig | None = None,
        *,
        workers: int | None = None,
        backlog: int | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        preload: Sequence[str] = (),
        warm: bool = True,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.config = config or RendererConfig()
        self.workers = _count("workers", workers if workers is not None else _cpus(), 1)
        self.backlog = _count("backlog", backlog if backlog is not None
                              else BACKLOG_PER_WORKER * self.workers, 0)
        self.timeout = _seconds(timeout)
        self._dispatcher = Dispatcher(
            self.config, workers=self.workers, backlog=self.backlog, warm=warm,
            preload=tuple(preload), start_timeout=start_timeout)

    # -- submitting ---------------------------------------------------------------

    def submit(
        self,
        template: Any,
        offer: Any = None,
        *,
        locale: str | None = None,
        format: str = "png",
        quality: int | None = None,
        scale: float = 1,
        strict: bool = False,
        context: Mapping[str, object] | None = None,
        collections: Sequence[Mapping[str, object]] | None = None,
        deadline: float | None = None,
        timeout: float | None = _UNSET,
    ) -> Future[RenderResult]:
        """Return a future of ``Renderer.render(template, offer, ...)`` run in a worker.

        The keywords are :meth:`~offer_render.api.Renderer.render`'s; ``timeout``
        replaces the pool's deadline for this task. Raises PoolBusy when every
        worker is busy and the backlog is full, PoolClosed after :meth:`close`.
        """
        options = {"locale": locale, "format": format, "quality": quality, "scale": scale,
                   "strict": strict, "context": context, "collections": collections,
                   "deadline": deadline}
        return self.submit_call(tasks.render, template, offer, options, timeout=timeout)

    def render(self, template: Any, offer: Any = None, **options: Any) -> RenderResult:
        """Render in a worker and wait for the result (the keywords of :meth:`submit`)."""
        return self.submit(template, offer, **options).result()

    def map(
        self,
        offers: Iterable[Any],
        *,
        template: Any = None,
        return_exceptions: bool = False,
        **options: Any,
    ) -> Iterator[RenderResult | BaseException]:
        """Render every offer (with ``template``, else each offer's own); yield in order.

        Submits lazily, keeping at most as many renders in flight as the pool holds,
        and waits rather than fail when another caller keeps the pool busy, so an
        endless stream of offers is fine. The first failure is raised (the renders
        after it are cancelled) unless ``return_exceptions``, which yields it instead.
        The other keywords are :meth:`submit`'s.
        """
        window = self.workers + max(1, self.backlog)
        pending: deque[Future[RenderResult]] = deque()
        source = iter(offers)
        try:
            for offer in source:
                while True:
                    try:
                        pending.append(self.submit(template, offer, **options))
                        break
                    except PoolBusy:
                        if not pending:
                            time.sleep(0.01)
                            continue
                        yield self._outcome(pending.popleft(), return_exceptions)
                while len(pending) >= window:
                    yield self._outcome(pending.popleft(), return_exceptions)
            while pending:
                yield self._outcome(pending.popleft(), return_exceptions)
        finally:
            for future in pending:
                future.cancel()

    @staticmethod
    def _outcome(future: Future[RenderResult], keep: bool) -> RenderResult | BaseException:
        if not keep:
            return future.result()
        try:
            return future.result()
        except Exception as exc:  # yielded, as asked
            return exc

    def submit_call(
        self, fn: Callable[..., T], /, *args: Any, timeout: float | None = _UNSET, **kwargs: Any
    ) -> Future[T]:
        """Return a future of ``fn(task_context, *args, **kwargs)`` run in a worker.

        ``fn`` must be a module-level function (it is sent by name) taking a
        :class:`~offer_render.pool.worker.TaskContext` first; its arguments and result
        must pickle. ``timeout`` replaces the pool's deadline for this task (None: none).
        """
        seconds = self.timeout if timeout is _UNSET else _seconds(timeout)
        now = time.monotonic()
        deadline = None if seconds is None else now + seconds
        payload = pickle.dumps((fn, args, kwargs, deadline), protocol=pickle.HIGHEST_PROTOCOL)
        task = Task(payload, Future(), seconds, deadline, now)
        self._dispatcher.offer(task)
        return task.future

    def drive_from_loop(self) -> None:
        """Watch the workers from the running asyncio loop instead of the pool's own thread.

        Call it once, from a coroutine of the loop that awaits the pool's futures (an
        asyncio server's start-up): workers' answers are then read, and their next tasks
        sent, by the loop's thread, with no hand-over between two threads of one process
        (see :mod:`offer_render.pool.drivers`). Closing still works from any thread.
        """
        import asyncio

        self._dispatcher.drive_from(asyncio.get_running_loop())

    # -- state --------------------------------------------------------------------

    def stats(self) -> PoolStats:
        """Return a snapshot of the pool's load and counters."""
        return self._dispatcher.stats()

    def pids(self) -> list[int]:
        """Return the process ids of the workers now (for tests and operators)."""
        return self._dispatcher.pids()

    def close(self, *, cancel: bool = False, wait: bool = True) -> None:
        """Take no more tasks; let those queued and running finish (with ``cancel``: fail
        them with PoolClosed, killing running workers), then stop the workers.

        With ``wait`` (default) return once every worker has exited, except when called on
        the event loop that drives the pool (:meth:`drive_from_loop`), which must keep
        running for that: call it from a thread there (``asyncio.to_thread``). Closing
        twice is fine.
        """
        self._dispatcher.close(cancel=cancel, wait=wait)

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _seconds(value: float | None) -> float | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                              or value <= 0):
        raise InvalidInputError([("timeout", "must be a number of seconds greater than 0")])
    return value


def _count(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InvalidInputError([(name, f"must be a whole number of at least {least}")])
    return value


__all__ = ["DEFAULT_TIMEOUT", "PoolStats", "RenderPool", "TaskContext"]

"""Keep a pool's worker processes busy: take tasks, hand them to workers, settle futures.

:class:`Dispatcher` is the machinery under :class:`~offer_render.pool.RenderPool`:
the workers and the wait queue. A task goes to an idle worker straight from the
caller's thread (:meth:`Dispatcher.offer`); when every worker is busy, a small task
is sent ahead to one of them (see ``AHEAD``), so the worker starts it as soon as it
has sent its answer. A driver (:mod:`.drivers`: a thread of the pool's own, or a
running asyncio loop) watches the workers' pipes, their exits and the deadlines, and
calls :meth:`Dispatcher.run_once`, which tops each worker up as it answers, fails
tasks past their deadline (killing a worker that is still running one), fails the
task a worker that died was running (those sent ahead of it go to another worker),
and starts replacements, backing off while new workers keep failing to start.
"""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from offer_render.config import RendererConfig
from offer_render.pool.drivers import LoopDriver, ThreadDriver
from offer_render.pool.errors import PoolBusy, PoolClosed, PoolError, PoolTimeout, WorkerDied
from offer_render.pool.process import Task, WorkerProcess, fail, start_context
from offer_render.pool.worker import FAILED, READY

IDLE_WAKE = 0.25
"""Seconds the dispatcher sleeps at most with no deadline to watch. Default: 0.25, so a task
submitted to an idle pool (whose deadline is seconds away) needs no wake-up call."""
AHEAD = 1
"""Tasks a busy worker holds beyond the one it runs, already written to its pipe.
Default: 1. Otherwise a worker waits, after each answer, for the pool to read it and
send the next task: py-spy put a pool worker 10% of its time waiting so, and a pool of
one process rendered 0.8x one thread. CPython's ``ProcessPoolExecutor`` keeps
``EXTRA_QUEUED_CALLS = 1`` in its call queue for the same reason. A task sent ahead
counts as waiting (the backlog, ``PoolStats.waiting``) and can be cancelled until its
worker begins it; if it is cancelled or its deadline passes first, the worker still
runs it and its answer is dropped; if the worker dies first, it goes to another."""
AHEAD_MAX_BYTES = 64 * 1024
"""The largest task sent ahead: the pipe (a Unix socket, 208 KiB of buffer by default
on Linux) takes it whole while the worker renders, so sending never waits on a busy
worker. A larger one waits in the queue for a worker to be free."""
RESTART_BACKOFF = (0.1, 10.0)
"""Delay before starting a worker again after one failed to start: doubling from the
first value up to the second (seconds)."""


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool: its size and load, what happened so far, the workers' counters."""

    workers: int
    """Workers the pool keeps."""
    ready: int
    """Workers started and ready (idle or busy)."""
    busy: int
    waiting: int
    started: int
    """Worker processes started so far (replacements included)."""
    died: int
    """Workers that died while the pool ran (killed at a deadline included)."""
    timed_out: int
    rejected: int
    """Tasks refused as busy."""
    counters: dict[str, int]
    """The workers' counters added up: ``tasks``, ``cache_hits:<cache>``,
    ``cache_misses:<cache>``, ``fetch_failures:<what>``."""


class Dispatcher:
    """The workers, the wait queue and the thread that serves them (see the module)."""

    def __init__(self, config: RendererConfig, *, workers: int, backlog: int, warm: bool,
                 preload: tuple[str, ...], start_timeout: float) -> None:
        self.config = config
        self.workers = workers
        self.backlog = backlog
        self._warm = warm
        self._ctx = start_context(preload)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._procs: list[WorkerProcess] = []
        self._idle: deque[WorkerProcess] = deque()
        self._waiting: deque[Task] = deque()
        self._refill: list[WorkerProcess] = []
        """Idle workers given requeued tasks, to write them to (:meth:`_send_refills`)."""
        self._closed = False
        self._cancel = False
        self._retired: dict[str, int] = {}
        self._started = self._died = self._timed_out = self._rejected = 0
        self._start_failures = 0
        self._restart_at = 0.0
        self._last_start_error = ""
        self._seconds_per_task = 0.0
        self._next_wake = math.inf
        self._done = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._driver: ThreadDriver | LoopDriver = ThreadDriver(self)
        self._driver.add(self._wake_r, None)
        for _ in range(workers):
            self._start_worker()
        self._driver.start()
        self._await_start(start_timeout)

    def drive_from(self, loop: asyncio.AbstractEventLoop) -> None:
        """From now on, watch the workers from ``loop`` (call it on the loop's thread), not
        from the pool's thread (see :mod:`.drivers` for why)."""
        driver = self._driver
        if not isinstance(driver, ThreadDriver):
            return
        driver.hand_over()
        self._poke()
        driver.thread.join()
        if self._done.is_set():
            return  # it finished meanwhile (closed)
        self._driver = LoopDriver(self, loop, driver.watched())
        self._driver.kick()

    def offer(self, task: Task) -> None:
        """Run ``task`` on an idle worker, else queue it; raise PoolBusy when the queue is
        full and PoolClosed once closed."""
        with self._lock:
            if self._closed:
                msg = "the render pool is closed"
                raise PoolClosed(msg)
            proc = self._idle.popleft() if self._idle else None
            room = proc is not None or self._queued() < self.backlog  # counted once
            if proc is None and room and not self._waiting:
                proc = self._ahead_worker(task)
            if proc is not None:
                proc.give(task)  # nobody else has it yet: it is not cancelled
            elif room:
                self._waiting.append(task)
            else:
                self._rejected += 1
                raise PoolBusy(self._busy_message(), self._retry_after())
            poke = task.deadline is not None and task.deadline < self._next_wake
        if proc is not None:
            self._flush(proc)
        if poke:
            self._poke()

    def stats(self) -> PoolStats:
        """Return a snapshot of the pool's load and counters."""
        with self._lock:
            counters = dict(self._retired)
            for proc in self._procs:
                for key, value in proc.counters.items():
                    counters[key] = counters.get(key, 0) + value
            return PoolStats(
                workers=self.workers, ready=sum(p.ready for p in self._procs),
                busy=sum(bool(p.tasks) for p in self._procs), waiting=self._queued(),
                started=self._started, died=self._died, timed_out=self._timed_out,
                rejected=self._rejected, counters=counters,
            )

    def pids(self) -> list[int]:
        """Return the process ids of the workers now (for tests and operators)."""
        with self._lock:
            return [p.pid for p in self._procs]

    def close(self, *, cancel: bool = False, wait: bool = True) -> None:
        """Take no more tasks; let those queued and running finish (with ``cancel``: fail
        them with PoolClosed, killing running workers), then stop the workers.

        With ``wait`` (default) return once every worker has exited. Closing twice is fine.
        """
        with self._lock:
            self._closed = True
            self._cancel = self._cancel or cancel
        self._poke()
        if wait and not self._driver.on_thread():
            self._done.wait()

    # -- inside the lock ------------------------------------------------------------

    def _flush(self, proc: WorkerProcess) -> None:
        """Write ``proc``'s unsent tasks to its pipe, in order, outside the lock (a write to
        a pipe must not hold up the other threads). One thread writes to a worker at a
        time, so its tasks reach it in the order of ``proc.tasks``. When ``proc`` is gone,
        put the tasks it did not get back at the head of the queue (unless its exit was
        handled first: they are back already)."""
        with proc.send_lock:
            while True:
                with self._lock:
                    if not proc.unsent:
                        return
                    task = proc.unsent[0]
                try:
                    proc.send(task.payload)
                except OSError:
                    with self._lock:
                        stranded = [t for t in proc.unsent if t in proc.tasks]
                        proc.unsent.clear()
                        for lost in stranded:
                            proc.tasks.remove(lost)
                        self._requeue(stranded)
                    self._poke()  # the driver writes what idle workers were given
                    return
                with self._lock:
                    if proc.unsent and proc.unsent[0] is task:
                        proc.unsent.popleft()

    def _top_up(self, proc: WorkerProcess) -> None:
        """Inside the lock: give ``proc`` waiting tasks that were not cancelled, the one to
        run and up to ``AHEAD`` more (small ones only: ``AHEAD_MAX_BYTES``); mark it idle
        when it has none."""
        while self._waiting and len(proc.tasks) <= AHEAD:
            task = self._waiting[0]
            if proc.tasks and len(task.payload) > AHEAD_MAX_BYTES:
                break
            self._waiting.popleft()
            if proc.tasks and task.future.cancelled():
                continue  # cancelled while it waited
            proc.give(task)
        if not proc.tasks:
            self._idle.append(proc)

    def _ahead_worker(self, task: Task) -> WorkerProcess | None:
        """Inside the lock, every worker busy: return the busy worker to send ``task`` ahead
        to (the one running the oldest task), or None when it may not be sent ahead."""
        if len(task.payload) > AHEAD_MAX_BYTES:
            return None
        roomy = [p for p in self._procs if p.ready and 0 < len(p.tasks) <= AHEAD]
        if not roomy:
            return None
        return min(roomy, key=lambda p: (len(p.tasks), p.tasks[0].started or math.inf))

    def _requeue(self, tasks: list[Task]) -> None:
        """Inside the lock: put tasks a worker did not begin back at the head of the queue,
        in order (dropped ones are forgotten), and hand them to idle workers."""
        self._waiting.extendleft(reversed([t for t in tasks if not t.dropped]))
        while self._waiting and self._idle:
            proc = self._idle.popleft()
            self._top_up(proc)
            if proc.tasks:
                self._refill.append(proc)

    def _send_refills(self) -> None:
        """Write the tasks :meth:`_requeue` gave idle workers (outside the lock)."""
        with self._lock:
            procs, self._refill = self._refill, []
        for proc in procs:
            self._flush(proc)

    def _queued(self) -> int:
        """Inside the lock: the tasks waiting for a worker, those sent ahead included."""
        ahead = sum(not t.dropped for p in self._procs for t in list(p.tasks)[1:])
        return len(self._waiting) + ahead

    def _busy_message(self) -> str:
        return (f"all {self.workers} render workers are busy and {self._queued()} "
                f"requests are waiting (the most allowed)")

    def _retry_after(self) -> int:
        """Return whole seconds until a worker is likely free: at least 1, at most 60."""
        queued = self._queued() + self.workers
        estimate = queued * self._seconds_per_task / self.workers
        return max(1, min(60, math.ceil(estimate)))

    def _start_worker(self) -> None:
        proc = WorkerProcess(self._ctx, self.config, warm=self._warm, number=self._started + 1)
        self._procs.append(proc)
        self._driver.add(proc.conn, (proc, "pipe"))
        self._driver.add(proc.sentinel, (proc, "exit"))
        self._started += 1

    # -- called by the driver -------------------------------------------------------------

    def run_once(self, ready: list[Any]) -> float | None:
        """Act on what became ready (a worker's message or exit, a wake-up), fail tasks past
        their deadline, start missing workers; return how long the driver may wait, or
        None once the pool is closed and has nothing left to do."""
        for data in ready:
            proc, what = data or (None, "wake")
            if proc is None:
                self._drain_wake()
            elif what == "pipe":
                self._on_message(proc)
            else:
                self._on_exit(proc)
        self._expire()
        self._restart()
        if self._cancel:
            self._cancel_all()
        self._send_refills()
        with self._lock:
            if self._closed and not self._waiting and not any(p.tasks for p in self._procs):
                return None
            timeout = self._wait_time()
            self._next_wake = time.monotonic() + timeout
        return timeout

    def finish(self) -> None:
        """Stop every worker (they exit when their pipe closes) and release the wake-up socket."""
        try:
            self._stop_all()
        finally:
            self._done.set()

    def _wait_time(self) -> float:
        """Return how long the dispatcher may sleep: until the next deadline or restart, at
        most IDLE_WAKE when there is neither."""
        times = [t.deadline for t in self._waiting if t.deadline is not None]
        times += [t.deadline for p in self._procs for i, t in enumerate(p.tasks)
                  if t.deadline is not None and (i == 0 or not t.dropped)]
        if len(self._procs) < self.workers and not self._closed:
            times.append(self._restart_at)
        if not times:
            return IDLE_WAKE
        return max(0.0, min(times) - time.monotonic())

    def _on_message(self, proc: WorkerProcess) -> None:
        try:
            message = proc.receive()
        except (EOFError, OSError):
            self._on_exit(proc)
            return
        self._deliver(proc, message)

    def _deliver(self, proc: WorkerProcess, message: Any) -> None:
        """Act on one message of ``proc``: its hello, or the result of its task."""
        if not proc.ready:
            self._on_hello(proc, message)
            return
        ok, value, counters = message
        with self._lock:
            if proc not in self._procs:
                return  # killed at its deadline; its tasks were settled or queued again
            task = proc.tasks.popleft() if proc.tasks else None
            proc.counters = counters
            if task is not None and not task.dropped:
                took = time.monotonic() - (task.started or task.submitted)
                self._seconds_per_task = (0.9 * self._seconds_per_task + 0.1 * took
                                          if self._seconds_per_task else took)
            if proc.tasks:
                proc.promote()
            self._top_up(proc)
        self._flush(proc)  # the worker's next tasks first, then the caller's answer
        if task is None or task.dropped or task.future.done():
            return
        if ok:
            task.future.set_result(value)
        else:
            task.future.set_exception(value)

    def _on_hello(self, proc: WorkerProcess, message: tuple[str, Any]) -> None:
        kind, detail = message
        if kind == FAILED:
            proc.start_error = str(detail)
            return  # it exits now; _on_exit counts the failure
        if kind == READY:
            with self._lock:
                proc.ready = True
                self._start_failures = 0
                if proc in self._procs:
                    self._top_up(proc)
                self._changed.notify_all()
            self._flush(proc)

    def _on_exit(self, proc: WorkerProcess) -> None:
        """Forget a worker that ended; fail its task; plan its replacement."""
        try:  # what it sent before it ended still counts (a result, or why it cannot start)
            while proc.conn.poll():
                self._deliver(proc, proc.receive())
        except (EOFError, OSError):
            pass
        with self._lock:
            if proc not in self._procs:
                return
            self._remove(proc)
            task = self._take_tasks(proc)
        proc.reap(1.0)
        how = proc.how_it_ended()
        with self._lock:
            if not proc.ready:
                self._start_failures += 1
                self._last_start_error = proc.start_error or f"the worker process {how}"
                delay = min(RESTART_BACKOFF[1],
                            RESTART_BACKOFF[0] * 2 ** (self._start_failures - 1))
                self._restart_at = time.monotonic() + delay
            else:
                self._died += 1
            self._changed.notify_all()
        if task is not None and not task.dropped:
            fail(task, WorkerDied(f"the render worker process {how} while running this "
                                   f"task (pid {proc.pid}); it has been replaced"))

    def _remove(self, proc: WorkerProcess) -> None:
        """Take ``proc`` out of the pool (inside the lock); keep its counters."""
        self._procs.remove(proc)
        self._driver.remove(proc.conn)
        self._driver.remove(proc.sentinel)
        if proc in self._idle:
            self._idle.remove(proc)
        for key, value in proc.counters.items():
            self._retired[key] = self._retired.get(key, 0) + value
        proc.counters = {}

    def _take_tasks(self, proc: WorkerProcess) -> Task | None:
        """Inside the lock, ``proc`` removed: return the task it was running (None if it
        was idle, or had not been sent it); queue the others again, which it never began."""
        running, others = proc.take_tasks()
        self._requeue(others)
        return running

    def _expire(self) -> None:
        """Fail tasks past their deadline: drop waiting ones (those sent ahead included: their
        answers are dropped), kill the workers of running ones."""
        now = time.monotonic()

        def late(task: Task) -> bool:
            return task.deadline is not None and task.deadline <= now

        with self._lock:
            waited = [t for t in self._waiting if late(t)]
            for task in waited:
                self._waiting.remove(task)
            for proc in self._procs:
                for task in list(proc.tasks)[1:]:
                    if not task.dropped and late(task):
                        task.dropped = True
                        waited.append(task)
            overdue = [p for p in self._procs if p.tasks and late(p.tasks[0])]
            running = []
            for proc in overdue:
                self._remove(proc)
                running.append(self._take_tasks(proc))
            self._timed_out += len(waited) + sum(t is not None and not t.dropped
                                                 for t in running)
            self._died += len(overdue)
        for task in waited:
            fail(task, PoolTimeout(
                f"no render worker was free within the deadline of {task.timeout:g} s"))
        for proc, stopped in zip(overdue, running, strict=True):
            proc.kill()
            if stopped is not None and not stopped.dropped:
                fail(stopped, PoolTimeout(
                    f"the task took longer than its deadline of {stopped.timeout:g} s; its "
                    "worker process was stopped and replaced"))

    def _restart(self) -> None:
        """Start workers until the pool is whole again (after the backoff of a failed start)."""
        with self._lock:
            while (not self._closed and len(self._procs) < self.workers
                   and time.monotonic() >= self._restart_at):
                self._start_worker()

    def _cancel_all(self) -> None:
        """After ``close(cancel=True)``: fail what waits and what runs (killing its worker)."""
        with self._lock:
            running = [p for p in self._procs if p.tasks]
            stopped = [t for p in running for t in p.tasks if not t.dropped]
            for proc in running:
                self._remove(proc)
                proc.tasks.clear()
                proc.unsent.clear()
            stopped += self._waiting
            self._waiting.clear()
        for proc in running:
            proc.kill()
        for task in stopped:
            fail(task, PoolClosed("the render pool was closed"))

    def _stop_all(self) -> None:
        with self._lock:
            procs, self._procs = list(self._procs), []
            self._idle.clear()
            self._changed.notify_all()
        for proc in procs:
            try:
                proc.conn.close()
            except OSError:
                pass
        for proc in procs:
            proc.stop()
        self._wake_r.close()
        self._wake_w.close()

    def _poke(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # already woken, or closed

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _await_start(self, timeout: float) -> None:
        """Wait until every first worker is ready; raise PoolError if they cannot start."""
        end = time.monotonic() + timeout
        with self._lock:
            while True:
                ready = sum(p.ready for p in self._procs)
                if ready >= self.workers:
                    return
                failed = self._start_failures
                left = end - time.monotonic()
                if failed or left <= 0 or self._closed:
                    break
                self._changed.wait(min(left, 0.5))
            error = self._last_start_error or f"not ready after {timeout:g} s"
        self.close(cancel=True)
        msg = f"render worker processes cannot start: {error}"
        raise PoolError(msg)


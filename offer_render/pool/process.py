"""Start and stop a pool's worker process: take a configuration, return its handle, pipe and tasks.

Workers start from a **forkserver** (where the platform has one, as Linux and macOS
do; else spawn): a clean process started once, which imports the engine
(``offer_render.api``) and the worker module before it forks each worker, so a
worker starts in tens of milliseconds with the engine loaded, and never inherits
the threads, locks or event loop of the process that owns the pool. Forking that
process directly (the ``fork`` method) is unsafe there: a lock another thread held
at the fork (logging's, the allocator's, the pool's own) stays locked forever in
the child. Spawn would import the engine again for every worker (about half a
second each) and make replacing a killed worker slow.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from typing import Any

from offer_render.config import RendererConfig
from offer_render.pool.worker import serve

ENGINE_MODULES = ("offer_render.api", "offer_render.pool.worker", "offer_render.pool.tasks",
                  "offer_render.pool.warm")
"""Modules the forkserver imports once, before it forks any worker (the last one warms
the engine: see :mod:`.warm`)."""

REAP_SECONDS = 5.0
"""How long to wait for a worker to exit once asked (its pipe closed) before killing it."""


def start_context(preload: Sequence[str] = ()) -> BaseContext:
    """Return the multiprocessing context workers start from: the forkserver, else spawn.

    ``preload`` names more modules for the forkserver to import (the service adds
    its worker-side module). The forkserver is one per process and reads its preload
    list when it starts, so a list given after it started only costs each worker an
    import.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(dict.fromkeys((*ENGINE_MODULES, *preload))))
        return ctx
    return multiprocessing.get_context("spawn")


@dataclass(eq=False)
class Task:
    """One unit of work: the pickled call, its future, and when it must be done by."""

    payload: bytes
    future: Future[Any]
    timeout: float | None
    deadline: float | None
    """``time.monotonic()`` by which it must be done, or None."""
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    """When a worker began it (its future is then running)."""
    dropped: bool = False
    """Its future was settled (past its deadline, cancelled) while it sat in its worker's
    pipe: the worker runs it anyway, and its answer is dropped."""

    def begin(self) -> bool:
        """Mark the task begun by its worker (its future running); return False for a task
        cancelled before."""
        if self.started is None:
            if not self.future.set_running_or_notify_cancel():
                return False
            self.started = time.monotonic()
        return True


def fail(task: Task, error: Exception) -> None:
    """Fail ``task``'s future with ``error`` (unless the caller cancelled it while it waited)."""
    if task.started is None and not task.future.set_running_or_notify_cancel():
        return
    task.future.set_exception(error)


class WorkerProcess:
    """The pool's handle on one worker: the process, the pipe to it, the tasks it holds."""

    def __init__(self, ctx: BaseContext, config: RendererConfig, *, warm: bool, number: int):
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.process: Any = ctx.Process(  # type: ignore[attr-defined]
            target=serve, args=(child_end, config, warm), daemon=True,
            name=f"offer-render-worker-{number}",
        )
        self.process.start()
        child_end.close()
        self.conn = parent_end
        self.pid: int = self.process.pid
        self.ready = False
        self.tasks: deque[Task] = deque()
        """The tasks given to it, in order: the one it runs first, then those sent ahead."""
        self.unsent: deque[Task] = deque()
        """The end of ``tasks`` not yet written to the pipe."""
        self.send_lock = threading.Lock()
        """Held while writing to the pipe: one writer at a time keeps the order of ``tasks``."""
        self.counters: dict[str, int] = {}
        self.start_error: str | None = None
        """What the worker said when it could not start (it then exits)."""

    def give(self, task: Task) -> bool:
        """Add ``task`` to the tasks to send it (the pool's lock held); as the first, it
        begins now. Return False, giving nothing, for a task cancelled while it waited."""
        if not self.tasks and not task.begin():
            return False
        self.tasks.append(task)
        self.unsent.append(task)
        return True

    def promote(self) -> None:
        """Its first task answered: the next one, sent ahead, begins now (the pool's lock
        held). One dropped, or cancelled while it was ahead, runs under its own timeout from
        now, so the worker is replaced if it hangs."""
        task = self.tasks[0]
        if not task.dropped and task.begin():
            return
        task.dropped = True
        task.deadline = None if task.timeout is None else time.monotonic() + task.timeout

    def take_tasks(self) -> tuple[Task | None, list[Task]]:
        """Empty its tasks (the pool's lock held, the worker gone); return the one it was
        running (None when idle, or not yet sent it) and the others, never begun."""
        tasks = list(self.tasks)
        running = tasks[0] if tasks and tasks[0] not in self.unsent else None
        self.tasks.clear()
        self.unsent.clear()
        return running, tasks[1:] if running is not None else tasks

    @property
    def sentinel(self) -> int:
        """Return the handle that becomes ready when the process ends."""
        sentinel: int = self.process.sentinel
        return sentinel

    def send(self, payload: bytes) -> None:
        """Send one task; raise OSError when the worker is gone."""
        self.conn.send_bytes(payload)

    def receive(self) -> Any:
        """Return the next message from the worker; raise EOFError or OSError when it is gone."""
        return pickle.loads(self.conn.recv_bytes())

    def kill(self) -> None:
        """Stop the process at once (SIGKILL): a render cannot be interrupted otherwise."""
        try:
            self.process.kill()
        except (OSError, ValueError):
            pass  # already gone, or already closed
        self.reap(1.0)

    def stop(self, timeout: float = REAP_SECONDS) -> None:
        """Close the pipe (the worker exits when it reads end-of-file) and wait for it."""
        self.reap(timeout)

    def reap(self, timeout: float) -> None:
        """Close the pipe, wait up to ``timeout`` s for the process to end, then kill it."""
        try:
            self.conn.close()
        except OSError:
            pass
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(1.0)

    def how_it_ended(self) -> str:
        """Return how the process ended: ``was killed by SIGKILL``, ``exited with status 3``."""
        code = self.process.exitcode
        if code is None:
            return "still running"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"was killed by {name}"
        return f"exited with status {code}"

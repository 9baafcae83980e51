"""Start and stop one worker process of a pool: take a configuration, return its handle and pipe.

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
import time
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
    """When it was first sent to a worker (its future is then running)."""


class WorkerProcess:
    """The pool's handle on one worker: the process, the pipe to it, the task it runs."""

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
        self.task: Task | None = None
        self.counters: dict[str, int] = {}
        self.start_error: str | None = None
        """What the worker said when it could not start (it then exits)."""

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

"""Run chunks of items somewhere: take an iterator of chunks, yield each chunk's outcomes as done.

Three runners share one shape (:class:`Runner`): in this process (``--jobs 1``),
a local process pool of warm workers, and a Dask distributed cluster. All keep
a bounded number of chunks in flight, so inputs of millions of offers stream.
Pool workers write the images (``--jobs 1``: the driver, between renders); Dask
workers do too when they see the output folder (a probe file tells), else they
return the bytes and the driver writes them. The driver alone writes the manifest.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import pickle
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from offer_render.batch.plan import Item
from offer_render.batch.worker import (
    Outcome,
    Settings,
    init_pool_worker,
    process_packed_chunk,
    run_pool_chunk,
    state_for,
)
from offer_render.collector import quiet_collector
from offer_render.errors import InvalidInputError, OfferRenderError, RenderError

IN_FLIGHT_PER_WORKER = 3
"""Chunks queued per worker. Default: 3 (a worker never waits for the driver to refill)."""

DASK_INSTALL_HINT = "the dask executor needs Dask: pip install 'offer-render[dask]'"

CONNECT_TIMEOUT = "10s"
"""How long to try reaching the Dask scheduler. Default: 10 s."""

DASK_WORKER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}
"""Dask settings advised for workers that render (README, "Dask"): Dask's defaults wake
each worker's event loop about 160 times a second (the statistical profiler every
10 ms, the tick every 20 ms, the memory monitor every 100 ms, the system monitor
every 500 ms), and each wake-up takes the GIL from the task thread, on a machine
whose cores the renders fill. On 2 cores, interleaved runs of
``benchmarks/bench_batch.py``'s Dask batch against ``--jobs 2`` gave a median 0.94x
with these (0.87x and 0.89x with the scheduler's two also changed), 0.75x and 0.83x
with Dask's defaults, 0.76x with the profiler alone off and 0.84x with the other three
alone. Not applied by the batch: a cluster's settings are its operator's. Apply them
with ``dask.config.set(DASK_WORKER_CONFIG)`` before starting a ``LocalCluster``, or as
``DASK_DISTRIBUTED__...`` variables where ``dask worker`` runs."""


class Runner(Protocol):
    """Run chunks and yield their outcomes in completion order.

    ``check`` is called often (at least every half second while waiting); it
    raises to stop the run, which the caller follows with ``close(cancel=True)``.
    """

    workers: int

    def results(
        self, chunks: Iterable[list[Item]], check: Callable[[], None]
    ) -> Iterator[list[Outcome]]:
        """Yield the outcomes of each chunk of ``chunks`` as it completes."""
        ...

    def close(self, *, cancel: bool) -> None:
        """Stop: with ``cancel``, drop queued work and stop workers without waiting."""
        ...


class InlineRunner:
    """Render in this process, one item after another (``--jobs 1``; no pickling).

    The images are written here too, between renders. A writer thread was tried, to
    overlap the kernel's cost of creating files with the next render: it made
    ``--jobs 1`` slower (0.77x the engine against 0.88x, median of runs interleaved in
    one process), as every Pillow call releases the GIL and the writer then took it,
    so each render waited on many thread switches.
    """

    workers = 1

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def results(
        self, chunks: Iterable[list[Item]], check: Callable[[], None]
    ) -> Iterator[list[Outcome]]:
        """Yield the outcome of each item, rendered here, one at a time."""
        state = state_for(self.settings)
        for chunk in chunks:
            for item in chunk:
                check()
                with quiet_collector():  # as a worker's chunk: see offer_render.collector
                    outcome = state.process(item)
                yield [outcome]

    def close(self, *, cancel: bool) -> None:
        """Nothing to stop."""


def pool_context() -> multiprocessing.context.BaseContext:
    """Return the start method for pool workers: fork while the driver has one thread,
    else forkserver where there is one, else spawn.

    Fork is instant and the workers inherit the imported engine, but forking a
    process that runs other threads can deadlock, so a driver embedded in a
    threaded program gets the forkserver, which preloads the engine once.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["offer_render.batch.worker", "offer_render.api"])
        return ctx
    return multiprocessing.get_context("spawn")


class PoolRunner:
    """Render in a local pool of ``jobs`` worker processes, each with a warm Renderer.

    If a worker process dies (a crash in a native library on a hostile input),
    the chunks it may have held are run again one item at a time in a fresh pool;
    the item that kills a worker alone is recorded as an error.
    """

    def __init__(self, settings: Settings, jobs: int) -> None:
        import offer_render.api  # noqa: F401 - loaded once here, inherited by forked workers

        self.settings = settings
        self.workers = jobs
        self._ctx = pool_context()
        # Workers read end-of-file on this pipe when the driver dies (see init_pool_worker).
        self._lifeline, self._lifeline_w = self._ctx.Pipe(duplex=False)
        self._pool = self._new_pool()
        self._probe()  # start the workers now, before the driver starts any thread

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        forked = self._ctx.get_start_method() == "fork"
        return cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=self._ctx, initializer=init_pool_worker,
            initargs=(self.settings, self._lifeline,
                      self._lifeline_w.fileno() if forked else None),
        )

    def results(
        self, chunks: Iterable[list[Item]], check: Callable[[], None]
    ) -> Iterator[list[Outcome]]:
        """Yield the outcomes of each chunk as a worker finishes it."""
        source = iter(chunks)
        suspects: deque[list[Item]] = deque()  # single items to retry after a crash
        inflight: dict[cf.Future[list[Outcome]], list[Item]] = {}
        limit = self.workers * IN_FLIGHT_PER_WORKER
        exhausted = False
        while True:
            while not suspects and not exhausted and len(inflight) < limit:
                chunk = next(source, None)
                if chunk is None:
                    exhausted = True
                else:
                    inflight[self._pool.submit(run_pool_chunk, chunk)] = chunk
            if suspects and not inflight:  # after a crash: one suspect at a time
                single = suspects.popleft()
                inflight[self._pool.submit(run_pool_chunk, single)] = single
            if not inflight:
                return
            done, _ = cf.wait(inflight, timeout=0.5, return_when=cf.FIRST_COMPLETED)
            check()
            for future in done:
                chunk = inflight.pop(future, None)
                if chunk is None:  # lost in a crash handled just now: queued as suspects
                    continue
                try:
                    yield future.result()
                except cf.process.BrokenProcessPool:
                    yield from self._crashed(chunk, inflight, suspects)

    def _crashed(
        self, chunk: list[Item], inflight: dict[cf.Future[list[Outcome]], list[Item]],
        suspects: deque[list[Item]],
    ) -> Iterator[list[Outcome]]:
        """Restart the pool; queue every item that may have crashed it to run alone."""
        lost = [chunk, *inflight.values()]
        inflight.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        self._probe()
        if len(chunk) == 1 and len(lost) == 1:
            error = "the worker process died while rendering this offer"
            yield [Outcome(chunk[0], "error", error=error)]
            return
        suspects.extend([item] for lost_chunk in lost for item in lost_chunk)

    def _probe(self) -> None:
        """Raise RenderError if fresh workers cannot even start (then no item is to blame)."""
        try:
            self._pool.submit(run_pool_chunk, []).result()
        except cf.process.BrokenProcessPool:
            msg = ("batch worker processes die on start; render with one job (no worker "
                   "processes) to see why")
            raise RenderError(msg) from None

    def close(self, *, cancel: bool) -> None:
        """Shut the pool down; with ``cancel``, terminate workers mid-chunk."""
        try:
            if cancel:
                processes = list((getattr(self._pool, "_processes", None) or {}).values())
                result_queue = getattr(self._pool, "_result_queue", None)
                # (taken before shutdown, which drops the executor's references to them)
                manager = getattr(self._pool, "_executor_manager_thread", None)
                self._pool.shutdown(wait=False, cancel_futures=True)
                for proc in processes:
                    proc.terminate()
                for proc in processes:
                    proc.join(5)
                # A worker terminated while writing its result leaves half a message on
                # the result pipe, and the pool's manager thread waits for the rest for
                # ever, so the interpreter hangs at exit joining it. With every worker
                # gone, closing our own copy of the pipe's write end turns that wait
                # into end-of-file, which the manager thread takes as a broken pool.
                writer = getattr(result_queue, "_writer", None)
                if writer is not None:
                    writer.close()
                # Let the manager thread finish closing its own pipes now: at exit,
                # CPython 3.11 wakes it without a lock (fixed in 3.12), and a wake-up
                # racing its close prints "Bad file descriptor" from threading._shutdown.
                if manager is not None:
                    manager.join(5)
            else:
                self._pool.shutdown(wait=True)
        finally:
            self._lifeline_w.close()
            self._lifeline.close()


class DaskRunner:
    """Render on a Dask distributed cluster: each chunk is one task returning bytes.

    The settings are scattered to every worker once; each worker process keeps a
    warm state per run (see :func:`~offer_render.batch.worker.state_for`). Resources
    with relative paths are read from each worker's own disk, so on a real cluster
    templates should use http(s) URLs.
    """

    def __init__(
        self, settings: Settings, scheduler: str, jobs: int | None = None,
        out_dir: Path | None = None,
    ) -> None:
        distributed = import_distributed()
        try:
            self._client: Any = distributed.Client(
                scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            msg = f"cannot connect to the Dask scheduler at {scheduler}: {exc}"
            raise OfferRenderError(msg) from None
        self._distributed = distributed
        if out_dir is not None and shares_folder(self._client, out_dir):
            settings = replace(settings, out_dir=out_dir)  # the workers write the images
        self.settings = settings
        threads = sum(self._client.nthreads().values()) or 1
        self.workers = jobs or threads
        self._settings_future = self._client.scatter(settings, broadcast=True, hash=False)
        self._futures: list[Any] = []

    def results(
        self, chunks: Iterable[list[Item]], check: Callable[[], None]
    ) -> Iterator[list[Outcome]]:
        """Yield the outcomes of each chunk as the cluster finishes it."""
        source = iter(chunks)
        limit = self.workers * IN_FLIGHT_PER_WORKER
        pending: dict[str, list[Item]] = {}
        first = [self._submit(chunk, pending) for chunk in _take(source, limit)]
        if not first:
            return
        completed = self._distributed.as_completed(first, loop=self._client.loop)
        while not completed.is_empty():
            check()
            if not completed.has_ready():
                time.sleep(0.02)
                continue
            for future in completed.next_batch(block=False):
                chunk = pending.pop(future.key)
                if future.status == "finished":
                    yield future.result()
                else:
                    error = f"dask task failed: {_one_line(future.exception())}"
                    yield [Outcome(item, "error", error=error) for item in chunk]
                future.release()
                nxt = next(source, None)
                if nxt is not None:
                    completed.add(self._submit(nxt, pending))

    def _submit(self, chunk: list[Item], pending: dict[str, list[Item]]) -> Any:
        packed = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
        future = self._client.submit(process_packed_chunk, packed, self._settings_future,
                                     pure=False)
        pending[future.key] = chunk
        self._futures.append(future)
        if len(self._futures) > 4 * self.workers * IN_FLIGHT_PER_WORKER:
            self._futures = [f for f in self._futures if not f.done()]
        return future

    def close(self, *, cancel: bool) -> None:
        """Cancel what is still queued (with ``cancel``) and close the client."""
        try:
            if cancel and self._futures:
                self._client.cancel(self._futures, force=True)
        finally:
            self._client.close()


def shares_folder(client: Any, folder: Path) -> bool:
    """Return whether every worker of ``client`` sees ``folder`` as this process does.

    A probe file with a random token is written there and each worker is asked to
    read it back; a worker on another machine (or seeing another disk) cannot, and
    then the driver writes the images. Any failure counts as not shared.
    """
    token = secrets.token_hex(16)
    probe = folder / f".offer-render-probe-{token}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_text(token, encoding="ascii")
        answers = client.run(reads_token, str(probe), token)
        return bool(answers) and all(answers.values())
    except Exception:  # a probe that fails in any way means "not shared"
        return False
    finally:
        probe.unlink(missing_ok=True)


def reads_token(path: str, token: str) -> bool:
    """Return whether the file at ``path`` holds ``token`` (run on each Dask worker)."""
    try:
        return Path(path).read_text(encoding="ascii") == token
    except (OSError, UnicodeDecodeError):
        return False


def import_distributed() -> Any:
    """Return the ``distributed`` module, or raise InvalidInputError saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise InvalidInputError([("executor", DASK_INSTALL_HINT)]) from None
    return distributed


def _take(source: Iterator[list[Item]], n: int) -> Iterator[list[Item]]:
    for _ in range(n):
        chunk = next(source, None)
        if chunk is None:
            return
        yield chunk


def _one_line(exc: BaseException | None) -> str:
    if exc is None:
        return "cancelled"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

"""Run in a pool's worker process: take tasks over a pipe, run them with a warm Renderer, reply.

A worker makes one :class:`~offer_render.api.Renderer` from the pool's
:class:`~offer_render.config.RendererConfig`, warms it with one small render of
bundled fonts (so the first real task does not pay for loading FreeType, HarfBuzz,
ICU and the fallback faces), says ``ready``, and then runs one task at a time: a
module-level function called as ``fn(task_context, *args, **kwargs)``. The reply is
the return value or the exception (an OfferRenderError keeps its type and fields;
anything else becomes a RenderError naming it), with the worker's counters (cache
hits and misses, fetch failures) for metrics.

Every fetch of a task goes through a snapshot (:class:`SnapshotFetcher`): each URL
is fetched once per task, so a task that hashes its inputs and then renders (the
service's ETag), or renders one template for many offers (preview, lint), sees one
version of every resource and asks a host to revalidate it at most once.

The worker ignores SIGINT (Ctrl-C reaches the whole process group; the pool decides
when workers stop) and exits when the pipe to the pool closes, which happens when
the pool closes or its process dies, even by SIGKILL.
"""

from __future__ import annotations

import os
import pickle
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from offer_render.collector import quiet_collector
from offer_render.config import RendererConfig
from offer_render.errors import OfferRenderError, RenderError, ResourceError
from offer_render.heap import steady_heap
from offer_render.resources.fetch import Fetched, Fetcher, default_fetcher

READY = "ready"
FAILED = "failed"

WARM_TEMPLATE: dict[str, Any] = {
    "width": 64, "height": 32, "rectangles": [{
        "name": "warm", "width": 64, "height": 32, "padding": 0, "offset_left": 0,
        "offset_top": 0, "text_align": "left", "color": "#000000", "font_size": 12,
        "font_family": "sans-serif", "font_url": None, "content": "Warm 1 ä",
    }],
}
"""What a new worker renders once before saying ready: bundled fonts only, no fetch."""


class SnapshotFetcher:
    """Fetch each URL once per task through ``inner`` (the renderer's caching fetcher).

    Between :meth:`begin` and :meth:`end` a URL fetched again (or its failure) is
    answered from the task's snapshot; outside a task every fetch goes to ``inner``.
    The snapshot holds only references to what ``inner`` returned and lives for one
    task. ``failures`` counts failed fetches by what was fetched (for metrics).
    """

    def __init__(self, inner: Fetcher) -> None:
        self.inner = inner
        self.failures: dict[str, int] = {}
        self._seen: dict[tuple[str, str, int], Fetched | ResourceError] | None = None

    def begin(self) -> None:
        """Start a task's snapshot."""
        self._seen = {}

    def end(self) -> None:
        """Drop the task's snapshot."""
        self._seen = None

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        """Return the bytes at ``url`` as ``inner`` does, once per task."""
        seen = self._seen
        key = (url, what, max_bytes)
        hit = seen.get(key) if seen is not None else None
        if hit is None:
            try:
                hit = self.inner.fetch(url, max_bytes=max_bytes, what=what)
            except ResourceError as exc:
                self.failures[what] = self.failures.get(what, 0) + 1
                hit = exc
            if seen is not None:
                seen[key] = hit
        if isinstance(hit, ResourceError):
            raise ResourceError(hit.url, hit.reason, field=hit.field, transient=hit.transient,
                                refused=hit.refused)
        return hit


@dataclass
class TaskContext:
    """What a task function gets: the warm renderer, its configuration, the task's deadline."""

    config: RendererConfig
    fetcher: SnapshotFetcher
    renderer: Any = field(repr=False)
    """The worker's :class:`~offer_render.api.Renderer` (typed loosely: the pipeline loads
    in the worker only)."""
    deadline: float | None = None
    """``time.monotonic()`` by which the pool wants the answer, or None for no deadline."""
    tasks: int = 0

    def fetch_budget(self, reserve: float = 0.2) -> float | None:
        """Return the seconds the task's fetches may take: what is left of its deadline
        less ``reserve`` of it (default a fifth, at most 1 s) for drawing and encoding,
        so a slow font host makes a fallback warning rather than a killed worker; or
        ``RendererConfig.render_deadline`` when that is shorter. None when neither is set."""
        configured = self.config.render_deadline
        if self.deadline is None:
            return configured
        left = self.deadline - time.monotonic()
        budget = max(0.05, left - min(1.0, left * reserve))
        return budget if configured is None else min(budget, configured)

    def counters(self) -> dict[str, int]:
        """Return this worker's running totals: tasks, cache hits and misses, fetch failures."""
        out = {"tasks": self.tasks}
        for name, cache in self.renderer.caches.by_name().items():
            out[f"cache_hits:{name}"] = cache.hits
            out[f"cache_misses:{name}"] = cache.misses
        for what, n in self.fetcher.failures.items():
            out[f"fetch_failures:{what}"] = n
        return out


def make_context(config: RendererConfig) -> TaskContext:
    """Return a task context with a new Renderer whose fetches go through a snapshot."""
    from offer_render.api import Renderer

    steady_heap()  # a worker renders for as long as it lives
    fetcher = SnapshotFetcher(default_fetcher(config))
    return TaskContext(config, fetcher, Renderer(config, fetcher=fetcher))


def serve(conn: Connection, config: RendererConfig, warm: bool = True) -> None:
    """Run a worker: set up, say ready (or why not), then answer tasks until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctx = make_context(config)
        if warm:
            ctx.renderer.render(WARM_TEMPLATE, format="png")
    except BaseException as exc:  # any failure to start is the pool's to report
        conn.send_bytes(pickle.dumps((FAILED, _describe(exc))))
        return
    conn.send_bytes(pickle.dumps((READY, os.getpid())))
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the pool closed the pipe, or its process is gone
        conn.send_bytes(_answer(ctx, raw))


def _answer(ctx: TaskContext, raw: bytes) -> bytes:
    """Run the task in ``raw``; return the pickled reply ``(ok, value or error, counters)``."""
    ok = False
    value: object
    try:
        fn, args, kwargs, deadline = pickle.loads(raw)
        ctx.deadline = deadline
        ctx.fetcher.begin()
        with quiet_collector():  # see offer_render.collector: collections cost 1-4% of a render
            value = _call(fn, ctx, args, kwargs)
        ok = True
    except Exception as exc:  # the caller gets every failure as an exception
        value = _portable(exc)
    finally:
        ctx.fetcher.end()
        ctx.tasks += 1
    try:
        return pickle.dumps((ok, value, ctx.counters()), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # a return value that cannot be pickled
        error = RenderError(f"internal error: the task's result cannot be sent: {_describe(exc)}")
        return pickle.dumps((False, error, ctx.counters()))


def _call(fn: Callable[..., object], ctx: TaskContext, args: tuple[Any, ...],
          kwargs: dict[str, Any]) -> object:
    return fn(ctx, *args, **kwargs)


def _portable(exc: Exception) -> Exception:
    """Return ``exc`` when it survives pickling whole, else a RenderError naming it."""
    if isinstance(exc, OfferRenderError):
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # an error class with its own constructor: send its text
            return RenderError(str(exc))
        return exc
    return RenderError(f"internal error: {_describe(exc)}")


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

"""Render a chunk of items in a warm worker: take Items and the batch Settings, return Outcomes.

A worker process keeps one :class:`~offer_render.api.Renderer` (font database,
parsed-font caches) and one :class:`MemoFetcher` for the whole batch, made once
per process (by the pool's initializer, or on a Dask worker's first task), so
each stylesheet, font and background is fetched once per worker. A pool worker
writes each image itself (:func:`write_outcome`: atomically, without a flush, as the
driver's group commit flushes a group of images at once) and returns a small record;
a Dask worker does too when it sees the output folder, else it returns the bytes and
the driver writes them; ``--jobs 1`` renders and writes in the driver.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from offer_render.batch.inputhash import InputHasher
from offer_render.batch.memofetch import MemoFetcher
from offer_render.batch.plan import Item
from offer_render.collector import quiet_collector
from offer_render.config import RendererConfig
from offer_render.errors import OfferRenderError, WriteError
from offer_render.files import write_atomic
from offer_render.heap import steady_heap
from offer_render.resources.fetch import default_fetcher


@dataclass(frozen=True, kw_only=True)
class RenderOptions:
    """How every item of a batch is rendered: the batch's render flags (``--template``,
    ``--format``, ``--quality``, ``--scale``, ``--strict``, ``--context``,
    ``--collections``, ``--force``). :class:`~offer_render.batch.runner.BatchOptions`
    and :class:`Settings` both extend it, so each flag is declared once."""

    template: Mapping[str, Any] | None = None
    """``--template`` for every offer; None: each offer's own ``image_template``."""
    format: str = "png"
    quality: int | None = None
    scale: float = 1.0
    strict: bool = False
    context: Mapping[str, Any] | None = None
    collections: Sequence[Mapping[str, Any]] | None = None
    force: bool = False

    def render_options(self) -> RenderOptions:
        """Return only the render flags (for passing them on to :class:`Settings`)."""
        return RenderOptions(**{f.name: getattr(self, f.name) for f in fields(RenderOptions)})


@dataclass(frozen=True, kw_only=True)
class Settings(RenderOptions):
    """What every item of one batch run is rendered with (sent to each worker once)."""

    run_id: str
    config: RendererConfig
    font_fingerprint: str = ""
    out_dir: Path | None = None
    """Where workers write the images themselves (atomically, flushed later by the
    driver's group commit); None: they return the bytes and the driver writes them
    (a Dask cluster whose workers do not share the driver's disk)."""

    def hash_options(self) -> dict[str, Any]:
        """Return the render options that go into the input hash."""
        return {
            "format": self.format, "quality": self.quality, "scale": self.scale,
            "strict": self.strict, "context": self.context, "collections": self.collections,
            "default_locale": self.config.default_locale,
            "limits": asdict(self.config.limits), "fonts": self.font_fingerprint,
        }


@dataclass(frozen=True)
class Outcome:
    """What a worker did with one item: status, input hash, the image or the error."""

    item: Item
    status: str
    """``ok`` (the image is written, or ``data`` holds it), ``skipped`` (up to date) or
    ``error``."""
    input_hash: str | None = None
    data: bytes | None = None
    """The encoded image, when the worker does not write it (``Settings.out_dir`` None)."""
    error: str | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    ms: float = 0.0
    sha256: str | None = None
    """sha256 of the image the worker wrote."""
    write_errno: int | None = None
    """On an error writing the image: its errno (a full disk stops the batch)."""

    def without_offer(self) -> Outcome:
        """Return the outcome with its item's offer left out (what the driver needs back)."""
        return replace(self, item=replace(self.item, offer=NO_OFFER))


NO_OFFER: Mapping[str, Any] = {}
"""The offer of an item sent back to the driver: left out (the driver holds it). A plain
dict, as it is pickled (a read-only mapping proxy is not picklable); never written to."""


class WorkerState:
    """A warm renderer, its memoizing fetcher and the input hasher, for one batch run."""

    def __init__(self, settings: Settings) -> None:
        from offer_render.api import Renderer

        steady_heap()  # a batch renders for hours: large buffers must not fragment the heap
        config = settings.config
        self.settings = settings
        # In front of the standard fetcher (policy and disk cache with HTTP revalidation):
        # one snapshot of every resource for the run, shared by the input hash and the
        # render, so both see the same bytes. It takes the budget of downloads kept in
        # memory (CacheLimits.fetch_bytes); the fetcher behind it keeps none, so the
        # bytes are counted once.
        inner = default_fetcher(replace(config, caches=replace(config.caches, fetch_bytes=0)))
        self.fetcher = MemoFetcher(inner, max_bytes=config.caches.fetch_bytes)
        self.renderer = Renderer(config, fetcher=self.fetcher)
        self.hasher = InputHasher(self.fetcher, config.limits)
        self.options = settings.hash_options()

    def process(self, item: Item) -> Outcome:
        """Hash ``item``'s inputs; render it unless its existing output is up to date; write
        the image when this worker writes (``Settings.out_dir``), else return its bytes."""
        outcome = self.render(item)
        out_dir = self.settings.out_dir
        return outcome if out_dir is None else write_outcome(outcome, out_dir)

    def render(self, item: Item) -> Outcome:
        """Hash ``item``'s inputs; render it unless its existing output is up to date; return
        the outcome with the image's bytes (not written)."""
        start = time.perf_counter()
        s = self.settings
        try:
            digest = self.hasher.input_hash(
                offer=item.offer, template=s.template, locale=item.locale, options=self.options)
        except Exception as exc:  # a bug in hashing must not stop the batch
            return Outcome(item, "error", error=f"input hash: {_describe(exc)}", ms=_ms(start))
        if item.expect_hash == digest and not s.force:
            return Outcome(item, "skipped", digest, ms=_ms(start))
        try:
            result = self.renderer.render(
                s.template, item.offer, format=s.format, quality=s.quality, locale=item.locale,
                scale=s.scale, strict=s.strict, context=s.context, collections=s.collections,
            )
        except OfferRenderError as exc:
            return Outcome(item, "error", digest, error=str(exc), ms=_ms(start))
        except Exception as exc:  # a bug on one offer must not stop the batch
            return Outcome(item, "error", digest, error=f"internal error: {_describe(exc)}",
                           ms=_ms(start))
        return Outcome(item, "ok", digest, result.data, warnings=report_warnings(result.report),
                       ms=_ms(start))


def write_outcome(outcome: Outcome, out_dir: Path) -> Outcome:
    """Write an ``ok`` outcome's image into ``out_dir`` (atomically, without a flush: the
    driver's group commit flushes a group at once); return the outcome with the image's
    sha256 instead of its bytes, or as an error naming the write that failed (with its
    errno). Other outcomes are returned as they are."""
    data = outcome.data
    if outcome.status != "ok" or data is None:
        return outcome
    start = time.perf_counter()
    try:
        write_atomic(out_dir / outcome.item.name, data, durable=False)
    except WriteError as exc:
        return replace(outcome, status="error", data=None, error=str(exc),
                       ms=outcome.ms + _ms(start), write_errno=exc.errno)
    return replace(outcome, data=None, ms=outcome.ms + _ms(start),
                   sha256=hashlib.sha256(data).hexdigest())


def report_warnings(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the report's warnings, the canvas's and every rectangle's, in one list."""
    found = list(report.get("warnings", []))
    for rect in report.get("rectangles", []):
        found.extend(rect.get("warnings", []))
    return found


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


# --- process-local state -----------------------------------------------------------

_STATES: dict[str, WorkerState] = {}
_STATES_LOCK = threading.Lock()
_KEEP = 4
"""Runs whose warm state a (Dask) worker keeps. Default: 4."""


def state_for(settings: Settings) -> WorkerState:
    """Return this process's warm state for ``settings``' run, making it on first use."""
    with _STATES_LOCK:
        state = _STATES.get(settings.run_id)
        if state is None:
            while len(_STATES) >= _KEEP:
                _STATES.pop(next(iter(_STATES)))
            state = _STATES[settings.run_id] = WorkerState(settings)
        return state


def process_chunk(items: Sequence[Item], settings: Settings) -> list[Outcome]:
    """Return the outcome of every item of one chunk (the task a pool or Dask worker runs),
    each naming its item without the offer: the driver holds the offer, and sending it
    back cost a pickling and an unpickling more per item (on Dask, in the scheduler's
    process too)."""
    state = state_for(settings)
    with quiet_collector():  # see offer_render.collector: collections cost 1-4% of a render
        return [state.process(item).without_offer() for item in items]


def process_packed_chunk(packed: bytes, settings: Settings) -> list[Outcome]:
    """Return :func:`process_chunk` of the chunk ``packed`` holds pickled (a Dask task).

    Dask's scheduler unpickles a task's arguments and pickles them again for the worker;
    a chunk of offers sent as one bytes object costs it a copy instead."""
    items: list[Item] = pickle.loads(packed)  # noqa: S301 - our own driver pickled it
    return process_chunk(items, settings)


# --- local process pool -------------------------------------------------------------

_POOL_SETTINGS: Settings | None = None


def init_pool_worker(
    settings: Settings, lifeline: Connection, inherited_write_end: int | None = None
) -> None:
    """Set up a pool worker: ignore Ctrl-C (the driver stops the pool), exit when the
    driver is gone, and make the warm state now, before the first task.

    ``lifeline`` is the read end of a pipe whose write end only the driver holds:
    it reads end-of-file as soon as the driver dies, even by SIGKILL. A forked
    worker inherits the write end too and closes it (``inherited_write_end``).
    """
    global _POOL_SETTINGS
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker has the driver's handler
    if inherited_write_end is not None:
        os.close(inherited_write_end)
    _POOL_SETTINGS = settings
    _watch_driver(lifeline)
    state_for(settings)


def run_pool_chunk(items: Sequence[Item]) -> list[Outcome]:
    """Return the outcome of every item of one chunk (the task a pool worker runs)."""
    assert _POOL_SETTINGS is not None, "init_pool_worker was not run"
    return process_chunk(items, _POOL_SETTINGS)


def _watch_driver(lifeline: Connection) -> None:
    """Exit at once when the driver is gone, rather than render for nobody.

    The parent process is no sign: forkserver workers are children of the
    forkserver, which outlives the driver as long as any worker does.
    """

    def watch() -> None:
        try:
            while True:
                lifeline.recv_bytes()
        except (EOFError, OSError):
            os._exit(1)

    threading.Thread(target=watch, name="offer-render-lifeline", daemon=True).start()

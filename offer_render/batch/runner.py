"""Drive a batch: take the offers file and options, render what is out of date, return a summary.

The driver (this process) reads and plans the items, checks existing outputs
against the manifest, hands chunks to a runner (this process, a local pool or
Dask) and records the outcomes. Workers write their images themselves, atomically
(:func:`offer_render.files.write_atomic`) but without a flush each; Dask workers that
do not see the output folder return the bytes and the driver writes them the same way. Durability
comes in groups (a group commit): every :data:`GROUP_ITEMS` items or
:data:`GROUP_SECONDS`, the driver flushes the output folder's filesystem once
(``syncfs``), then appends the group's manifest lines and fsyncs the manifest.
So a manifest line always names an image that is on disk; an image a crash
caught before its group's commit has no line, and the next run renders it again
(and the resume check compares every recorded image's sha256 with its file, so a
file a crash left short is found). Stale temp files of a killed run are removed
when the next run starts. A write that fails for the whole disk (full, over
quota, read-only, an I/O error) stops the run with
:class:`~offer_render.errors.WriteError`, after the manifest has recorded every
image written before it; one that fails for one file (its name too long) fails
that item only.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from offer_render.batch.executors import (
    DaskRunner,
    InlineRunner,
    PoolRunner,
    Runner,
    import_distributed,
)
from offer_render.batch.inputhash import font_dirs_fingerprint
from offer_render.batch.interrupts import InterruptGuard
from offer_render.batch.manifest import Manifest, Record, open_manifest
from offer_render.batch.plan import (
    Failure,
    Item,
    chunked,
    guided,
    plan_items,
    resource_key,
)
from offer_render.batch.progress import Progress
from offer_render.batch.reader import read_lines
from offer_render.batch.worker import Outcome, RenderOptions, Settings, write_outcome
from offer_render.config import BUNDLED_FONTS_DIR, RendererConfig
from offer_render.encode import normalize_format
from offer_render.errors import InvalidInputError, WriteError
from offer_render.files import sync_filesystem
from offer_render.locales import parse_locale_list

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"
GROUP_ITEMS = 256
"""Items per group commit: one filesystem flush and one manifest fsync for them all.
Default: 256 (an fsync per image cost more than rendering a small one)."""
GROUP_SECONDS = 1.0
"""Longest a group stays open, so a slow batch still commits every second. Default: 1."""
MAX_CHUNK = 32
"""Most items per chunk. Default: 32 (small enough to balance load and stop quickly)."""
DASK_MAX_CHUNK = 256
"""Most items per chunk on Dask when its workers write the images (see
:class:`~offer_render.batch.executors.DaskRunner`). Default: 256 (about 0.5 s of work).
Each Dask task costs CPU in the scheduler, the client and the worker's event loop
(Dask's best practices: tasks should take well over 100 ms, as each has about 1 ms of
overhead); measured with ``benchmarks/bench_batch.py`` on 2 cores, chunks of 32 left
Dask at 0.70x the local pool, chunks of 128 at 0.83-1.0x. Taken in turns against 128,
chunks of 256 rendered 1.07x as fast (1.078, 1.072, 1.074: 0.2 ms less CPU per item),
chunks of 512 1.07x too (1.082, 1.064, 1.066)."""
DASK_MAX_CHUNK_RETURNED = 128
"""Most items per chunk on Dask when its workers return the images to the driver (they
do not see the output folder): a chunk's images travel back in one message, 25 MB for
128 images of 200 KB. Default: 128."""
DASK_MIN_CHUNK = 8
"""Fewest items per chunk on Dask, so the end of a batch is not a tail of one-item tasks
that each pay a task's cost. Default: 8 (about 20 ms of work: a worker waits at most
that long for the other at the end)."""

_TEMP_RE = re.compile(r"^\..+\.(png|jpg|webp|avif)\.[^.]+\.tmp$")
"""Temp files ``write_atomic`` makes for our outputs: ``.<name>.<random>.tmp``."""

DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})
"""Write failures that concern the whole disk, not one file: they stop the batch, as
every later item would fail the same way (the disk does not heal by itself)."""


@dataclass(frozen=True, kw_only=True)
class BatchOptions(RenderOptions):
    """Everything one batch run needs; see ``offer-render batch --help`` for the meanings.

    The render flags (template, format, quality, scale, strict, context, collections,
    force) come from :class:`~offer_render.batch.worker.RenderOptions`.
    """

    offers: Path
    out_dir: Path
    config: RendererConfig = field(default_factory=RendererConfig)
    """The renderer's configuration; its network policy's ``allow_local_files`` is
    replaced by :attr:`allow_local_files`."""
    allow_local_files: bool = False
    """Whether URLs inside the templates (``background_url``, ``font_url`` and the
    stylesheets' font URLs) may name local files: plain paths and ``file://`` URLs,
    relative ones against ``config.network.base_dir``. Default: False, as offers
    files come from elsewhere, and a template naming ``file:///etc/...`` would
    otherwise render a file of this machine into a published image. A ``template``
    given here is the caller's own and is used as given."""
    locales: tuple[str, ...] | None = None
    """None: one image per offer in the default locale, no suffix in the file name."""
    jobs: int | None = None
    """Local worker processes. Default: the CPU count. 1 renders in this process."""
    executor: str = "local"
    scheduler: str | None = None
    progress: str = "auto"
    """``auto`` (bar on a terminal, else log lines), ``bar``, ``log`` or ``none``."""
    manifest: Path | None = None
    """Default: ``manifest.jsonl`` in ``out_dir``."""
    chunk_size: int | None = None
    """Items per task. Default: guided, up to 32 (128 on Dask) and shrinking towards the end
    of the batch."""


@dataclass(frozen=True)
class BatchSummary:
    """How a run went: item counts by status, wall time and the manifest's path."""

    total: int
    ok: int
    skipped: int
    error: int
    seconds: float
    manifest: Path

    @property
    def exit_code(self) -> int:
        """Return 3 when any item failed (the README's exit codes), else 0."""
        return 3 if self.error else 0


def default_jobs() -> int:
    """Return the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_batch(options: BatchOptions) -> BatchSummary:
    """Render every (offer, locale) of ``options.offers`` that is out of date; return counts.

    Raises InvalidInputError for bad options or an unreadable offers file (nothing
    is rendered then) and :class:`~offer_render.batch.interrupts.Interrupted` when
    stopped by SIGINT or SIGTERM, between items (the manifest then ends with a
    complete line), and :class:`~offer_render.errors.WriteError` when the disk cannot
    take an image or a manifest line (the manifest then holds whole lines for every
    image written). Call it under ``if __name__ == "__main__":``: in a threaded
    program pool workers start from a forkserver, which imports the main module.
    """
    fmt = normalize_format(options.format)
    locales = _locales(options.locales)
    if not options.offers.is_file():
        raise InvalidInputError([(str(options.offers), "no such file")])
    if options.executor not in ("local", "dask"):
        raise InvalidInputError([("executor", "must be local or dask")])
    if options.executor == "dask":
        import_distributed()
        if not options.scheduler:
            raise InvalidInputError(
                [("scheduler", "the dask executor needs a scheduler address")])
    policy = replace(options.config.network, allow_local_files=options.allow_local_files)
    options = replace(options, config=replace(options.config, network=policy))
    from offer_render.raster.freetype import require_raqm

    require_raqm()
    start = time.monotonic()
    total = count_items(options.offers, len(locales))
    with InterruptGuard() as guard:
        manifest = open_manifest(options.manifest or options.out_dir / MANIFEST_NAME)
        try:
            progress = _run(options, fmt, locales, total, manifest, guard)
        finally:
            manifest.close()
    c = progress.counts
    return BatchSummary(total, c["ok"], c["skipped"], c["error"], time.monotonic() - start,
                        manifest.path)


def _run(
    options: BatchOptions, fmt: str, locales: tuple[str | None, ...], total: int,
    manifest: Manifest, guard: InterruptGuard,
) -> Progress:
    """Render the batch into the open manifest; return the progress counts."""
    remove_temp_files(options.out_dir)
    settings = _settings(options, fmt)
    runner = _runner(options, settings)
    log.info("batch plan: items %d, executor %s, workers %d, local files %s", total,
             options.executor, runner.workers,
             "allowed" if options.allow_local_files else "refused")
    progress = Progress(total, mode=options.progress)
    driver = _Driver(options.out_dir, manifest, progress, settings.run_id)
    largest, smallest = chunk_bounds(runner)
    chunk_size = (
        (lambda _: options.chunk_size) if options.chunk_size
        else guided(total, runner.workers, largest=largest, smallest=smallest))
    entries = plan_items(read_lines(options.offers), locales, fmt)
    chunks = chunked(entries, chunk_size=chunk_size, on_failure=driver.failed,
                     key=_group_key(options.template))
    try:
        guard.check()
        for outcomes in runner.results((driver.prepared(c) for c in chunks), guard.check):
            driver.record(outcomes)
            guard.check()
    except BaseException:
        runner.close(cancel=True)
        remove_temp_files(options.out_dir)  # of images the stopped workers were writing
        driver.commit_after_failure()
        raise
    finally:
        progress.close()
    runner.close(cancel=False)
    driver.commit()
    return progress


def count_items(offers: Path, locales: int) -> int:
    """Return how many items the batch has: non-blank lines times locales."""
    with offers.open("rb") as fh:
        return sum(1 for raw in fh if raw.strip()) * locales


def remove_temp_files(out_dir: Path) -> int:
    """Delete temp files a killed run left in ``out_dir``; return how many."""
    if not out_dir.is_dir():
        return 0
    removed = 0
    for path in out_dir.iterdir():
        if _TEMP_RE.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def file_sha256(path: Path) -> str | None:
    """Return the hex sha256 of the file at ``path``, or None if it cannot be read."""
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


class _Driver:
    """Record outcomes: images written (by the driver for Dask), group commits of the
    images and their manifest lines, progress counts."""

    def __init__(self, out_dir: Path, manifest: Manifest, progress: Progress, run: str) -> None:
        self.out_dir = out_dir
        self.manifest = manifest
        self.progress = progress
        self.run = run
        self._pending: list[Record] = []
        self._images_pending = False
        self._opened = time.monotonic()

    def prepared(self, chunk: list[Item]) -> list[Item]:
        """Return ``chunk`` with ``expect_hash`` set where the existing output is verified."""
        return [self._expect(item) for item in chunk]

    def _expect(self, item: Item) -> Item:
        prev = self.manifest.previous.get((item.offer_id, item.locale))
        if (prev is None or prev.status not in ("ok", "skipped") or prev.path != item.name
                or not prev.sha256 or not prev.input_hash):
            return item
        if file_sha256(self.out_dir / item.name) != prev.sha256:
            return item
        return replace(item, expect_hash=prev.input_hash)

    def failed(self, failure: Failure) -> None:
        """Record an item that could not even be planned."""
        rec = Record(failure.offer_id, failure.locale, failure.line, "error",
                     error=failure.error, run=self.run)
        self._add([rec])

    def record(self, outcomes: list[Outcome]) -> None:
        """Record ``outcomes`` (writing the images a Dask worker returned) for the next
        group commit, committing when the group is full or old enough.

        Raises WriteError when the disk cannot take more (see :data:`DISK_ERRNOS`),
        after committing the images written before it.
        """
        records: list[Record] = []
        stop: WriteError | None = None
        for given in outcomes:
            # writes the image a Dask worker returned (it could not see the folder); an
            # outcome without bytes comes back as it is
            o = write_outcome(given, self.out_dir)
            if o.write_errno in DISK_ERRNOS:
                stop = WriteError(self.out_dir / o.item.name,
                                  OSError(o.write_errno, os.strerror(o.write_errno or 0)))
                break
            records.append(self._record(o))
        self._add(records)
        if stop is not None:
            self.commit()
            raise stop

    def _add(self, records: list[Record]) -> None:
        self._pending.extend(records)
        self._images_pending |= any(r.status == "ok" for r in records)
        for rec in records:
            self.progress.update(rec.status)
        if (len(self._pending) >= GROUP_ITEMS
                or time.monotonic() - self._opened >= GROUP_SECONDS):
            self.commit()

    def commit(self) -> None:
        """Make the pending group durable: flush its images' filesystem, then append and
        fsync its manifest lines. Raises WriteError when the disk refuses either."""
        if self._pending:
            if self._images_pending:
                sync_filesystem(self.out_dir)
            self.manifest.append(self._pending)
        self._pending = []
        self._images_pending = False
        self._opened = time.monotonic()

    def commit_after_failure(self) -> None:
        """Commit what is pending while the run stops for another reason; a disk that
        refuses now too is logged, so the reason the run stopped is the one raised."""
        try:
            self.commit()
        except WriteError as exc:
            log.warning("the last group of the batch could not be recorded: %s", exc)

    def _record(self, o: Outcome) -> Record:
        item = o.item
        base = Record(item.offer_id, item.locale, item.line, o.status, input_hash=o.input_hash,
                      warnings=o.warnings, ms=o.ms, run=self.run)
        if o.status == "ok":  # written
            return replace(base, path=item.name, sha256=o.sha256)
        if o.status == "skipped":
            prev = self.manifest.previous[(item.offer_id, item.locale)]
            return replace(base, path=prev.path, sha256=prev.sha256, warnings=prev.warnings)
        failed = replace(base, status="error", error=o.error or "unknown error")
        return self._with_stale_image(failed, item)

    def _with_stale_image(self, rec: Record, item: Item) -> Record:
        """Return ``rec`` naming the earlier image still on disk for the item, if any."""
        prev = self.manifest.previous.get((item.offer_id, item.locale))
        if prev is None or not prev.path or not prev.sha256:
            return rec
        if file_sha256(self.out_dir / prev.path) != prev.sha256:
            return rec
        return replace(rec, path=prev.path, sha256=prev.sha256, stale=True)


def _locales(locales: tuple[str, ...] | None) -> tuple[str | None, ...]:
    """Return the checked locales (each once), or ``(None,)``: one image in the default locale."""
    if locales is None:
        return (None,)
    return tuple(parse_locale_list(list(locales), "locales"))


def _settings(options: BatchOptions, fmt: str) -> Settings:
    dirs = (BUNDLED_FONTS_DIR, *options.config.font_dirs)
    run = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "/" + uuid.uuid4().hex[:8]
    flags = replace(options.render_options(), format=fmt)
    # Local workers share the driver's disk and write their images; Dask workers may not
    # (DaskRunner asks them, and lets them write when they see the folder).
    out_dir = None if options.executor == "dask" else options.out_dir
    return Settings(**vars(flags), run_id=run, config=options.config,
                    font_fingerprint=font_dirs_fingerprint(dirs), out_dir=out_dir)


def chunk_bounds(runner: Runner) -> tuple[int, int]:
    """Return the most and fewest items per chunk for ``runner`` (see ``MAX_CHUNK``,
    ``DASK_MAX_CHUNK``, ``DASK_MAX_CHUNK_RETURNED``, ``DASK_MIN_CHUNK``)."""
    if isinstance(runner, DaskRunner):
        writes = runner.settings.out_dir is not None
        return DASK_MAX_CHUNK if writes else DASK_MAX_CHUNK_RETURNED, DASK_MIN_CHUNK
    return MAX_CHUNK, 1


def _runner(options: BatchOptions, settings: Settings) -> Runner:
    if options.executor == "dask":
        assert options.scheduler is not None
        return DaskRunner(settings, options.scheduler, options.jobs, out_dir=options.out_dir)
    jobs = options.jobs or default_jobs()
    if jobs < 1:
        raise InvalidInputError([("jobs", "must be at least 1")])
    return InlineRunner(settings) if jobs == 1 else PoolRunner(settings, jobs)


def _group_key(template: Mapping[str, Any] | None) -> Any:
    if template is not None:
        return lambda item: ()
    return lambda item: resource_key(item.offer.get("image_template"))

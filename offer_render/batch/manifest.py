"""Keep the batch manifest: take item records, append them as durable JSON Lines; read them back.

One JSON object per line and item, appended as the batch goes:
``offer_id, locale, line, path, sha256, input_hash, status, error, warnings, ms, run,
stale``. Every append writes whole lines, then fsyncs, so after a crash or a kill
the file holds complete lines, plus at most one partial last line, which
:func:`open_manifest` cuts off before appending again. An append the disk cannot
take (full) is undone: the file is cut back to where it ended, and
:class:`~offer_render.errors.WriteError` is raised. A later record for the same
(offer id, locale) supersedes earlier ones. When a run opens a manifest holding more
than :data:`COMPACT_RATIO` lines per item, it first rewrites it (atomically, under
the lock) with only the latest record of each item, so re-runs do not grow it
without bound.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from offer_render.batch.keyindex import KeyIndex
from offer_render.errors import InvalidInputError, WriteError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None  # type: ignore[assignment]

STATUSES = ("ok", "skipped", "error")

COMPACT_RATIO = 2
"""Lines per item above which opening the manifest compacts it. Default: 2, so the file
stays under about three lines per item while a compaction happens at most every other
re-run of the same offers."""


@dataclass(frozen=True)
class Record:
    """One manifest line: what happened to one (offer, locale) item."""

    offer_id: str | None
    locale: str | None
    line: int
    status: str
    """``ok`` (rendered and written), ``skipped`` (up to date) or ``error``."""
    path: str | None = None
    """Output file, relative to the output folder."""
    sha256: str | None = None
    """sha256 of the output file's bytes."""
    input_hash: str | None = None
    error: str | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    ms: float = 0.0
    """Time spent on the item (hashing, rendering, writing), in milliseconds."""
    run: str = ""
    """When the run that wrote the record started (UTC, ISO 8601)."""
    stale: bool = False
    """On an error: ``path`` still holds the image an earlier run wrote (``sha256`` is
    its hash), which no longer matches the inputs. It is kept, not deleted, so a
    site serving the folder shows the old image rather than none."""

    def to_json(self) -> bytes:
        """Return the record as one JSON line, newline included."""
        # A shallow dict, not dataclasses.asdict: asdict deep-copies every value (the
        # warnings' dicts too), which cost the driver about 0.15 ms per item.
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["ms"] = round(self.ms, 2)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record | None:
        """Return the record a parsed manifest line holds, or None if it is not one."""
        try:
            rec = cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError:
            return None
        return rec if rec.status in STATUSES else None


ItemKey = tuple[str | None, str | None]
"""(offer id, locale)."""


class PreviousRecords:
    """The latest record per (offer id, locale) that earlier runs left, kept on disk
    (a :class:`~offer_render.batch.keyindex.KeyIndex`): a re-run of a million offers
    holds them in constant memory."""

    def __init__(self) -> None:
        self._index = KeyIndex()

    @staticmethod
    def _key(key: ItemKey) -> str:
        return json.dumps(key, ensure_ascii=False)

    def add_lines(self, lines: Iterable[tuple[ItemKey, bytes]]) -> None:
        """Store each (item, manifest line); a later line for an item replaces the earlier."""
        self._index.put_many((self._key(k), line) for k, line in lines)

    def get(self, key: ItemKey) -> Record | None:
        """Return the latest earlier record of the item ``key``, or None."""
        line = self._index.get(self._key(key))
        return _parse(line) if isinstance(line, bytes) else None

    def __getitem__(self, key: ItemKey) -> Record:
        rec = self.get(key)
        if rec is None:
            raise KeyError(key)
        return rec

    def __len__(self) -> int:
        return len(self._index)

    def items(self) -> Iterator[tuple[ItemKey, Record]]:
        """Yield every (item, latest record), items in the order first recorded."""
        for line in self._index.values():
            rec = _parse(line) if isinstance(line, bytes) else None
            if rec is not None:
                yield (rec.offer_id, rec.locale), rec

    def values(self) -> Iterator[Record]:
        """Yield every latest record, items in the order first recorded."""
        return (rec for _, rec in self.items())

    def close(self) -> None:
        """Drop the records (and their temporary file)."""
        self._index.close()


class Manifest:
    """An open manifest: the records earlier runs left, and appends for this run."""

    def __init__(self, path: Path, fh: BinaryIO, previous: PreviousRecords) -> None:
        self.path = path
        self._fh = fh
        self.previous = previous
        """Latest earlier record per (offer id, locale)."""

    def append(self, records: Iterable[Record]) -> None:
        """Append whole lines for ``records``, then fsync; all of them or, on a failure, none.

        The batch appends one group at a time, after the group's images are on disk.

        The bytes go straight to the file descriptor (no buffer that could flush half
        a line later). When a write or the fsync fails (a full disk), the file is cut
        back to its previous end and WriteError is raised naming the manifest.
        """
        data = b"".join(r.to_json() for r in records)
        if not data:
            return
        fd = self._fh.fileno()
        try:
            end = os.fstat(fd).st_size
        except OSError as exc:
            raise WriteError(self.path, exc) from None
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, end)
                os.lseek(fd, end, os.SEEK_SET)  # a compacted manifest is not in append mode
                os.fsync(fd)
            raise WriteError(self.path, exc) from None

    def close(self) -> None:
        """Release the lock, close the file and drop the earlier records."""
        self._fh.close()
        self.previous.close()


def open_manifest(path: Path) -> Manifest:
    """Open (or create) the manifest at ``path`` for appending, locked against other runs.

    Reads the records already there, cutting a partial last line (a run killed
    mid-write) so the file again ends with a complete line. Raises
    InvalidInputError when another batch holds the lock, WriteError when the file
    cannot be created or opened for writing.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh: BinaryIO = path.open("a+b")
    except OSError as exc:
        raise WriteError(path, exc) from None
    previous = PreviousRecords()
    try:
        _lock(fh, path)
        lines = _read_and_repair(fh, previous)
        _remove_compaction_leftovers(path)
        if lines > COMPACT_RATIO * max(1, len(previous)):
            fh = _compacted(path, fh, previous)
    except BaseException:
        fh.close()
        previous.close()
        raise
    return Manifest(path, fh, previous)


def _compacted(path: Path, fh: BinaryIO, latest: PreviousRecords) -> BinaryIO:
    """Replace the manifest with the latest record per item; return the new file, locked.

    The new file is locked before it takes the manifest's name, so no other run can
    slip in between. On any OS error the old file is kept and returned.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.compact.tmp")
    try:
        new = tmp.open("w+b")
    except OSError:
        return fh
    try:
        _lock(new, path)
        chunk: list[bytes] = []
        for rec in latest.values():  # streamed: bounded memory for huge manifests
            chunk.append(rec.to_json())
            if len(chunk) >= 10_000:
                new.write(b"".join(chunk))
                chunk = []
        new.write(b"".join(chunk))
        new.flush()
        os.fsync(new.fileno())
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):  # closing flushes what a full disk refused
            new.close()
        tmp.unlink(missing_ok=True)
        return fh
    fh.close()
    return new


def _remove_compaction_leftovers(path: Path) -> None:
    """Delete the temp files of a compaction a killed run left (the lock is held)."""
    for leftover in path.parent.glob(f".{path.name}.*.compact.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def read_records(path: Path) -> list[Record]:
    """Return every complete record in the manifest at ``path``, in file order."""
    with path.open("rb") as fh:
        return [r for r in (_parse(line) for line in fh if line.endswith(b"\n")) if r]


def _lock(fh: BinaryIO, path: Path) -> None:
    if fcntl is None:
        return
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise InvalidInputError(
            [(str(path), "another batch is writing this manifest (its folder is in use)")]
        ) from None


def _read_and_repair(fh: BinaryIO, latest: PreviousRecords) -> int:
    """Store the latest record per item in ``latest``; return how many complete lines
    the file holds.

    The file is read line by line (a manifest of a million items is hundreds of MB);
    a partial last line is cut off.
    """
    fh.seek(0)
    lines = end = 0
    partial = False

    def records() -> Iterator[tuple[ItemKey, bytes]]:
        nonlocal lines, end, partial
        for line in fh:
            if not line.endswith(b"\n"):
                partial = True
                return
            lines += 1
            end += len(line)
            rec = _parse(line)
            if rec is not None and rec.offer_id is not None:
                yield (rec.offer_id, rec.locale), line

    latest.add_lines(records())
    if partial:
        with contextlib.suppress(OSError):
            os.ftruncate(fh.fileno(), end)
            os.fsync(fh.fileno())
    fh.seek(0, os.SEEK_END)
    return lines


def _parse(line: bytes) -> Record | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return Record.from_json(data) if isinstance(data, dict) else None

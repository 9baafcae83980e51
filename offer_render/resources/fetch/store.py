"""Keep fetched responses between renders: in memory, on disk, or both; take and give Fetched.

The disk cache is content-addressed: bodies live under ``blobs/`` named by their
sha256, and ``urls/`` holds one small JSON record per URL (validators,
lifetime, when it was last checked, the body's digest). Every write is named only
once whole (:func:`offer_render.files.write_atomic`), so a reader sees the old entry
or the new one, never half of one, and writers of one key race harmlessly. Every read
is verified (the body's sha256 must match its name; the record must parse): a corrupt
or truncated entry is a miss, is removed, and is logged.
A record of an older format (see :data:`RECORD_VERSION`) is a miss too.

What may be stored is the caching fetcher's decision
(:class:`~offer_render.resources.fetch.caching.CachingFetcher`); these only keep it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from offer_render.cache import BoundedCache
from offer_render.files import write_atomic
from offer_render.gil import outside_turn
from offer_render.resources.fetch.model import CachedResponse, Fetched, VaryValues

log = logging.getLogger(__name__)

RECORD_VERSION = 2
"""Format of the per-URL records; a record of another version is a miss. 2 added ``vary``
(the request header values a response was stored for, RFC 9111 section 4.1)."""


def _response_bytes(response: CachedResponse) -> int:
    return 512 + len(response.fetched.data)


class MemoryFetchCache:
    """Responses in memory, least recently used dropped first, bounded in bytes."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._cache: BoundedCache[CachedResponse] = BoundedCache(max_bytes, _response_bytes)

    def get(self, url: str) -> CachedResponse | None:
        """Return the response held for ``url``, or None."""
        return self._cache.get(url)

    def put(self, url: str, response: CachedResponse) -> None:
        """Hold ``response`` for ``url``."""
        self._cache.put(url, response)


class DiskFetchCache:
    """Responses on disk under ``root``, content-addressed, written atomically, verified on read.

    Bodies are kept to about ``max_bytes``: when a write takes the total over it, the
    least recently used bodies (by modification time, which every read refreshes) are
    removed until it is 90% full; a record whose body is gone is a miss.
    """

    def __init__(self, root: Path, max_bytes: int = 2 * 1024**3) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._total: int | None = None
        self._lock = threading.Lock()

    def _record_path(self, url: str) -> Path:
        name = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / "urls" / name[:2] / f"{name}.json"

    def _blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest

    def get(self, url: str) -> CachedResponse | None:
        """Return the stored response for ``url``; None if absent, unreadable or corrupt."""
        record_path = self._record_path(url)
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            if not isinstance(record, dict) or record.get("v") != RECORD_VERSION:
                self._discard(record_path)  # an older format: a miss, nothing wrong
                return None
            digest = str(record["digest"])
            blob = self._blob_path(digest)
            data = blob.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as e:
            log.warning("cannot read the disk cache entry of %s at %s: %s", url,
                        e.filename or record_path, e.strerror or e)
            return None
        except (ValueError, KeyError, TypeError) as e:
            self._corrupt(url, record_path, f"unreadable record ({e})", record_path)
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            self._corrupt(url, blob, "body does not match its sha256", record_path, blob)
            return None
        try:
            fetched = _fetched(record, url, data)
            checked_at = float(record["checked_at"])
        except (ValueError, KeyError, TypeError) as e:
            self._corrupt(url, record_path, f"unreadable record ({e})", record_path)
            return None
        with contextlib.suppress(OSError):
            os.utime(blob)  # recently used: pruned last
        fetched.__dict__["digest"] = digest  # verified above: no need to hash again
        return CachedResponse(fetched, checked_at)

    def put(self, url: str, response: CachedResponse) -> None:
        """Store ``response`` for ``url``: the body first, then the record that names it."""
        fetched = response.fetched
        blob = self._blob_path(fetched.digest)
        if not blob.exists():
            write_atomic(blob, fetched.data)
            self._grew(len(fetched.data))
        record = {
            "v": RECORD_VERSION,
            "url": url,
            "final_url": fetched.url,
            "digest": fetched.digest,
            "size": len(fetched.data),
            "content_type": fetched.content_type,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "max_age": fetched.max_age,
            "vary": [list(pair) for pair in fetched.vary],
            "checked_at": response.checked_at,
        }
        write_atomic(self._record_path(url), json.dumps(record, sort_keys=True).encode())

    def _grew(self, added: int) -> None:
        """Count ``added`` bytes; prune the least recently used bodies when over budget."""
        with self._lock:
            if self._total is None:
                self._total = sum(size for _, _, size in self._blobs())
            else:
                self._total += added
            if self._total <= self.max_bytes:
                return
            blobs = sorted(self._blobs())  # oldest first
            target = self.max_bytes * 9 // 10
            for _, path, size in blobs:
                if self._total <= target:
                    break
                self._discard(path)
                self._total -= size

    def _blobs(self) -> list[tuple[float, Path, int]]:
        """Return (last use, path, size) of every stored body."""
        out = []
        for path in (self.root / "blobs").glob("*/*"):
            with contextlib.suppress(OSError):
                st = path.stat()
                out.append((st.st_mtime, path, st.st_size))
        return out

    def _discard(self, *paths: Path) -> None:
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()

    def _corrupt(self, url: str, where: Path, why: str, *paths: Path) -> None:
        """Drop a corrupt entry of ``url`` (its ``paths``), saying so: a disk or a writer
        outside the engine damaged the cache, which an operator may want to know."""
        log.warning("dropped a corrupt disk cache entry of %s at %s: %s", url, where, why)
        self._discard(*paths)


class LayeredFetchCache:
    """Memory in front of disk: reads try memory first; writes go to both."""

    def __init__(self, memory: MemoryFetchCache, disk: DiskFetchCache | None) -> None:
        self.memory = memory
        self.disk = disk

    def get(self, url: str) -> CachedResponse | None:
        """Return the response for ``url`` from memory, else from disk (then kept in memory)."""
        hit = self.memory.get(url)
        if hit is None and self.disk is not None:
            with outside_turn():  # reads the disk: see offer_render.gil
                hit = self.disk.get(url)
            if hit is not None:
                self.memory.put(url, hit)
        return hit

    def put(self, url: str, response: CachedResponse) -> None:
        """Store ``response`` in memory and, if there is one, on disk."""
        self.memory.put(url, response)
        if self.disk is not None:
            try:
                with outside_turn():  # writes the disk: see offer_render.gil
                    self.disk.put(url, response)
            except OSError as e:
                # a full or read-only disk costs a later download, not this render
                log.warning("cannot write %s to the disk cache at %s: %s", url,
                            e.filename or self.disk.root, e.strerror or e)


def _fetched(record: dict[str, Any], url: str, data: bytes) -> Fetched:
    """Return the Fetched a verified record of ``url`` describes, with its body ``data``."""
    if record.get("url") != url:
        raise ValueError("the record is of another URL")  # noqa: EM101 - caught by the caller
    vary: VaryValues = tuple(
        (str(name), None if value is None else str(value)) for name, value in record["vary"]
    )
    return Fetched(
        url=str(record["final_url"]),
        data=data,
        content_type=record.get("content_type"),
        etag=record.get("etag"),
        last_modified=record.get("last_modified"),
        max_age=record.get("max_age"),
        vary=vary,
    )

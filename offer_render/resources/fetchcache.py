"""Keep fetched responses between renders: in memory, on disk, or both; take and give Fetched.

The disk cache is content-addressed: bodies live under ``blobs/`` named by their
sha256, and ``urls/`` holds one small JSON record per URL (validators,
lifetime, when it was last checked, the body's digest). Every write goes to a
temporary file in the same folder and is renamed into place, so a reader sees
the old entry or the new one, never half of one, and writers of one key race
harmlessly. Every read is verified (the body's sha256 must match its name; the
record must parse): a corrupt or truncated entry is a miss and is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from pathlib import Path

from offer_render.cache import BoundedCache
from offer_render.files import write_atomic
from offer_render.resources.fetch import CachedResponse, Fetched

_RECORD_VERSION = 1


def _response_bytes(response: CachedResponse) -> int:
    return 512 + len(response.fetched.data)


class MemoryFetchCache:
    """Responses in memory, least recently used dropped first, bounded in bytes."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
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
            if record.get("v") != _RECORD_VERSION or record.get("url") != url:
                raise ValueError("stale record format")  # noqa: EM101 - internal, caught below
            digest = str(record["digest"])
            data = self._blob_path(digest).read_bytes()
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            self._discard(record_path)
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            self._discard(record_path, self._blob_path(digest))
            return None
        with contextlib.suppress(OSError):
            os.utime(self._blob_path(digest))  # recently used: pruned last
        fetched = Fetched(
            url=str(record["final_url"]),
            data=data,
            content_type=record.get("content_type"),
            etag=record.get("etag"),
            last_modified=record.get("last_modified"),
            max_age=record.get("max_age"),
        )
        fetched.__dict__["digest"] = digest  # verified above: no need to hash again
        return CachedResponse(fetched, float(record["checked_at"]))

    def put(self, url: str, response: CachedResponse) -> None:
        """Store ``response`` for ``url``: the body first, then the record that names it."""
        fetched = response.fetched
        blob = self._blob_path(fetched.digest)
        if not blob.exists():
            write_atomic(blob, fetched.data)
            self._grew(len(fetched.data))
        record = {
            "v": _RECORD_VERSION,
            "url": url,
            "final_url": fetched.url,
            "digest": fetched.digest,
            "size": len(fetched.data),
            "content_type": fetched.content_type,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "max_age": fetched.max_age,
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


class LayeredFetchCache:
    """Memory in front of disk: reads try memory first; writes go to both."""

    def __init__(self, memory: MemoryFetchCache, disk: DiskFetchCache | None) -> None:
        self.memory = memory
        self.disk = disk

    def get(self, url: str) -> CachedResponse | None:
        """Return the response for ``url`` from memory, else from disk (then kept in memory)."""
        hit = self.memory.get(url)
        if hit is None and self.disk is not None:
            hit = self.disk.get(url)
            if hit is not None:
                self.memory.put(url, hit)
        return hit

    def put(self, url: str, response: CachedResponse) -> None:
        """Store ``response`` in memory and, if there is one, on disk."""
        self.memory.put(url, response)
        if self.disk is not None:
            try:
                self.disk.put(url, response)
            except OSError:
                pass  # a full or read-only disk costs a later download, not this render

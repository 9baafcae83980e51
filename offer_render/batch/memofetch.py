"""Keep fetched resources for a whole batch: take a Fetcher, return one that fetches each URL once.

A batch renders the same few stylesheets, fonts and backgrounds thousands of
times; :class:`MemoFetcher` keeps the bytes (and their sha256, for the input
hash) in memory, bounded by total size, and remembers failures for a short
while so a dead font host costs one deadline per worker, not one per offer.
Unlike the renderer's HTTP cache it does not revalidate: a run works from one
snapshot of each resource, so the input hash and the image agree.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from offer_render.errors import ResourceError
from offer_render.resources.fetch import Fetched, Fetcher

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
"""Most bytes kept in memory per worker. Default: 256 MiB (a few backgrounds and fonts)."""

FAILURE_TTL = 60.0
"""Seconds a failed fetch is remembered (and re-raised without fetching). Default: 60, so a
batch does not wait on a dead host once per offer, yet a transient failure heals."""


@dataclass(frozen=True)
class _Entry:
    fetched: Fetched | None
    digest: str
    error: ResourceError | None
    at: float


class MemoFetcher:
    """Wrap a :class:`Fetcher`: answer repeated fetches of a URL from memory; thread-safe."""

    def __init__(
        self, inner: Fetcher, *, max_bytes: int = DEFAULT_MAX_BYTES,
        failure_ttl: float = FAILURE_TTL,
    ) -> None:
        self.inner = inner
        self.max_bytes = max_bytes
        self.failure_ttl = failure_ttl
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        """Return the bytes at ``url`` as the wrapped fetcher does, from memory when seen before."""
        entry = self._entry(url, max_bytes=max_bytes, what=what)
        if entry.error is not None:
            raise entry.error
        assert entry.fetched is not None
        return entry.fetched

    def digest(self, url: str, *, max_bytes: int, what: str) -> str:
        """Return ``sha256:<hex>`` of the bytes at ``url``, or ``error:<reason>`` if not had."""
        return self._entry(url, max_bytes=max_bytes, what=what).digest

    def _entry(self, url: str, *, max_bytes: int, what: str) -> _Entry:
        key = (url, what)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._fresh(entry, max_bytes):
                self._entries.move_to_end(key)
                return entry
        entry = self._load(url, max_bytes=max_bytes, what=what)
        with self._lock:
            self._store(key, entry)
        return entry

    def _fresh(self, entry: _Entry, max_bytes: int) -> bool:
        if entry.error is not None:
            return time.monotonic() - entry.at < self.failure_ttl
        assert entry.fetched is not None
        return len(entry.fetched.data) <= max_bytes

    def _load(self, url: str, *, max_bytes: int, what: str) -> _Entry:
        try:
            fetched = self.inner.fetch(url, max_bytes=max_bytes, what=what)
        except ResourceError as exc:
            return _Entry(None, f"error:{exc.reason}", exc, time.monotonic())
        digest = "sha256:" + fetched.digest
        return _Entry(fetched, digest, None, time.monotonic())

    def _store(self, key: tuple[str, str], entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None and old.fetched is not None:
            self._size -= len(old.fetched.data)
        size = len(entry.fetched.data) if entry.fetched is not None else 0
        if size > self.max_bytes:
            return
        self._entries[key] = entry
        self._size += size
        while self._size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            if evicted.fetched is not None:
                self._size -= len(evicted.fetched.data)

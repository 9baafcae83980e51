"""Keep fetched resources for a whole batch: take a Fetcher, return one that fetches each URL once.

A batch renders the same few stylesheets, fonts and backgrounds thousands of
times; :class:`MemoFetcher` keeps the bytes (and their sha256, for the input
hash) in memory, bounded by total size, and remembers failures for a short
while so a dead font host costs one deadline per worker, not one per offer.
Unlike the renderer's HTTP cache it does not revalidate: a run works from one
snapshot of each resource, so the input hash and the image agree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from offer_render.cache import BoundedCache
from offer_render.config import CacheLimits
from offer_render.errors import ResourceError
from offer_render.resources.fetch import Fetched, Fetcher

DEFAULT_MAX_BYTES = CacheLimits().fetch_bytes
"""Most bytes kept in memory per worker. Default: ``CacheLimits.fetch_bytes`` (32 MiB: the
fonts and a few backgrounds; a background dropped is read again from the disk cache)."""

FAILURE_TTL = 60.0
"""Seconds a failed fetch is remembered (and re-raised without fetching). Default: 60, so a
batch does not wait on a dead host once per offer, yet a transient failure heals."""

ENTRY_OVERHEAD = 256
"""Bytes counted per entry on top of its body, so remembered failures (no body) are
bounded too. Default: 256 (about what the entry and its key take)."""


@dataclass(frozen=True)
class _Entry:
    fetched: Fetched | None
    digest: str
    error: ResourceError | None
    at: float


def _entry_size(entry: _Entry) -> int:
    return ENTRY_OVERHEAD + (len(entry.fetched.data) if entry.fetched is not None else 0)


class MemoFetcher:
    """Wrap a :class:`Fetcher`: answer repeated fetches of a URL from memory; thread-safe.

    Entries live in a :class:`~offer_render.cache.BoundedCache` keyed by (URL, what),
    least recently used dropped first once ``max_bytes`` is reached.
    """

    def __init__(
        self, inner: Fetcher, *, max_bytes: int = DEFAULT_MAX_BYTES,
        failure_ttl: float = FAILURE_TTL,
    ) -> None:
        self.inner = inner
        self.max_bytes = max_bytes
        self.failure_ttl = failure_ttl
        self._entries: BoundedCache[_Entry] = BoundedCache(max_bytes, _entry_size)
        self.loads = 0
        """How many times a URL was fetched from the wrapped fetcher (a first fetch, a
        failure retried, a body dropped for the budget and fetched again): while it
        stays the same, every URL answers with the bytes it answered before."""

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
        entry = self._entries.get(key)
        if entry is not None and self._fresh(entry, max_bytes):
            return entry
        return self._entries.put(key, self._load(url, max_bytes=max_bytes, what=what))

    def _fresh(self, entry: _Entry, max_bytes: int) -> bool:
        if entry.error is not None:
            return time.monotonic() - entry.at < self.failure_ttl
        assert entry.fetched is not None
        return len(entry.fetched.data) <= max_bytes

    def _load(self, url: str, *, max_bytes: int, what: str) -> _Entry:
        self.loads += 1
        try:
            fetched = self.inner.fetch(url, max_bytes=max_bytes, what=what)
        except ResourceError as exc:
            return _Entry(None, f"error:{exc.reason}", exc, time.monotonic())
        digest = "sha256:" + fetched.digest
        return _Entry(fetched, digest, None, time.monotonic())

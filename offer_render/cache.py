"""Keep computed values in memory: a thread-safe LRU cache bounded by an estimate of bytes.

Takes keys, a function that computes a missing value and one that estimates a
value's size; returns cached values. The lock is held only around dictionary
operations, never while a value is computed, so threads do not wait on each
other's work (two threads may compute the same value once each; both results
are equal, the second is dropped).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """An LRU mapping whose values' estimated sizes add up to at most ``max_bytes``."""

    def __init__(self, max_bytes: int, size_of: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        """Return the value cached under ``key`` (marking it recently used), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: V) -> V:
        """Store ``value`` under ``key``, evicting the least recently used; return it.

        A value larger than the whole budget is returned but not kept.
        """
        size = self._size_of(value)
        if size > self.max_bytes:
            return value
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """Return the cached value for ``key``, computing and storing it when missing."""
        value = self.get(key)
        if value is None:
            value = self.put(key, make())
        return value

    def get_or_admit(
        self, key: Hashable, make: Callable[[], V], admit: Callable[[Hashable], bool] | None
    ) -> V | None:
        """Return the cached value for ``key``; on a miss, compute and keep it when
        ``admit`` (if given) lets ``key`` in, else return None."""
        value = self.get(key)
        if value is None and (admit is None or admit(key)):
            value = self.put(key, make())
        return value

    @property
    def size_bytes(self) -> int:
        """Return the estimated bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._items.clear()
            self._bytes = 0


class Doorkeeper:
    """Remember the last ``max_keys`` keys seen; say whether a key was seen before.

    Put in front of a cache of costly derived values (a background encoded as bands)
    so that a key met only once (a one-off background) is never worth the work.
    """

    def __init__(self, max_keys: int) -> None:
        self.max_keys = max_keys
        self._keys: OrderedDict[Hashable, None] = OrderedDict()
        self._lock = threading.Lock()

    def seen_before(self, key: Hashable) -> bool:
        """Return whether ``key`` was seen before (and remember it now)."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return True
            self._keys[key] = None
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)
            return False

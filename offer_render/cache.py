"""Keep computed values in memory: take keys, makers and size estimates; return cached values.

Every cache of the engine is a :class:`BoundedCache`: a thread-safe LRU bounded by an
estimate of the bytes its values hold. The lock is held only around dictionary
operations, never while a value is computed, so threads do not wait on each other's
work (two threads may compute the same value once each; both results are equal, the
second is dropped).

Caches shared by every :class:`~offer_render.api.Renderer` of a process (parsed fonts,
HarfBuzz and FreeType fonts, small memos) are made with :func:`process_cache`, which
registers them by name: :func:`set_process_budgets` sizes them all from one
:class:`~offer_render.config.CacheLimits`, :func:`clear_process_caches` empties them,
and :func:`process_caches` lists them (for budgets and metrics). A Renderer's own
caches are made by :class:`~offer_render.renderer_caches.RendererCaches`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar, cast

from offer_render.config import CacheLimits

V = TypeVar("V")
_T = TypeVar("_T")


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
            self._evict()
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

    def pop(self, key: Hashable) -> V | None:
        """Remove and return the value under ``key``, or None."""
        with self._lock:
            item = self._items.pop(key, None)
            if item is None:
                return None
            self._bytes -= item[1]
            return item[0]

    def resize(self, max_bytes: int) -> None:
        """Set the budget to ``max_bytes``, dropping the least recently used values over it."""
        with self._lock:
            self.max_bytes = max_bytes
            self._evict()

    def _evict(self) -> None:
        while self._bytes > self.max_bytes and self._items:
            _, (_, evicted) = self._items.popitem(last=False)
            self._bytes -= evicted

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


class BoundedMemo(BoundedCache[Any]):
    """A bounded cache of values of any type, typed per call: ``get_or_make(key, make)``.

    For memos whose values differ by key (parsed fonts and rejection messages, say),
    where one value type for the whole cache would not hold.
    """

    def get_or_make(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """Return the value stored under ``key``, making and storing it on a miss."""
        return cast(_T, super().get_or_make(key, make))


_REGISTRY: dict[str, BoundedCache[Any]] = {}
_REGISTRY_LOCK = threading.Lock()


def process_cache(name: str, size_of: Callable[[Any], int]) -> BoundedMemo:
    """Return the process-wide cache called ``name``, made and registered on first call.

    ``name`` must be one of :meth:`CacheLimits.process_budgets` (so no cache escapes
    the budget); the cache starts with that default budget until
    :func:`set_process_budgets` gives it another.
    """
    budgets = CacheLimits().process_budgets()
    if name not in budgets:
        msg = f"no budget for the process-wide cache {name!r} in CacheLimits"
        raise KeyError(msg)
    with _REGISTRY_LOCK:
        found = _REGISTRY.get(name)
        if found is None:
            found = _REGISTRY[name] = BoundedMemo(budgets[name], size_of)
        return cast(BoundedMemo, found)


def process_caches() -> dict[str, BoundedCache[Any]]:
    """Return every process-wide cache made so far, by name."""
    with _REGISTRY_LOCK:
        return dict(_REGISTRY)


def set_process_budgets(budgets: Mapping[str, int]) -> None:
    """Give the process-wide caches named in ``budgets`` those byte budgets.

    A cache not made yet takes its budget when it is made: modules make their caches
    on import, which the engine's pipeline has done before any Renderer exists.
    """
    for name, cache in process_caches().items():
        if name in budgets:
            cache.resize(budgets[name])


def clear_process_caches() -> None:
    """Forget what every Renderer of this process shares: parsed fonts and stylesheets,
    sanitized fonts, HarfBuzz and FreeType fonts, small memos. For benchmarks of cold
    renders and for tests; a Renderer's own caches go with the Renderer."""
    for cache in process_caches().values():
        cache.clear()


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

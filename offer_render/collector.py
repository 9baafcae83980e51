"""Take a stretch of rendering work; run it with Python's cyclic garbage collector kept quiet.

A warm renderer holds about 150,000 objects the cyclic collector tracks (the layout,
glyph and layer caches, parsed fonts, modules). A full collection walks them all
(about 0.15 s here), and the caches' churn promotes objects that set one off every
few thousand renders: on the batch benchmark's offers, collections took 1-4% of the
render time. Reference counting, not the collector, frees what a render drops; the
collector is only needed for cycles.

:func:`quiet_collector` freezes every object alive when the stretch starts
(``gc.freeze``: moved to a permanent generation collections skip), raises the
youngest generation's threshold to :data:`YOUNG_THRESHOLD`, and undoes both when it
ends (``gc.unfreeze`` moves the frozen objects back into the oldest generation, so a
cycle among them is found by a later full collection: nothing leaks). Both settings
are the process's, so nested and concurrent stretches share one: the first to start
applies them, the last to end restores them; and a process that froze objects itself
(``gc.get_freeze_count()`` not 0) is left as it is. The batch runs each item (in
process) or chunk (in a pool or Dask worker) in one, the render pool each task: a
Dask worker's own objects are frozen only while a chunk renders.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 10_000
"""Allocations of tracked objects (net of those freed) between collections of the youngest
generation during a stretch. Default: 10,000, against Python's 700: a render allocates
and frees thousands, and what stays (cache entries) is long-lived."""

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None
"""The thresholds before the outermost stretch; None when it froze nothing (see above)."""


@contextmanager
def quiet_collector() -> Iterator[None]:
    """Run the body with the objects alive now frozen and young collections rarer."""
    _enter()
    try:
        yield
    finally:
        _exit()


def _enter() -> None:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = None
            if gc.get_freeze_count() == 0 and gc.isenabled():
                _saved = gc.get_threshold()
                gc.freeze()
                if _saved[0] > 0:  # a threshold of 0 turns collection off: kept
                    gc.set_threshold(max(_saved[0], YOUNG_THRESHOLD), *_saved[1:])
        _depth += 1


def _exit() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth == 0 and _saved is not None:
            gc.set_threshold(*_saved)
            gc.unfreeze()

"""Take nothing; let one thread at a time compute a render, and others in while it waits.

A warm render is mostly Python, which holds the GIL, with a few dozen short Pillow,
HarfBuzz and FreeType calls that release it. When two threads render at once, each of
those releases hands the GIL to the other thread, which was waiting for it; the thread
that released it then waits in turn, and the handover costs more than the call it let
run in parallel. On a 1080x1080 JPEG, two threads sharing one Renderer rendered 0.95x
as fast as one thread (``benchmarks/bench_threads.py``, measured in turns); the same
two threads taking a lock around each whole render, 1.01x that day (0.97x to 1.00x in
later runs, below).

So a render computes in a *turn*: :func:`render_turn` is a process-wide lock a render
holds from its start to its end, and a thread that wants to render waits on it, asleep,
instead of on the GIL. A render gives the turn up (:func:`outside_turn`) where it waits
rather than computes, so other threads render meanwhile: where the standard fetcher
reads the network, a local file or the disk cache (not where it answers from memory, as
warm renders do a few times each), for the whole call of a fetcher of the caller's
(:class:`TurnFreeFetcher`), and while the font sanitizer's subprocess runs. Two ways to
share more measured worse: the turn around smaller stages only (validation, layout,
encoding), 0.93x, and the turn given up while the JPEG codec compresses with the GIL
released, 0.95x: in both, what ran outside the turn handed the GIL over as before. A
turn is the thread's own: taking it again inside it does nothing.

So two threads render at one thread's rate at best, not faster, and measure 0.97x to
1.00x one thread. Where the last 2-3% goes was not pinned down: about one render in ten
moves to the other thread, and so to the other core, its caches cold; each release wakes
the waiting thread (one more interrupt per render); and on a virtual machine work on one
vCPU slows the other (a waiter polling every 0.5 ms instead of sleeping made it 0.94x).
About 30% of a warm render's time is in Pillow calls that let the GIL go (pasting,
cropping and converting pixels, the JPEG codec; py-spy's ``--native`` samples), but in
calls of 10 to 500 us each, and handing the GIL or the turn to a sleeping thread costs
31 to 37 us of wall time each way on the 2-vCPU virtual machine it was measured on
(``bench_threads.py`` prints it): the handovers eat the overlap. Measured in one
process, phases of one and two threads taken in turns: the whole encoding stage (cutting
the background's band, pasting the text, the codec) out of the turn, 0.98x, with 1.5 ms
more CPU time per render (8.1 against 6.6 ms); only the codec out of the turn, 0.85x;
the turn as it is, 0.97x. A second core is the render pool's to use
(:mod:`offer_render.pool`). On a Python built without the GIL (``sys._is_gil_enabled()``
false) there is nothing to take turns for, and both are no-ops.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offer_render.resources.fetch import Fetched, Fetcher

_lock = threading.Lock()
_held = threading.local()


def _gil_enabled() -> bool:
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return is_gil_enabled is None or bool(is_gil_enabled())


_TURNS = _gil_enabled()


@contextmanager
def render_turn() -> Iterator[None]:
    """Hold the process's render turn for the block (at once if this thread holds it)."""
    if not _TURNS or getattr(_held, "turn", False):
        yield
        return
    with _lock:
        _held.turn = True
        try:
            yield
        finally:
            _held.turn = False


@contextmanager
def outside_turn() -> Iterator[None]:
    """Give the render turn up for the block, if this thread holds it, and take it back."""
    if not getattr(_held, "turn", False):
        yield
        return
    _held.turn = False
    _lock.release()
    try:
        yield
    finally:
        _lock.acquire()
        _held.turn = True


class TurnFreeFetcher:
    """A :class:`~offer_render.resources.fetch.Fetcher` that waits outside the render turn:
    a fetch waits on the network or the disk, and other threads compute meanwhile."""

    def __init__(self, inner: Fetcher) -> None:
        self.inner = inner

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        """Return ``inner``'s fetch of ``url``, made outside the turn."""
        with outside_turn():
            return self.inner.fetch(url, max_bytes=max_bytes, what=what)

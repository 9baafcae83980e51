"""Take nothing; keep a long-running rendering process's C heap from growing by fragmentation
and its large buffers from being faulted in afresh at every render.

A warm renderer churns buffers of every size: layers and glyph masks that its bounded
caches evict, encoded images, fetched fonts. glibc's malloc serves a buffer of at least
``M_MMAP_THRESHOLD`` bytes (128 KiB) with its own ``mmap``, returned to the system on
``free``; but the threshold is *dynamic*: freeing such a buffer raises it to that
buffer's size (up to 32 MiB), after which buffers of a few hundred KiB come from the
heap, and the holes they leave between long-lived blocks are never given back. Over a
batch of 100,000 offers that grew the resident set by about 5 MB per 10,000 offers
while the memory in use stayed flat (``mallinfo2``: free bytes inside the heap grew).

Setting the threshold explicitly turns the dynamic adjustment off (glibc's
``mallopt(3)``: "Setting this parameter disables dynamic adjustment"), so large buffers
always map and unmap. The trim threshold (``M_TRIM_THRESHOLD``: free memory at the
heap's top kept rather than given back) is fixed too, at :data:`TRIM_THRESHOLD`: the
dynamic rule had raised it to twice the largest buffer freed so far, so its value
depended on the process's history, and a small one costs much: the heap's top is
given back and faulted in again around every render. Dask's nanny starts its workers
with ``MALLOC_TRIM_THRESHOLD_=65536``, which made a render take 1.3x the CPU time
(2.37 ms against 1.75 ms; 4 MiB set at run time brought it back to 1.78 ms).

A fixed threshold has a cost of its own: every buffer above it is a fresh mapping,
whose pages the kernel faults in and zeroes at first touch, at every render. Pillow
allocates an image's pixels in blocks of up to 16 MiB (its arena's ``block_size``), so
each canvas, layer and conversion of a 1080x1080 image was its own mapping: about 1,300
page faults and 2.9 ms of kernel time per render, which made a pool worker render
1.5x slower than the same renderer in a process left alone (102 renders/s against 150).
So :func:`steady_heap` also sets Pillow's block size to :data:`PILLOW_BLOCK_SIZE`, below
the mmap threshold (``Image.core.set_block_size``; an image becomes an array of blocks of
whole lines, which every Pillow operation works on line by line): pixels come from the
heap in blocks of one size, which the heap reuses without faulting and which leave no
holes of odd sizes; the same render took 7 page faults and 0.08 ms of kernel time.
Pillow's own cache of freed blocks stays off (``blocks_max`` 0): it reallocates a cached
block to each new size, and measured slower, with 70 to 85 MB more resident.

It changes a process-wide allocator setting, so the engine applies it only in processes
it runs the work of: batch workers (and the batch driver when it renders, ``--jobs 1``),
the render pool's workers, the service's and the jobs' workers. A program that renders
in its own threads for a long time may call :func:`steady_heap` itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading

MMAP_THRESHOLD = 128 * 1024
"""Buffers of this many bytes or more get their own mapping: glibc's default, made fixed."""
TRIM_THRESHOLD = 4 * 1024 * 1024
"""Free bytes the heap's top may hold before they are given back. Default: 4 MiB (a few
canvases' worth: RSS stays flat, and the top is not given back after every render)."""

PILLOW_BLOCK_SIZE = 64 * 1024
"""Bytes of each block Pillow allocates image pixels in. Default: 64 KiB, below
:data:`MMAP_THRESHOLD`, so pixels come from the heap (a line longer than this gets a
block of its own)."""

_M_TRIM_THRESHOLD = -1  # from glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3
_applied: bool | None = None
_lock = threading.Lock()


def steady_heap() -> bool:
    """Fix glibc's mmap and trim thresholds and Pillow's block size (once per process);
    return whether they are in effect.

    Not glibc (macOS, Windows, musl): nothing to do, and False.
    """
    global _applied
    with _lock:
        if _applied is None:
            _applied = _set_thresholds(MMAP_THRESHOLD, TRIM_THRESHOLD)
            if _applied:
                from PIL import _imaging  # Pillow's core, which Image.core names

                _imaging.set_block_size(PILLOW_BLOCK_SIZE)
        return _applied


def _set_thresholds(mmap_threshold: int, trim_threshold: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # no glibc here (musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(
        mallopt(_M_TRIM_THRESHOLD, trim_threshold))

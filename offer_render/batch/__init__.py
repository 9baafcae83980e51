"""Re-render many offers: take JSON Lines of offers, write images and a resumable manifest.

Stages, one module each: :mod:`reader` (lines to JSON values), :mod:`plan`
(items, output names, grouping), :mod:`inputhash` (what an image depends on),
:mod:`worker` (render a chunk in a warm process), :mod:`executors` (inline,
process pool, Dask), :mod:`manifest` (durable JSON Lines), :mod:`progress`,
:mod:`interrupts`, and :mod:`runner`, which drives them.
"""

from __future__ import annotations

from offer_render.batch.runner import BatchOptions, BatchSummary, run_batch

__all__ = ["BatchOptions", "BatchSummary", "run_batch"]

"""Render in worker processes: take a RendererConfig; return a bounded pool of warm renderers.

:class:`RenderPool` (:mod:`.pool`) is for callers that render a lot from one
process: the render service, batch jobs, a Python program rendering in parallel.
Its workers (:mod:`.worker`, started by :mod:`.process`) each keep one warm
Renderer; :mod:`.tasks` holds what the pool's own methods run there;
:mod:`.errors` the typed failures (busy, timeout, worker died, closed). The pool
itself loads on first use, so importing the errors costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offer_render.pool.errors import PoolBusy, PoolClosed, PoolError, PoolTimeout, WorkerDied

if TYPE_CHECKING:
    from offer_render.pool.pool import DEFAULT_TIMEOUT, PoolStats, RenderPool
    from offer_render.pool.worker import TaskContext

__all__ = [
    "DEFAULT_TIMEOUT",
    "PoolBusy",
    "PoolClosed",
    "PoolError",
    "PoolStats",
    "PoolTimeout",
    "RenderPool",
    "TaskContext",
    "WorkerDied",
]

_LAZY = {"DEFAULT_TIMEOUT": "pool", "PoolStats": "pool", "RenderPool": "pool",
         "TaskContext": "worker"}


def __getattr__(name: str) -> Any:
    """Load the pool (``RenderPool``, ``PoolStats``, ``TaskContext``) on first use."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'offer_render.pool' has no attribute {name!r}"
        raise AttributeError(msg)
    from importlib import import_module

    return getattr(import_module(f"offer_render.pool.{module}"), name)

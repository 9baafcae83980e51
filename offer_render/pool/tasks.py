"""Take a task context and a render's inputs; return what the engine returns (runs in a worker).

The functions a :class:`~offer_render.pool.RenderPool` sends to its workers for its
own methods. Other callers send their own (the service sends its ETag-checking
render, previews and lint): any module-level function taking the
:class:`~offer_render.pool.worker.TaskContext` first will do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offer_render.pool.worker import TaskContext
from offer_render.result import RenderResult


def render(ctx: TaskContext, template: Any, offer: Any, options: Mapping[str, Any]) -> RenderResult:
    """Return ``Renderer.render(template, offer, **options)``; the fetch budget defaults to
    what the task's deadline leaves (see :meth:`TaskContext.fetch_budget`)."""
    opts = dict(options)
    if opts.get("deadline") is None:
        opts["deadline"] = ctx.fetch_budget()
    result: RenderResult = ctx.renderer.render(template, offer, **opts)
    return result


def render_locales(
    ctx: TaskContext, template: Any, offer: Any, options: Mapping[str, Any]
) -> dict[str, RenderResult]:
    """Return ``Renderer.render_locales(template, offer, **options)``, with the same budget."""
    opts = dict(options)
    if opts.get("deadline") is None:
        opts["deadline"] = ctx.fetch_budget()
    results: dict[str, RenderResult] = ctx.renderer.render_locales(template, offer, **opts)
    return results

"""Take a job's request in a render worker; return its images, one per locale.

The task a job sends to the :class:`~offer_render.pool.RenderPool`: the request as
``POST /v1/jobs`` checked it, rendered with ``Renderer.render_locales`` (the template
and offer parsed once, the background fetched once, each locale its own image), or
``Renderer.render`` in the default locale when the job names no locales. The engine
call is the command line's; nothing here draws.
"""

from __future__ import annotations

from typing import Any

from offer_render.jobs.records import RenderedImage
from offer_render.pool.worker import TaskContext


def render_images(ctx: TaskContext, request: dict[str, Any]) -> list[RenderedImage]:
    """Render the job ``request`` (a :class:`~offer_render.jobs.request.JobRequest` as
    JSON); return its images in the order of its locales."""
    options: dict[str, Any] = {
        "format": request["format"], "quality": request["quality"], "scale": request["scale"],
        "context": request["context"], "collections": request["collections"],
        "deadline": ctx.fetch_budget(),
    }
    template, offer = request["template"], request["offer"]
    locales = request["locales"]
    if locales is None:
        result = ctx.renderer.render(template, offer, **options)
        return [RenderedImage(None, result.format, result.width, result.height, result.data)]
    results = ctx.renderer.render_locales(template, offer, locales=locales, **options)
    return [RenderedImage(loc, r.format, r.width, r.height, r.data) for loc, r in results.items()]

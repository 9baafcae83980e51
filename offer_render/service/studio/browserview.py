"""Take the studio's "Browser" view request in a render worker; return the page's HTML.

``POST /studio/page`` sends ``{template, offer?, locale?, context?, collections?}``
(the same inputs as a render); the worker validates them as a render does, merges the
texts (the merge stage, no fetching, no drawing) and answers ``{"html", "width",
"height"}``: the page of :mod:`.page` with the bundled fonts served from ``/studio``.
The page is answered as JSON, never as an HTML document of the service's origin: the
studio shows it in a sandboxed frame (no scripts), so a template cannot run code.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from offer_render.diagnostics import Diagnostics
from offer_render.locales import check_locale
from offer_render.merge import merge_texts
from offer_render.pool.worker import TaskContext
from offer_render.service.bodies import Body
from offer_render.service.studio.page import build_page
from offer_render.template import read_inputs

FONTS_BASE = "/studio"
"""Where the studio serves the bundled fonts (``/studio/fonts/...``), for the page's
``@font-face`` rules. A path, so the frame loads them from the page's own origin."""


class PageBody(Body):
    """``POST /studio/page``: the Browser view of a template filled with an offer's data."""

    template: dict[str, Any] = Field(description="The image_template.")
    offer: dict[str, Any] | None = Field(None, description="The offer whose data fills the "
                                                           "placeholders.")
    locale: str | None = Field(None, description="Render locale, e.g. en, pl, pt-BR.")
    context: dict[str, Any] | None = Field(None, description="Extra merge fields.")
    collections: list[dict[str, Any]] | None = Field(
        None, description="Collections, for {{collection}}.")


def browser_view_request(ctx: TaskContext, raw: bytes) -> dict[str, Any]:
    """Parse a page body; return ``{"html", "width", "height"}`` of the Browser view."""
    body = PageBody.parse(raw)
    config = ctx.config
    diag = Diagnostics()
    template, offer = read_inputs(body.template, body.offer, limits=config.limits, diag=diag)
    locale = (check_locale(body.locale, "locale") if body.locale is not None
              else config.default_locale)
    texts = merge_texts(
        template, offer, locale=locale, default_locale=config.default_locale,
        context=body.context, collections=body.collections, limits=config.limits, diag=diag,
    )
    page = build_page(template.model_dump(mode="json"), list(texts), FONTS_BASE,
                      lang=locale.replace("_", "-"))
    return {"html": page, "width": template.width, "height": template.height}

"""Take the caller's template and offer (JSON or models); return them validated, once per JSON.

The offers service meets the same template again and again (offers of one club carry
copies of it), so :class:`TemplateCache` keeps validated templates by their JSON and
replays the warnings their validation gave.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from offer_render.cache import BoundedCache
from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics, RenderWarning
from offer_render.errors import InvalidInputError
from offer_render.template.models import ImageTemplate, Offer
from offer_render.template.validate import parse_offer, parse_template

TemplateCache = BoundedCache[tuple[ImageTemplate, tuple[RenderWarning, ...]]]
"""Validated templates and their warnings, by the template's canonical JSON."""


def template_entry_bytes(entry: tuple[ImageTemplate, tuple[RenderWarning, ...]]) -> int:
    """Return a rough size of a cached template: its rectangles' texts dominate."""
    template = entry[0]
    texts = sum(len(r.content) + len(r.font_family) + len(r.font_url or "") + 600
                for r in template.rectangles)
    return 1024 + 2 * texts + len(template.background_url or "") + 200 * len(entry[1])


def read_inputs(
    template: Mapping[str, Any] | ImageTemplate | None,
    offer: Mapping[str, Any] | Offer | None,
    *,
    limits: Limits,
    diag: Diagnostics,
    cache: TemplateCache | None = None,
) -> tuple[ImageTemplate, Offer | None]:
    """Return the template to draw and the offer, validated; warnings go into ``diag``.

    The template is ``template``, else the offer's own ``image_template``; raise
    :class:`InvalidInputError` when there is neither. Models pass through as given.
    """
    offer_model = offer if offer is None or isinstance(offer, Offer) else parse_offer(
        offer, limits=limits, diag=diag)
    if isinstance(template, ImageTemplate):
        return template, offer_model
    if template is None:
        if offer_model is None or offer_model.image_template is None:
            msg = "no template given and the offer has none"
            raise InvalidInputError([("image_template", msg)])
        return offer_model.image_template, offer_model
    return _parse_cached(template, limits=limits, diag=diag, cache=cache), offer_model


def _parse_cached(
    template: Mapping[str, Any], *, limits: Limits, diag: Diagnostics, cache: TemplateCache | None
) -> ImageTemplate:
    """Validate ``template``, reusing the result for the same JSON seen before.

    In strict mode, and for input that is not plain JSON data, it is validated every
    time (strict mode raises on the first warning it forbids).
    """
    if cache is None or diag.strict:
        return parse_template(template, limits=limits, diag=diag)
    try:
        key = json.dumps(template, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return parse_template(template, limits=limits, diag=diag)
    hit = cache.get(key)
    if hit is None:
        seen = Diagnostics()
        hit = cache.put(key, (parse_template(template, limits=limits, diag=seen),
                              tuple(seen.warnings)))
    diag.warnings.extend(hit[1])
    return hit[0]

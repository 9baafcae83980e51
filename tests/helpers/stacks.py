"""Build font stacks and layout trees from the generated box font, for layout and pixel tests."""

from __future__ import annotations

from typing import Any

from offer_render.diagnostics import Diagnostics
from offer_render.layout import layout_template
from offer_render.layout.tree import LayoutTree
from offer_render.resources.fontfile import load_font, make_face
from offer_render.resources.types import FontFace, FontStack, Resources
from offer_render.template.models import ImageTemplate
from tests.helpers.boxfont import box_font_bytes


def box_face(family: str = "Box Test", **kwargs: Any) -> FontFace:
    """Return a face of the box font (``kwargs`` go to ``box_font_bytes``)."""
    parsed = load_font(box_font_bytes(family, **kwargs))
    return make_face(
        parsed, family=family, weight=400, style="normal", source="generated",
        origin="stylesheet", unicode_ranges=None, requested_weight=400,
        requested_style="normal",
    )


def stack_of(*faces: FontFace) -> FontStack:
    """Return a stack of ``faces`` in order, the first one primary."""
    return FontStack(tuple(faces), faces[0], tuple(f.family for f in faces))


RECT_DEFAULTS: dict[str, Any] = {
    "name": "r", "padding": 0, "offset_left": 0, "offset_top": 0, "text_align": "left",
    "color": "#000", "font_size": 10, "font_family": "Box Test", "font_url": None,
}


def lay(
    canvas: tuple[int, int],
    rects: list[dict[str, Any]],
    *,
    stack: FontStack | None = None,
    scale: float = 1,
    diag: Diagnostics | None = None,
) -> LayoutTree:
    """Lay out rectangles (dicts over :data:`RECT_DEFAULTS`, text in ``content``)."""
    stack = stack or stack_of(box_face())
    full = [RECT_DEFAULTS | r for r in rects]
    template = ImageTemplate.model_validate(
        {"width": canvas[0], "height": canvas[1], "rectangles": full}
    )
    texts = tuple(r.get("content", "") for r in full)
    resources = Resources(tuple(stack for _ in full))
    return layout_template(
        template, texts, resources, scale=scale, language="en", diag=diag or Diagnostics()
    )

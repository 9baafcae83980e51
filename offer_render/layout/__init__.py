"""Take a validated template, merged texts and fetched resources; return the frozen layout tree."""

from __future__ import annotations

from offer_render.diagnostics import Diagnostics
from offer_render.layout.rectangle import layout_rectangle
from offer_render.layout.tree import LayoutTree, RectBox
from offer_render.resources.types import Resources
from offer_render.template.models import ImageTemplate

__all__ = ["layout_template"]


def layout_template(
    template: ImageTemplate,
    texts: tuple[str, ...],
    resources: Resources,
    *,
    scale: float,
    language: str | None,
    diag: Diagnostics,
) -> LayoutTree:
    """Return the layout tree: every rectangle laid out, listed in drawing order."""
    rects: list[RectBox] = []
    for index in template.drawing_order():
        rect = template.rectangles[index]
        box, missing = layout_rectangle(
            rect, index, texts[index], resources.font_stacks[index],
            scale=scale, language=language,
        )
        path = f"rectangles[{index}]"
        if missing:
            chars = "".join(dict.fromkeys(missing))
            diag.warn(
                "missing_glyphs",
                f"no available face has {chars!r}; drawn as missing glyphs",
                f"{path}.content",
                rect=index,
            )
        for chars, face in box.fallbacks:
            diag.warn(
                "font_fallback",
                f"{chars!r} drawn with {face.family} {face.weight} {face.style} "
                f"({face.origin}), not the primary face",
                f"{path}.font_family",
                rect=index,
            )
        if box.cut:
            diag.warn("text_cut", f"text cut to max_lines={rect.max_lines}", f"{path}.content",
                      rect=index)
        if box.clipped:
            diag.warn(
                "text_clipped",
                f"text overflows the rectangle by {box.overflow_px / scale:.1f}px and is clipped",
                f"{path}.content",
                rect=index,
            )
        rects.append(box)
    return LayoutTree(
        width=round(template.width * scale),
        height=round(template.height * scale),
        scale=scale,
        background=resources.background,
        rects=tuple(rects),
    )

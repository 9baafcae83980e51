"""Take a validated template, merged texts and fetched resources; return the frozen layout tree."""

from __future__ import annotations

from offer_render.cache import BoundedCache
from offer_render.diagnostics import Diagnostics
from offer_render.layout.rectangle import layout_rectangle
from offer_render.layout.tree import LayoutTree, RectBox
from offer_render.resources.types import FontStack, Resources
from offer_render.template.models import ImageTemplate, Rectangle

__all__ = ["LayoutCache", "layout_size", "layout_template"]


LayoutCache = BoundedCache[tuple[RectBox, list[str]]]


def layout_size(value: tuple[RectBox, list[str]]) -> int:
    """Return a rough byte size of a cached layout (for the cache's budget)."""
    box = value[0]
    return 2048 + 8 * len(box.text) + sum(300 + 400 * len(line.runs) for line in box.lines)


def layout_template(
    template: ImageTemplate,
    texts: tuple[str, ...],
    resources: Resources,
    *,
    scale: float,
    language: str | None,
    diag: Diagnostics,
    cache: LayoutCache | None = None,
) -> LayoutTree:
    """Return the layout tree: every rectangle laid out, listed in drawing order.

    With ``cache``, a rectangle whose model, text, faces, scale and language were
    laid out before is taken from it (layout is a pure function of those).
    """
    rects: list[RectBox] = []
    for index in template.drawing_order():
        rect = template.rectangles[index]
        stack = resources.font_stacks[index]

        def compute(rect: Rectangle = rect, index: int = index, stack: FontStack = stack) -> (
            tuple[RectBox, list[str]]
        ):
            return layout_rectangle(
                rect, index, texts[index], stack, scale=scale, language=language
            )

        if cache is None:
            box, missing = compute()
        else:
            key = (
                rect.model_dump_json(), index, texts[index], scale, language,
                stack.primary.key, tuple(face.key for face in stack.faces),
            )
            box, missing = cache.get_or_make(key, compute)
        path = f"rectangles[{index}]"
        if missing:
            chars = "".join(dict.fromkeys(missing))
            diag.warn(
                "missing_glyphs",
                f"no available face has {chars!r}; drawn as missing glyphs",
                f"{path}.content",
                rect=index,
                characters=chars,
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
    bg = resources.background
    return LayoutTree(
        width=round(template.width * scale),
        height=round(template.height * scale),
        scale=scale,
        background=bg.image if bg else None,
        rects=tuple(rects),
        opaque=bg is not None and bg.opaque,
        background_key=bg.key if bg else None,
    )

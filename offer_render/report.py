"""Take a layout tree and the render's warnings; return the render report as JSON data.

The README's "The render report" describes its fields.
"""

from __future__ import annotations

from typing import Any

from offer_render.diagnostics import RenderWarning
from offer_render.layout.tree import LayoutTree, RectBox


def _round(v: float) -> float:
    return round(v, 2)


def rect_report(rect: RectBox, scale: float, warnings: list[RenderWarning]) -> dict[str, Any]:
    """Return one rectangle's entry: text, lines, size, faces, overflow and its warnings.

    Lengths are CSS px (device px divided by the scale).
    """
    return {
        "name": rect.name,
        "number": rect.number,
        "index": rect.index,
        "text": rect.text,
        "lines": [line.text for line in rect.lines],
        "font_size": _round(rect.font_size / scale),
        "faces": [face.describe() for face in rect.faces],
        "fallbacks": [
            {"characters": chars, "family": face.family, "origin": face.origin}
            for chars, face in rect.fallbacks
        ],
        "clipped": rect.clipped,
        "cut": rect.cut,
        "overflow_px": _round(rect.overflow_px / scale),
        "warnings": [w.to_json() for w in warnings if w.rect == rect.index],
    }


def build_report(
    tree: LayoutTree,
    warnings: list[RenderWarning],
    *,
    fmt: str,
    locale: str,
    css_width: int,
    css_height: int,
) -> dict[str, Any]:
    """Return the whole report: canvas, format, global warnings and per-rectangle entries.

    ``width``/``height`` are the output image's pixels; ``css_width``/``css_height``
    the template's canvas before ``scale``.
    """
    return {
        "width": tree.width,
        "height": tree.height,
        "css_width": css_width,
        "css_height": css_height,
        "scale": tree.scale,
        "format": fmt,
        "locale": locale,
        "warnings": [w.to_json() for w in warnings if w.rect is None],
        "rectangles": [rect_report(r, tree.scale, warnings) for r in tree.rects],
    }

"""Take a painted render (image and layout tree); return a copy with the debug overlay drawn on it.

Everything is drawn in device pixels straight from the layout tree, so the
overlay shows exactly the boxes the rasterizer used. Colours (fixed, so
designers and tests can rely on them):

- ``OUTLINE`` cyan ``#00B7FF``: each rectangle's border box (its clip), a solid
  line ``max(1, scale)`` px wide on the box's outermost pixels, with a label
  ``#number name`` (or ``[index] name`` without a number) in a cyan tag.
- ``PADDING`` yellow ``#FFD400``, dashed: the content box (border box less padding).
- ``LINE_BOX`` translucent green: each line box, 1 px; ``BASELINE`` solid green
  ``#00C853``: each baseline across its line.
- ``CLIPPED`` red ``#FF0000``: a rectangle whose text is clipped (a line reaches
  past the border box) or cut (``max_lines``) gets a red outline and label
  instead of the cyan one; the visible part of each overflowing line (and the
  ellipsis line of cut text) is tinted red, and the hidden part of each line is
  outlined in dashed red, even beyond the box.
- ``FALLBACK`` orange ``#FF8C00``: a thick underline below each run drawn by a
  face other than the rectangle's primary one (a per-character fallback).
"""

from __future__ import annotations

from functools import cache

from PIL import Image, ImageDraw, ImageFont

from offer_render.config import BUNDLED_FONTS_DIR
from offer_render.layout.tree import Box, LayoutTree, LineBox, RectBox
from offer_render.result import Painted

RGBA = tuple[int, int, int, int]

OUTLINE: RGBA = (0x00, 0xB7, 0xFF, 255)
PADDING: RGBA = (0xFF, 0xD4, 0x00, 255)
LINE_BOX: RGBA = (0x00, 0xC8, 0x53, 140)
BASELINE: RGBA = (0x00, 0xC8, 0x53, 255)
CLIPPED: RGBA = (0xFF, 0x00, 0x00, 255)
CLIPPED_TINT: RGBA = (0xFF, 0x00, 0x00, 110)
FALLBACK: RGBA = (0xFF, 0x8C, 0x00, 255)
LABEL_TEXT: RGBA = (0, 0, 0, 255)
LABEL_FONT = BUNDLED_FONTS_DIR / "DejaVuSans.ttf"

PixelBox = tuple[int, int, int, int]
"""Inclusive pixel box: x0, y0, x1, y1 (as ImageDraw.rectangle takes it)."""


def draw_overlay(painted: Painted) -> Image.Image:
    """Return a copy of ``painted.image`` with the debug overlay of ``painted.tree`` on top."""
    return overlay_tree(painted.image, painted.tree)


def overlay_tree(image: Image.Image, tree: LayoutTree) -> Image.Image:
    """Return a copy of ``image`` (RGBA, the tree's size) with the tree's debug overlay on top."""
    base = image.convert("RGBA") if image.mode != "RGBA" else image.copy()
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    unit = max(1, round(tree.scale))
    for rect in tree.rects:
        _draw_lines(draw, rect, unit)
    for rect in tree.rects:
        _draw_boxes(draw, rect, unit, base.size)
    base.alpha_composite(layer)
    return base


def rect_is_flagged(rect: RectBox) -> bool:
    """Return whether the overlay marks ``rect`` in red (its text is clipped or cut)."""
    return rect.clipped or rect.cut


def pixel_box(box: Box) -> PixelBox | None:
    """Return the inclusive pixel box covering ``box`` (as the rasterizer snaps it), or None."""
    x0, y0 = round(box.x), round(box.y)
    x1, y1 = round(box.right) - 1, round(box.bottom) - 1
    if x1 < x0 or y1 < y0:
        return None
    return x0, y0, x1, y1


def _draw_lines(draw: ImageDraw.ImageDraw, rect: RectBox, unit: int) -> None:
    border = rect.box
    fallback_faces = {id(face) for _, face in rect.fallbacks}
    for n, line in enumerate(rect.lines):
        visible = _intersect(line.box, border)
        overflowing = _reaches_past(line.box, border)
        ellipsis_line = rect.cut and n == len(rect.lines) - 1
        if visible is not None and (overflowing or ellipsis_line):
            _fill(draw, visible, CLIPPED_TINT)
        if visible is not None:
            pb = pixel_box(visible)
            if pb is not None:
                draw.rectangle(pb, outline=LINE_BOX, width=1)
            _baseline(draw, line, visible, unit)
        if overflowing:
            pb = pixel_box(line.box)
            if pb is not None:
                _dashed_rectangle(draw, pb, CLIPPED, 1, dash=4 * unit)
        for run in line.runs:
            if id(run.face) in fallback_faces and run.text.strip():
                y = round(run.baseline) + 2 * unit
                x0, x1 = round(run.x), round(run.x + run.width) - 1
                if x1 >= x0:
                    draw.rectangle((x0, y, x1, y + 2 * unit - 1), fill=FALLBACK)


def _baseline(draw: ImageDraw.ImageDraw, line: LineBox, visible: Box, unit: int) -> None:
    y = round(line.baseline)
    if not (visible.y <= y < visible.bottom):
        return
    x0, x1 = round(visible.x), round(visible.right) - 1
    if x1 >= x0:
        draw.rectangle((x0, y, x1, y + unit - 1), fill=BASELINE)


def _draw_boxes(
    draw: ImageDraw.ImageDraw, rect: RectBox, unit: int, size: tuple[int, int]
) -> None:
    colour = CLIPPED if rect_is_flagged(rect) else OUTLINE
    content = pixel_box(rect.content)
    if content is not None and rect.content != rect.box:
        _dashed_rectangle(draw, content, PADDING, unit, dash=3 * unit)
    border = pixel_box(rect.box)
    if border is None:
        return
    draw.rectangle(border, outline=colour, width=unit)
    _label(draw, rect, border, colour, unit, size)


def _label(
    draw: ImageDraw.ImageDraw, rect: RectBox, border: PixelBox, colour: RGBA, unit: int,
    size: tuple[int, int],
) -> None:
    """Draw the ``#number name`` tag above the box's top-left corner, or inside it if no room."""
    num = f"#{rect.number}" if rect.number is not None else f"[{rect.index}]"
    tag = f"{num} {rect.name}"
    font = _font(10 * unit)
    left, top, right, bottom = draw.textbbox((0, 0), tag, font=font)
    w, h = right - left + 4 * unit, bottom - top + 2 * unit
    x = min(max(0, border[0]), max(0, size[0] - w))
    y = border[1] - h if border[1] - h >= 0 else border[1] + unit
    y = min(max(0, y), max(0, size[1] - h))
    draw.rectangle((x, y, x + w - 1, y + h - 1), fill=colour)
    draw.text((x + 2 * unit - left, y + unit - top), tag, font=font, fill=LABEL_TEXT)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(LABEL_FONT), size)


def _fill(draw: ImageDraw.ImageDraw, box: Box, colour: RGBA) -> None:
    pb = pixel_box(box)
    if pb is not None:
        draw.rectangle(pb, fill=colour)


def _intersect(a: Box, b: Box) -> Box | None:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.right, b.right), min(a.bottom, b.bottom)
    if x1 <= x0 or y1 <= y0:
        return None
    return Box(x0, y0, x1 - x0, y1 - y0)


def _reaches_past(inner: Box, outer: Box, eps: float = 0.01) -> bool:
    return (inner.x < outer.x - eps or inner.y < outer.y - eps
            or inner.right > outer.right + eps or inner.bottom > outer.bottom + eps)


def _dashed_rectangle(
    draw: ImageDraw.ImageDraw, box: PixelBox, colour: RGBA, width: int, *, dash: int
) -> None:
    """Draw the outline of ``box`` as dashes ``dash`` px long with gaps of the same length."""
    x0, y0, x1, y1 = box
    for a, b, fixed, horizontal in (
        (x0, x1, y0, True), (x0, x1, y1 - width + 1, True),
        (y0, y1, x0, False), (y0, y1, x1 - width + 1, False),
    ):
        for start in range(a, b + 1, 2 * dash):
            end = min(b, start + dash - 1)
            if horizontal:
                draw.rectangle((start, fixed, end, fixed + width - 1), fill=colour)
            else:
                draw.rectangle((fixed, start, fixed + width - 1, end), fill=colour)

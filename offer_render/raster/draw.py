"""Take a frozen layout tree and draw it onto an RGBA Pillow image; decide nothing.

Each rectangle is drawn into its own transparent layer the size of its border
box (that is the clip: ``overflow: hidden``) and composited source-over onto
the canvas in drawing order. Glyph runs are drawn as coverage masks at their
subpixel x and whole-pixel baseline, then tinted with the run's colour, so
translucent colours and overlapping rectangles blend as in a browser.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw, ImageFont

from offer_render.layout.tree import Box, Decoration, GlyphRun, LayoutTree, RectBox
from offer_render.resources.freetype import font_at

SYNTHETIC_ITALIC_SKEW = 0.25
"""Horizontal shear of synthesized italics (Skia's fake italic, about 14 degrees)."""


def synthetic_bold_stroke(size: float) -> float:
    """Return the stroke width that emboldens glyphs at ``size`` px like Skia's fake bold.

    Skia grows outlines by size/24 at 9 px down to size/32 at 36 px and above,
    spread over both sides of the stroke.
    """
    if size <= 9:
        ratio = 1 / 24
    elif size >= 36:
        ratio = 1 / 32
    else:
        ratio = 1 / 24 + (1 / 32 - 1 / 24) * (size - 9) / (36 - 9)
    return size * ratio / 2


def rasterize(tree: LayoutTree) -> Image.Image:
    """Return the tree drawn on its background (or on transparency) as an RGBA image."""
    if tree.background is not None:
        canvas = tree.background.copy()
    else:
        canvas = Image.new("RGBA", (tree.width, tree.height), (0, 0, 0, 0))
    for rect in tree.rects:
        _draw_rect(canvas, rect)
    return canvas


def _pixel_box(box: Box, width: int, height: int) -> tuple[int, int, int, int] | None:
    """Return ``box`` snapped to whole pixels and cut to the canvas, or None if empty."""
    x0 = max(0, round(box.x))
    y0 = max(0, round(box.y))
    x1 = min(width, round(box.right))
    y1 = min(height, round(box.bottom))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _draw_rect(canvas: Image.Image, rect: RectBox) -> None:
    clip = _pixel_box(rect.box, canvas.width, canvas.height)
    if clip is None or not rect.lines:
        return
    x0, y0, x1, y1 = clip
    layer = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    for line in rect.lines:
        if line.box.bottom < y0 - line.box.height or line.box.y > y1 + line.box.height:
            continue  # wholly outside the clip, ink included
        for run in line.runs:
            _draw_run(layer, run, x0, y0)
        for deco in line.decorations:
            _draw_decoration(layer, deco, x0, y0)
    canvas.alpha_composite(layer, dest=(x0, y0))


def _draw_run(layer: Image.Image, run: GlyphRun, ox: int, oy: int) -> None:
    """Composite one run onto ``layer`` whose top-left is canvas pixel (ox, oy)."""
    if not run.text.strip():
        return
    font, factor = font_at(run.face, run.size)
    if factor != 1.0:
        _draw_scaled_bitmap_run(layer, run, font, factor, ox, oy)
        return
    stroke = synthetic_bold_stroke(run.size) if run.face.synthetic_bold else 0.0
    x = run.x - ox
    y = run.baseline - oy
    fx = x - math.floor(x)
    direction, language = run.direction, run.language
    left, top, right, bottom = font.getbbox(
        run.text, direction=direction, language=language, stroke_width=stroke, anchor="ls"
    )
    pad = 2 + math.ceil(stroke)
    w = int(math.ceil(right - left)) + 2 * pad + 1
    h = int(math.ceil(bottom - top)) + 2 * pad
    if w <= 0 or h <= 0:
        return
    origin = (pad - left + fx, pad - top)
    if run.face.color_glyphs:
        glyphs = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        ImageDraw.Draw(glyphs).text(
            origin, run.text, font=font, fill=run.color, embedded_color=True,
            direction=direction, language=language, anchor="ls",
        )
        mask = None
    else:
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).text(
            origin, run.text, font=font, fill=255, stroke_width=stroke, stroke_fill=255,
            direction=direction, language=language, anchor="ls",
        )
        glyphs = _tint(mask, run.color)
    dx = math.floor(x) + int(left) - pad
    dy = int(y) + int(top) - pad
    if run.face.synthetic_italic:
        glyphs, dx = _skew(glyphs, baseline_in_image=pad - top, dx=dx)
    _composite(layer, glyphs, dx, dy)


def _draw_scaled_bitmap_run(
    layer: Image.Image, run: GlyphRun, font: ImageFont.FreeTypeFont, factor: float,
    ox: int, oy: int,
) -> None:
    """Draw a run of a bitmap-only colour font at its strike, then scale it to the run's size."""
    direction, language = run.direction, run.language
    left, top, right, bottom = font.getbbox(
        run.text, direction=direction, language=language, anchor="ls"
    )
    w, h = int(math.ceil(right - left)), int(math.ceil(bottom - top))
    if w <= 0 or h <= 0:
        return
    glyphs = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(glyphs).text(
        (-left, -top), run.text, font=font, fill=run.color, embedded_color=True,
        direction=direction, language=language, anchor="ls",
    )
    x0 = run.x - ox + left * factor
    y0 = run.baseline - oy + top * factor
    sw = max(1, round((run.x - ox + right * factor) - x0))
    sh = max(1, round((run.baseline - oy + bottom * factor) - y0))
    scaled = glyphs.resize((sw, sh), Image.Resampling.LANCZOS)
    _composite(layer, scaled, round(x0), round(y0))


def _tint(mask: Image.Image, color: tuple[int, int, int, int]) -> Image.Image:
    """Return an RGBA image of ``color`` whose alpha is ``mask`` times the colour's alpha."""
    r, g, b, a = color
    if a != 255:
        mask = mask.point(lambda v: v * a // 255)
    solid = Image.new("RGBA", mask.size, (r, g, b, 0))
    solid.putalpha(mask)
    return solid


def _skew(glyphs: Image.Image, *, baseline_in_image: float, dx: int) -> tuple[Image.Image, int]:
    """Shear ``glyphs`` right above the baseline (synthetic italic); return image and new x."""
    k = SYNTHETIC_ITALIC_SKEW
    extra_left = math.ceil(k * (glyphs.height - baseline_in_image))
    extra_right = math.ceil(k * baseline_in_image)
    width = glyphs.width + extra_left + extra_right
    # Output x = input x + k * (baseline - y) + extra_left, so the inverse map Pillow
    # wants is input x = output x + k * y - k * baseline - extra_left.
    data = (1, k, -k * baseline_in_image - extra_left, 0, 1, 0)
    sheared = glyphs.transform(
        (width, glyphs.height), Image.Transform.AFFINE, data, Image.Resampling.BILINEAR
    )
    return sheared, dx - extra_left


def _composite(layer: Image.Image, img: Image.Image, dx: int, dy: int) -> None:
    """Alpha-composite ``img`` onto ``layer`` at (dx, dy), cropping what falls outside."""
    sx0, sy0 = max(0, -dx), max(0, -dy)
    x0, y0 = max(0, dx), max(0, dy)
    x1 = min(layer.width, dx + img.width)
    y1 = min(layer.height, dy + img.height)
    if x1 <= x0 or y1 <= y0:
        return
    crop = img.crop((sx0, sy0, sx0 + (x1 - x0), sy0 + (y1 - y0)))
    layer.alpha_composite(crop, dest=(x0, y0))


def _draw_decoration(layer: Image.Image, deco: Decoration, ox: int, oy: int) -> None:
    """Fill the decoration's box, snapped to whole pixels, in its colour."""
    b = deco.box
    x0 = round(b.x - ox)
    x1 = round(b.right - ox)
    y0 = round(b.y - oy)
    y1 = y0 + max(1, round(b.height))
    if x1 <= x0:
        return
    patch = Image.new("RGBA", (x1 - x0, y1 - y0), deco.color)
    _composite(layer, patch, x0, y0)


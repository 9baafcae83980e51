"""Take a laid-out rectangle; return its text drawn as ink bands to place on the canvas.

Each rectangle is drawn into its own transparent layer the size of its border
box (that is the clip: ``overflow: hidden``), cut into bands of ink, which
:func:`offer_render.raster.compose` places on the canvas in drawing order. Glyph
runs are drawn as coverage masks at their subpixel x and whole-pixel baseline, then
tinted with the run's colour, so
translucent colours and overlapping rectangles blend as in a browser.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from offer_render.cache import BoundedCache
from offer_render.layout.tree import Box, Decoration, GlyphRun, RectBox
from offer_render.raster.composition import Ink, Placed
from offer_render.raster.freetype import font_at

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


SUBPIXEL_STEPS = 4
"""Horizontal glyph positions are kept to a quarter pixel, as Skia's subpixel text."""

GlyphCache = BoundedCache[tuple[Image.Image, int, int]]
LayerCache = BoundedCache[tuple[Ink, ...]]


@dataclass(frozen=True)
class RasterCaches:
    """Caches the rasterizer may use: drawn rectangle layers and drawn glyph runs."""

    layers: LayerCache
    glyphs: GlyphCache


def image_bytes(value: tuple[Image.Image, int, int]) -> int:
    """Return the memory a cached glyph image holds (for the cache's budget)."""
    image = value[0]
    return 64 + image.width * image.height * len(image.getbands())


def ink_bytes(inks: tuple[Ink, ...]) -> int:
    """Return the memory a cached layer holds: RGBA plus its RGB and mask copies."""
    return 128 + sum(128 + ink.layer.width * ink.layer.height * 8 for ink in inks)


def _ink_of(layer: Image.Image) -> tuple[Ink, ...]:
    """Return the inked parts of ``layer``: bands between empty rows, each cut to its ink.

    Lines of text have empty rows between them, so pasting bands touches about a third
    fewer pixels than pasting the layer's whole ink box.
    """
    alpha = layer.getchannel("A")
    _, rows = alpha.getprojection()  # 1 for every row with any ink, else 0
    out = []
    # each run of inked rows, found in C rather than by a Python loop over every row
    for run in _INKED_ROWS.finditer(bytes(rows)):
        start, end = run.span()
        box = alpha.crop((0, start, alpha.width, end)).getbbox()
        if box is not None:
            x0, y0, x1, y1 = box[0], start + box[1], box[2], start + box[3]
            band = layer.crop((x0, y0, x1, y1))
            out.append(Ink(band, x0, y0, band.convert("RGB"), band.getchannel("A")))
    return tuple(out)


_INKED_ROWS = re.compile(rb"[^\x00]+")
"""A run of rows with ink, in the row projection as bytes."""


def place_rect(
    rect: RectBox, width: int, height: int, caches: RasterCaches | None
) -> list[Placed]:
    """Return the ink of ``rect`` drawn and placed on a ``width`` x ``height`` canvas.

    With ``caches``, a rectangle laid out exactly as before reuses its drawn layer,
    and glyph runs drawn before (same face, size, text, colour, subpixel x) are reused.
    """
    clip = _pixel_box(rect.box, width, height)
    if clip is None or not rect.lines:
        return []
    if caches is None:
        inks = _ink_of(_draw_layer(rect, clip, None))
    else:
        inks = _cached_layer(rect, clip, caches)
    return [Placed(ink, clip[0] + ink.dx, clip[1] + ink.dy) for ink in inks]


def _cached_layer(
    rect: RectBox, clip: tuple[int, int, int, int], caches: RasterCaches
) -> tuple[Ink, ...]:
    """Return the rectangle's inked layer and offset from the cache, drawing it on a miss."""
    found = caches.layers.get((rect, clip))
    if found is None:
        found = caches.layers.put((rect, clip), _ink_of(_draw_layer(rect, clip, caches.glyphs)))
    return found


def _pixel_box(box: Box, width: int, height: int) -> tuple[int, int, int, int] | None:
    """Return ``box`` snapped to whole pixels and cut to the canvas, or None if empty."""
    x0 = max(0, round(box.x))
    y0 = max(0, round(box.y))
    x1 = min(width, round(box.right))
    y1 = min(height, round(box.bottom))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _draw_layer(
    rect: RectBox, clip: tuple[int, int, int, int], glyphs: GlyphCache | None
) -> Image.Image:
    """Return the rectangle's text drawn on a transparent layer the size of ``clip``."""
    x0, y0, x1, y1 = clip
    layer = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    boxes = DrawnBoxes()
    for line in rect.lines:
        if line.box.bottom < y0 - line.box.height or line.box.y > y1 + line.box.height:
            continue  # wholly outside the clip, ink included
        for run in line.runs:
            _draw_run(layer, run, x0, y0, glyphs, boxes)
        for deco in line.decorations:
            _draw_decoration(layer, deco, x0, y0, boxes)
    return layer


def _draw_run(
    layer: Image.Image, run: GlyphRun, ox: int, oy: int, glyphs: GlyphCache | None,
    boxes: DrawnBoxes,
) -> None:
    """Composite one run onto ``layer`` whose top-left is canvas pixel (ox, oy); ``boxes``
    holds the boxes of the layer drawn so far (see :func:`_composite`)."""
    if not run.text.strip():
        return
    x = run.x - ox
    base_x = math.floor(x)
    steps = round((x - base_x) * SUBPIXEL_STEPS)
    if steps == SUBPIXEL_STEPS:
        base_x, steps = base_x + 1, 0
    fx = steps / SUBPIXEL_STEPS
    if glyphs is None:
        drawn = _draw_glyphs(run, fx)
    else:
        key = (run.face.key, run.size, run.text, run.direction, run.language, run.color, steps,
               run.ligatures)
        drawn = glyphs.get_or_make(key, lambda: _draw_glyphs(run, fx))
    image, dx, dy = drawn
    if image.width and image.height:
        _composite(layer, image, base_x + dx, int(run.baseline - oy) + dy, boxes)


def _draw_glyphs(run: GlyphRun, fx: float) -> tuple[Image.Image, int, int]:
    """Return the run drawn in its colour with its origin at subpixel ``fx``, and the
    offset of the image's top-left from the origin's whole pixel on the baseline."""
    font, factor = font_at(run.face, run.size)
    if factor != 1.0:
        return _draw_scaled_bitmap_glyphs(run, font, factor, fx)
    stroke = synthetic_bold_stroke(run.size) if run.face.synthetic_bold else 0.0
    direction, language, features = run.direction, run.language, _features(run)
    left, top, right, bottom = font.getbbox(
        run.text, direction=direction, language=language, features=features,
        stroke_width=stroke, anchor="ls",
    )
    pad = 2 + math.ceil(stroke)
    w = int(math.ceil(right - left)) + 2 * pad + 1
    h = int(math.ceil(bottom - top)) + 2 * pad
    if w <= 0 or h <= 0:
        return Image.new("RGBA", (0, 0)), 0, 0
    origin = (pad - left + fx, pad - top)
    if run.face.color_glyphs:
        drawn = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        ImageDraw.Draw(drawn).text(
            origin, run.text, font=font, fill=run.color, embedded_color=True,
            direction=direction, language=language, features=features, anchor="ls",
        )
    else:
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).text(
            origin, run.text, font=font, fill=255, stroke_width=stroke, stroke_fill=255,
            direction=direction, language=language, features=features, anchor="ls",
        )
        drawn = _tint(mask, run.color)
    dx = int(left) - pad
    dy = int(top) - pad
    if run.face.synthetic_italic:
        drawn, dx = _skew(drawn, baseline_in_image=pad - top, dx=dx)
    return _trimmed(drawn, dx, dy)


def _trimmed(image: Image.Image, dx: int, dy: int) -> tuple[Image.Image, int, int]:
    """Return ``image`` cut to its ink (the box of its non-zero alpha) and its offset moved
    to match: the same pixels composited, and a box that meets its neighbours' only where
    inks do (see :func:`_composite`)."""
    box = image.getbbox()
    if box is None:
        return Image.new("RGBA", (0, 0)), 0, 0
    if box == (0, 0, *image.size):
        return image, dx, dy
    return image.crop(box), dx + box[0], dy + box[1]


def _draw_scaled_bitmap_glyphs(
    run: GlyphRun, font: ImageFont.FreeTypeFont, factor: float, fx: float
) -> tuple[Image.Image, int, int]:
    """Draw a run of a bitmap-only colour font at its strike, then scale it to the run's size."""
    direction, language, features = run.direction, run.language, _features(run)
    left, top, right, bottom = font.getbbox(
        run.text, direction=direction, language=language, features=features, anchor="ls"
    )
    w, h = int(math.ceil(right - left)), int(math.ceil(bottom - top))
    if w <= 0 or h <= 0:
        return Image.new("RGBA", (0, 0)), 0, 0
    glyphs = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(glyphs).text(
        (-left, -top), run.text, font=font, fill=run.color, embedded_color=True,
        direction=direction, language=language, features=features, anchor="ls",
    )
    x0 = fx + left * factor
    y0 = top * factor
    sw = max(1, round(fx + right * factor - x0))
    sh = max(1, round(bottom * factor - y0))
    return glyphs.resize((sw, sh), Image.Resampling.LANCZOS), round(x0), round(y0)


def _features(run: GlyphRun) -> list[str] | None:
    """Return the OpenType features raqm is given: common ligatures off when the run's
    rectangle has letter spacing (as measured), else the font's defaults."""
    return None if run.ligatures else ["-liga", "-clig"]


def _tint(mask: Image.Image, color: tuple[int, int, int, int]) -> Image.Image:
    """Return an RGBA image of ``color`` whose alpha is ``mask`` times the colour's alpha."""
    r, g, b, a = color
    if a != 255:
        mask = mask.point([v * a // 255 for v in range(256)])
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


def _composite(
    layer: Image.Image, img: Image.Image, dx: int, dy: int,
    boxes: DrawnBoxes,
) -> None:
    """Alpha-composite ``img`` onto ``layer`` at (dx, dy), cropping what falls outside;
    ``boxes`` holds the boxes drawn on the layer so far, and gets this one's.

    Where nothing is drawn yet the layer is transparent, and source-over onto a
    transparent pixel gives the source pixel itself wherever the source has any alpha
    (Pillow's ``alpha_composite`` gives it exactly). So a run whose box meets no earlier
    box (most runs, as each is cut to its ink: :func:`_trimmed`) is pasted, one copy,
    instead of the crop, composite and paste back that ``alpha_composite`` costs; each
    of those Pillow calls releases the GIL, and threads rendering at once handed the GIL
    over at each. Pasted pixels with no alpha keep their source colour instead of
    becoming (0, 0, 0, 0): the layer only ever reaches the canvas through its alpha
    (``Composition.rows``: a paste with the alpha as mask, or ``alpha_composite``), so
    the image is the same.
    """
    sx0, sy0 = max(0, -dx), max(0, -dy)
    x0, y0 = max(0, dx), max(0, dy)
    x1 = min(layer.width, dx + img.width)
    y1 = min(layer.height, dy + img.height)
    if x1 <= x0 or y1 <= y0:
        return
    source = (sx0, sy0, sx0 + (x1 - x0), sy0 + (y1 - y0))
    box = (x0, y0, x1, y1)
    if boxes.meets(box):
        layer.alpha_composite(img, dest=(x0, y0), source=source)
    else:
        layer.paste(img if source == (0, 0, *img.size) else img.crop(source), (x0, y0))
    boxes.add(box)


class DrawnBoxes:
    """The boxes drawn on a layer so far, filed by the bands of ``BAND_ROWS`` rows they
    cover, so a new box is checked against the boxes of its own rows only, not against
    every run of the rectangle (a long text has thousands)."""

    BAND_ROWS = 32

    def __init__(self) -> None:
        self._bands: dict[int, list[tuple[int, int, int, int]]] = {}

    def meets(self, box: tuple[int, int, int, int]) -> bool:
        """Return whether ``box`` (x0, y0, x1, y1, exclusive ends) overlaps a box drawn."""
        x0, y0, x1, y1 = box
        for band in range(y0 // self.BAND_ROWS, (y1 - 1) // self.BAND_ROWS + 1):
            for bx0, by0, bx1, by1 in self._bands.get(band, ()):
                if x0 < bx1 and bx0 < x1 and y0 < by1 and by0 < y1:
                    return True
        return False

    def add(self, box: tuple[int, int, int, int]) -> None:
        """File ``box`` as drawn."""
        for band in range(box[1] // self.BAND_ROWS, (box[3] - 1) // self.BAND_ROWS + 1):
            self._bands.setdefault(band, []).append(box)


def _draw_decoration(
    layer: Image.Image, deco: Decoration, ox: int, oy: int,
    boxes: DrawnBoxes,
) -> None:
    """Fill the decoration's box, snapped to whole pixels, in its colour."""
    b = deco.box
    x0 = round(b.x - ox)
    x1 = round(b.right - ox)
    y0 = round(b.y - oy)
    y1 = y0 + max(1, round(b.height))
    if x1 <= x0:
        return
    patch = Image.new("RGBA", (x1 - x0, y1 - y0), deco.color)
    _composite(layer, patch, x0, y0, boxes)


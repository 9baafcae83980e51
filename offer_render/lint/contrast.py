"""Take a laid-out rectangle and the canvas's background; return its text's WCAG contrast.

Method (WCAG 2.x contrast ratio ``(L1 + 0.05) / (L2 + 0.05)`` of relative
luminances, per pixel, on the real backdrop):

1. The *ink* is where the rectangle's glyphs and decorations cover at least half
   a pixel, found by drawing the rectangle alone, opaque, with the engine's own
   rasterizer (colour-emoji runs left out: they carry their own colours).
2. The *backdrop* is the background image under the canvas (flattened on white,
   as a transparent canvas shows on a white page and as JPEG output is
   flattened); other rectangles are not part of it (overlap is its own check).
3. The region measured is the ink grown by ``r = font_size / 12`` device px
   (1..4 px): the pixels under the glyphs and right around them, which is what
   the eye compares the strokes with.
4. For every region pixel the text colour is composited over the backdrop pixel
   (so translucent colours count as drawn) and compared with that pixel.
5. The result is the **10th percentile** of those ratios: 90% of the text's
   surroundings reach it. A single mean colour would hide a bright patch of a
   photo right behind one word; the minimum would fail on one stray pixel.

Thresholds are WCAG AA: 4.5:1, or 3:1 for large text (at least 24 CSS px, or
18.66 CSS px and bold, i.e. weight 700 or more).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PIL import Image, ImageFilter

from offer_render.layout.tree import RGBA, Box, LayoutTree, LineBox, RectBox
from offer_render.raster import rasterize

AA_NORMAL = 4.5
AA_LARGE = 3.0
LARGE_PX = 24.0
LARGE_BOLD_PX = 18.66
PERCENTILE = 0.10
"""Which low quantile of per-pixel ratios is reported. Default: the 10th percentile."""
MAX_SAMPLES = 60_000
"""Region pixels measured, about at most: bigger regions are sampled on an even stride,
to keep lint fast on big canvases. Default: 60,000."""
_OPAQUE: RGBA = (0, 0, 0, 255)


@dataclass(frozen=True)
class Contrast:
    """The measured contrast of one rectangle's text and the threshold it must reach."""

    ratio: float
    """The PERCENTILE quantile of per-pixel contrast ratios over the region."""
    mean_ratio: float
    """Contrast of the text colour against the mean backdrop colour, for the message."""
    mean_backdrop: tuple[int, int, int]
    threshold: float
    large: bool
    samples: int

    @property
    def passes(self) -> bool:
        """Return whether the text meets WCAG AA."""
        return self.ratio >= self.threshold


def _linear(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


_LINEAR = [_linear(c) for c in range(256)]


def luminance(rgb: tuple[int, int, int]) -> float:
    """Return the WCAG relative luminance of an sRGB colour."""
    r, g, b = rgb
    return 0.2126 * _LINEAR[r] + 0.7152 * _LINEAR[g] + 0.0722 * _LINEAR[b]


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """Return the WCAG contrast ratio of two sRGB colours, from 1 to 21."""
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def is_large_text(font_size_css: float, weight: int) -> bool:
    """Return whether WCAG counts text of this size and weight as large."""
    return font_size_css >= LARGE_PX or (font_size_css >= LARGE_BOLD_PX and weight >= 700)


def backdrop(tree: LayoutTree) -> Image.Image:
    """Return the canvas's backdrop as RGB: the background flattened on white, or white."""
    white = Image.new("RGBA", (tree.width, tree.height), (255, 255, 255, 255))
    if tree.background is not None:
        white.alpha_composite(tree.background.convert("RGBA"))
    return white.convert("RGB")


def measure(
    tree: LayoutTree, rect: RectBox, color: RGBA, weight: int, back: Image.Image
) -> Contrast | None:
    """Return the contrast of ``rect``'s text over ``back`` (see the module's method), or None.

    None means there is no ink to measure (empty text, only emoji, or all of it
    outside the canvas).
    """
    crop = _crop_box(rect.box, tree.width, tree.height)
    if crop is None:
        return None
    ink = _ink_mask(tree, rect).crop(crop)
    grow = max(1, min(4, round(rect.font_size / 12)))
    region = ink.point(lambda v: 255 if v >= 128 else 0)
    if region.getbbox() is None:
        return None
    region = region.filter(ImageFilter.MaxFilter(2 * grow + 1))
    bbox = region.getbbox()
    if bbox is None:  # pragma: no cover - growing a non-empty mask keeps it non-empty
        return None
    region = region.crop(bbox)
    x0, y0 = crop[0] + bbox[0], crop[1] + bbox[1]
    pixels = back.crop((x0, y0, x0 + region.width, y0 + region.height)).tobytes()
    mask = region.tobytes()
    # Visit at most ~4 * MAX_SAMPLES positions; an odd stride avoids sampling fixed columns.
    stride = max(1, len(mask) // (4 * MAX_SAMPLES)) | 1
    where = [i for i in range(0, len(mask), stride) if mask[i]]
    r, g, b, a = color
    alpha = a / 255
    ratios: list[float] = []
    sums = [0, 0, 0]
    for i in where:
        br, bg, bb = pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]
        sums[0] += br
        sums[1] += bg
        sums[2] += bb
        text = (
            round(r * alpha + br * (1 - alpha)),
            round(g * alpha + bg * (1 - alpha)),
            round(b * alpha + bb * (1 - alpha)),
        )
        ratios.append(contrast_ratio(text, (br, bg, bb)))
    ratios.sort()
    n = len(ratios)
    mean = (round(sums[0] / n), round(sums[1] / n), round(sums[2] / n))
    mean_text = (
        round(r * alpha + mean[0] * (1 - alpha)),
        round(g * alpha + mean[1] * (1 - alpha)),
        round(b * alpha + mean[2] * (1 - alpha)),
    )
    size_css = rect.font_size / tree.scale
    large = is_large_text(size_css, weight)
    return Contrast(
        ratio=ratios[int(PERCENTILE * (n - 1))],
        mean_ratio=contrast_ratio(mean_text, mean),
        mean_backdrop=mean,
        threshold=AA_LARGE if large else AA_NORMAL,
        large=large,
        samples=n,
    )


def _crop_box(box: Box, width: int, height: int) -> tuple[int, int, int, int] | None:
    x0, y0 = max(0, round(box.x)), max(0, round(box.y))
    x1, y1 = min(width, round(box.right)), min(height, round(box.bottom))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _ink_mask(tree: LayoutTree, rect: RectBox) -> Image.Image:
    """Return the rectangle's glyph coverage (mode L, canvas size), drawn alone and opaque."""
    lines = tuple(_opaque_line(line) for line in rect.lines)
    alone = LayoutTree(tree.width, tree.height, tree.scale, None, (replace(rect, lines=lines),))
    return rasterize(alone).getchannel("A")


def _opaque_line(line: LineBox) -> LineBox:
    runs = tuple(
        replace(run, color=_OPAQUE) for run in line.runs if not run.face.color_glyphs
    )
    decorations = tuple(replace(d, color=_OPAQUE) for d in line.decorations)
    return replace(line, runs=runs, decorations=decorations)

"""Compare the engine with Chromium per rectangle: lines as broken, ink-box IoU and ink match.

Make the side-by-side sheets.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageFilter

INK_ALPHA = 64
"""Alpha above which a pixel counts as ink (ignores the faintest antialiasing)."""

Box = tuple[int, int, int, int]


SOFT_HYPHEN = "\u00ad"
LINE_END_HYPHENS = "\u2010-"
"""What a line broken at a soft hyphen shows: U+2010, or '-' when the face lacks it
(Blink's ComputedStyle::HyphenString)."""


def normalize_lines(lines: list[str]) -> list[str]:
    """Return non-empty lines with white space collapsed and trimmed, for comparison.

    Soft hyphens are dropped and so is a hyphen ending a line: Chromium's lines keep
    the text's U+00AD and show no hyphen character, the engine's drop U+00AD and end
    with the hyphen it draws; a break after a hard hyphen still differs from one
    before it ("summer-" | "sale" against "summer" | "-sale"). Whether the hyphen is
    drawn is the ink comparison's to see.
    """
    out = [" ".join(line.replace(SOFT_HYPHEN, "").split()).rstrip(LINE_END_HYPHENS)
           for line in lines]
    return [line for line in out if line]


def ink_box(image: Image.Image) -> Box | None:
    """Return the bounding box of pixels whose alpha exceeds :data:`INK_ALPHA`."""
    alpha = image.getchannel("A").point(lambda a: 255 if a > INK_ALPHA else 0)
    box = alpha.getbbox()
    return None if box is None else (box[0], box[1], box[2], box[3])


def ink_match(engine: Image.Image, chromium: Image.Image) -> float:
    """Return how well the two images' ink coincides, pixel by pixel, within one pixel.

    The share of each image's ink pixels (alpha above :data:`INK_ALPHA`) that lie within
    one pixel of the other's ink, the smaller of the two shares; 1 when neither has ink.
    A one-pixel hinting difference costs little; a letter drawn in the wrong place or
    a missing glyph costs its whole ink, which the ink box's IoU can hide.
    """
    a, b = _ink_mask(engine), _ink_mask(chromium.resize(engine.size))
    return min(_covered(a, b), _covered(b, a))


def _ink_mask(image: Image.Image) -> Image.Image:
    return image.getchannel("A").point(lambda v: 255 if v > INK_ALPHA else 0)


def _covered(mask: Image.Image, other: Image.Image) -> float:
    """Return the share of ``mask``'s pixels within one pixel of ``other``'s."""
    total = mask.histogram()[255]
    if total == 0:
        return 1.0 if other.histogram()[255] == 0 else 0.0
    near = ImageChops.multiply(mask, other.filter(ImageFilter.MaxFilter(3)))
    return near.histogram()[255] / total


def iou(a: Box | None, b: Box | None) -> float:
    """Return the intersection over union of two boxes (1 when both are empty)."""
    if a is None or b is None:
        return 1.0 if a is None and b is None else 0.0
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union else 1.0


def side_by_side(engine: Image.Image, chromium: Image.Image) -> Image.Image:
    """Return engine | Chromium | amplified difference, on a checkerboard-free white ground."""
    w, h = engine.size
    white = Image.new("RGBA", (w, h), (255, 255, 255, 255))
    left = Image.alpha_composite(white, engine.convert("RGBA"))
    middle = Image.alpha_composite(white, chromium.convert("RGBA").resize((w, h)))
    diff = ImageChops.difference(left.convert("RGB"), middle.convert("RGB"))
    diff = ImageChops.invert(diff.point(lambda v: min(255, v * 4)))
    sheet = Image.new("RGB", (w * 3 + 8, h), (200, 200, 200))
    sheet.paste(left.convert("RGB"), (0, 0))
    sheet.paste(middle.convert("RGB"), (w + 4, 0))
    sheet.paste(diff, (2 * w + 8, 0))
    return sheet

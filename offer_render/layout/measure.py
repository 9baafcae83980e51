"""Measure text for layout: advance widths through raqm and vertical metrics per face and size.

Takes faces and pixel sizes, returns device-pixel numbers. Advances are
unhinted (subpixel) as Pillow's raqm layout reports them, which is what a
browser with subpixel positioning lays out with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from offer_render.resources.freetype import font_at
from offer_render.resources.types import FontFace


@dataclass(frozen=True)
class VMetrics:
    """A face's vertical metrics at one size, in device px, rounded as Chromium rounds them."""

    ascent: float
    descent: float
    line_gap: float

    @property
    def line_spacing(self) -> float:
        """Return the ``line-height: normal`` of this face: ascent + descent + line gap."""
        return self.ascent + self.descent + self.line_gap


def vertical_metrics(face: FontFace, size: float) -> VMetrics:
    """Return ``face``'s ascent, descent and line gap at ``size`` px.

    Chromium (SimpleFontData on Linux) rounds each of the three to whole pixels,
    except for tiny sizes where rounding would collapse them; we follow that.
    """
    m = face.metrics
    scale = size / m.units_per_em
    asc, desc, gap = m.ascender * scale, m.descender * scale, m.line_gap * scale
    if asc >= 3 and asc + desc >= 2:
        asc, desc = float(round(asc)), float(round(desc))
    return VMetrics(asc, desc, float(round(gap)))


def _quantize(v: float) -> float:
    """Return ``v`` floored to Chromium's LayoutUnit (1/64 px)."""
    return math.floor(v * 64) / 64


def half_leading(metrics: VMetrics, line_height: float) -> tuple[float, float]:
    """Return (above, below): the inline box's extent above and below the baseline.

    The leading ``line_height - (ascent + descent)`` is split in two, the upper
    half floored to a LayoutUnit as LayoutNG does; for ``line-height: normal``
    the leading is the face's line gap.
    """
    leading = line_height - (metrics.ascent + metrics.descent)
    top = _quantize(leading / 2)
    return metrics.ascent + top, metrics.descent + (leading - top)


class Measurer:
    """Measure advances of text pieces at one size, memoized for one layout pass."""

    def __init__(self, size: float, language: str | None) -> None:
        self.size = size
        self.language = language
        self._memo: dict[tuple[str, str, str], float] = {}

    def advance(self, text: str, face: FontFace, direction: str) -> float:
        """Return the advance width of ``text`` shaped with ``face`` in ``direction``."""
        key = (text, face.key, direction)
        width = self._memo.get(key)
        if width is None:
            font, factor = font_at(face, self.size)
            width = factor * font.getlength(text, direction=direction, language=self.language)
            self._memo[key] = width
        return width

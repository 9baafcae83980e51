"""Take a face and a pixel size; return its vertical metrics and line extents in device px."""

from __future__ import annotations

import math
from dataclasses import dataclass

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

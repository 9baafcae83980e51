"""Break a paragraph into lines that fit a width: UAX #14 opportunities, then graphemes.

Takes a :class:`Paragraph` (text, pieces, advances) and a width in device px;
returns the lines as offset ranges. Follows CSS ``overflow-wrap: anywhere``: a
word wider than the line is broken between grapheme clusters, and only when it
does not fit on a line of its own. A line that ends at a soft hyphen (U+00AD)
shows a hyphen, whose width must fit too (CSS Text 3, ``hyphens: manual``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from offer_render.layout.itemize import Piece

_EPSILON = 1 / 64
"""Widths within one LayoutUnit of the line still fit (rounding noise)."""
SOFT_HYPHEN = "\u00ad"


@dataclass(frozen=True)
class Line:
    """Offsets of one line in its paragraph: ``start:end``, and ``end`` without trailing spaces."""

    start: int
    end: int
    visible_end: int
    last_in_paragraph: bool
    hyphen: bool = False
    """The line breaks at a soft hyphen, so a hyphen is drawn after it."""


class Paragraph:
    """One paragraph at one size: text, pieces, graphemes, wrap opportunities, advances.

    ``advances`` holds each character's advance in device px (a cluster's width on
    its first character); widths of any range are prefix-sum differences, plus
    ``letter_spacing`` after every grapheme but those ``unspaced`` marks (graphemes of
    cursive scripts, see :mod:`offer_render.layout.script`).
    """

    def __init__(
        self,
        text: str,
        pieces: list[Piece],
        graphemes: list[int],
        opportunities: list[int],
        advances: list[float],
        letter_spacing: float,
        unspaced: list[bool] | None = None,
        hyphen_width: float = 0.0,
    ) -> None:
        self.text = text
        self.hyphen_width = hyphen_width
        """Width of the hyphen a line breaking at a soft hyphen shows, in device px."""
        self.pieces = pieces
        self.graphemes = graphemes
        self.opportunities = opportunities
        self.letter_spacing = letter_spacing
        self.unspaced = unspaced or [False] * max(0, len(graphemes) - 1)
        self._prefix = [0.0]
        for a in advances:
            self._prefix.append(self._prefix[-1] + a)
        # _spaced[k]: how many of the graphemes ending at boundaries 1..k take spacing.
        self._spaced = [0]
        for skip in self.unspaced:
            self._spaced.append(self._spaced[-1] + (not skip))

    def breaks_at_soft_hyphen(self, op: int) -> bool:
        """Return whether a line ending at ``op`` ends right after a soft hyphen (U+00AD)."""
        return 0 < op < len(self.text) and self.text[op - 1] == SOFT_HYPHEN

    def hyphen_at(self, op: int) -> float:
        """Return the width a hyphen adds to a line ending at ``op`` (0 unless after U+00AD)."""
        return self.hyphen_width if self.breaks_at_soft_hyphen(op) else 0.0

    def trim_end(self, start: int, end: int) -> int:
        """Return ``end`` moved back over trailing spaces, not before ``start``."""
        while end > start and self.text[end - 1] == " ":
            end -= 1
        return end

    def width(self, start: int, end: int) -> float:
        """Return the advance width of ``text[start:end]``, letter spacing included."""
        if end <= start:
            return 0.0
        width = self._prefix[end] - self._prefix[start]
        if self.letter_spacing:
            g = self.graphemes
            count = (self._spaced[bisect.bisect_right(g, end) - 1]
                     - self._spaced[bisect.bisect_right(g, start) - 1])
            width += self.letter_spacing * count
        return width

    def clusters(self, a: int, b: int) -> list[tuple[int, int, float]]:
        """Return ``(start, end, width)`` for each grapheme in ``a:b``, letter spacing added;
        neighbouring unspaced graphemes come as one stretch, so their letters still join."""
        g = self.graphemes
        lo = bisect.bisect_left(g, a)
        out: list[tuple[int, int, float]] = []
        merge = False
        for k in range(lo, len(g) - 1):
            s, e = g[k], g[k + 1]
            if s >= b:
                break
            if merge and self.unspaced[k]:
                out[-1] = (out[-1][0], e, self.width(out[-1][0], e))
            else:
                out.append((s, e, self.width(s, e)))
            merge = self.unspaced[k]
        return out

    def grapheme_fit(self, start: int, limit: int, max_width: float) -> int:
        """Return the furthest grapheme boundary in ``start:limit`` that fits, at least one."""
        g = self.graphemes
        lo = bisect.bisect_right(g, start)
        best = g[lo] if lo < len(g) else limit
        for k in range(lo, len(g)):
            if g[k] > limit:
                break
            if self.width(start, g[k]) <= max_width + _EPSILON:
                best = g[k]
            else:
                break
        return min(best, limit)


def break_paragraph(par: Paragraph, max_width: float) -> list[Line]:
    """Return the lines of ``par`` for a line ``max_width`` device px wide (at least one line)."""
    n = len(par.text)
    if n == 0:
        return [Line(0, 0, 0, True)]
    ops = par.opportunities
    width = par.width
    lines: list[Line] = []
    start = 0
    while start < n:
        k = bisect.bisect_right(ops, start)
        used = 0.0
        prev = start
        best: int | None = None
        while k < len(ops):
            op = ops[k]
            visible = par.trim_end(prev, op)
            needed = used + width(prev, visible)
            if needed > max_width + _EPSILON:
                break
            if needed + par.hyphen_at(op) <= max_width + _EPSILON:
                best = op  # a break at a soft hyphen needs room for the hyphen too
            used += width(prev, op)
            prev = op
            k += 1
        if best is None:
            # Not even the first word fits: break it between graphemes (overflow-wrap: anywhere).
            first = ops[bisect.bisect_right(ops, start)] if ops else n
            limit = par.trim_end(start, first)
            best = par.grapheme_fit(start, limit if limit > start else first, max_width)
            if best <= start:
                best = first
        end = best
        lines.append(Line(start, end, par.trim_end(start, end), end >= n,
                          hyphen=par.breaks_at_soft_hyphen(end)))
        start = end
        while start < n and par.text[start] == " ":
            start += 1  # spaces after a break collapse away at the start of the next line
    return lines

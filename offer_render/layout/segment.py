"""Find grapheme boundaries (UAX #29), line-break opportunities (UAX #14) and direction.

Takes a paragraph's text and returns offsets into it; uses the uniseg library
for both Unicode algorithms.
"""

from __future__ import annotations

import unicodedata

from uniseg.graphemecluster import grapheme_cluster_boundaries
from uniseg.linebreak import line_break_boundaries


def grapheme_boundaries(text: str) -> list[int]:
    """Return the offsets between grapheme clusters, 0 and ``len(text)`` included."""
    if not text:
        return [0]
    return list(grapheme_cluster_boundaries(text))


def break_opportunities(text: str) -> list[int]:
    """Return the offsets where a line may wrap, ``len(text)`` included and 0 excluded.

    An offset ``i`` means a line may end after ``text[:i]``; spaces before it
    stay with the earlier line (where they hang and are not drawn).
    """
    if not text:
        return []
    return [b for b in line_break_boundaries(text) if b > 0]


def strong_direction(text: str) -> str | None:
    """Return ``"ltr"`` or ``"rtl"`` from the first strong character, or None if none."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi == "L":
            return "ltr"
        if bidi in ("R", "AL"):
            return "rtl"
    return None


def char_direction_class(ch: str) -> str:
    """Return ``"ltr"``, ``"rtl"`` or ``"neutral"`` for one character (numbers count as ltr)."""
    bidi = unicodedata.bidirectional(ch)
    if bidi in ("R", "AL"):
        return "rtl"
    if bidi in ("L", "EN", "AN"):
        return "ltr"
    return "neutral"

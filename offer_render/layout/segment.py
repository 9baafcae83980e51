"""Find grapheme boundaries (UAX #29) and line-break opportunities (UAX #14).

Takes a paragraph's text and returns offsets into it; uses the uniseg library
for both Unicode algorithms.
"""

from __future__ import annotations

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

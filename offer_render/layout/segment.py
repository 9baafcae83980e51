"""Find grapheme boundaries (UAX #29) and line-break opportunities (UAX #14) with ICU.

Takes a paragraph's text and a locale; returns offsets into the text (Python
code-point indices). ICU's break iterators (through icu4py) are the ones Chromium
uses, with the same CJK rules and locale tailoring (strictness for Japanese,
dictionaries for Thai and similar scripts); they answer in UTF-16 offsets,
converted here.
"""

from __future__ import annotations

from icu4py.breakers import CharacterBreaker, LineBreaker

from offer_render.layout.breakrules import chromium_opportunities

_DEFAULT_LOCALE = "en"


def _utf16_to_index(text: str) -> list[int] | None:
    """Return a map from UTF-16 offsets to code-point offsets, or None when they are equal."""
    if all(ord(c) < 0x10000 for c in text):
        return None
    table = []
    for i, c in enumerate(text):
        table.append(i)
        if ord(c) >= 0x10000:
            table.append(i)  # the second half of a surrogate pair maps to the same character
    table.append(len(text))
    return table


def _ends(text: str, segments: list[tuple[int, int]]) -> list[int]:
    table = _utf16_to_index(text)
    ends = [end for _, end in segments]
    return ends if table is None else [table[e] for e in ends]


def grapheme_boundaries(text: str, locale: str | None = None) -> list[int]:
    """Return the offsets between grapheme clusters, 0 and ``len(text)`` included."""
    if not text:
        return [0]
    segments = list(CharacterBreaker(text, locale or _DEFAULT_LOCALE).segments())
    return [0, *_ends(text, segments)]


def break_opportunities(text: str, locale: str | None = None) -> list[int]:
    """Return the offsets where a line may wrap, ``len(text)`` included and 0 excluded.

    An offset ``i`` means a line may end after ``text[:i]``; spaces before it
    stay with the earlier line (where they hang and are not drawn). ICU's
    opportunities are tailored as Chromium tailors them (see
    :mod:`offer_render.layout.breakrules`).
    """
    if not text:
        return []
    icu = _ends(text, list(LineBreaker(text, locale or _DEFAULT_LOCALE).segments()))
    return chromium_opportunities(text, set(icu))

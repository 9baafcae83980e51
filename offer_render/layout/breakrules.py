"""Take a paragraph and ICU's break opportunities; return Chromium's line-break opportunities.

Chromium does not take ICU's line breaker (UAX #14) as it is. Blink's
``LazyLineBreakIterator::NextBreakablePosition`` and ``ShouldBreakFast``
(``third_party/blink/renderer/platform/text/text_break_iterator.cc``) decide first:

1. After a run of breakable spaces (space, tab, newline) a line may break; never
   before one (the spaces hang at the end of the line).
2. Between two characters from ``!`` (U+0021) to U+00FF, a pair table decides. It is
   generated at build time (``LineBreakData`` in
   ``third_party/blink/renderer/platform/text/character_property_data_generator.cc``):
   ICU's answer for the pair alone (locale ``en``),
   then, between two ASCII characters, rules of Blink's own (``FillAscii``): break
   before ``( < [ {`` and after ``-`` and ``?``, and nowhere else, except where a
   later rule takes it back (never after ``/``, letters or digits, never before ``/ ,
   . : ; ? ! ) ] }``). So ``www.example.com/deals/2026/summer-sale?code=1`` breaks
   only after ``-`` and ``?``, and ``https://`` never.
3. ``-`` before a digit breaks only when the character before the ``-`` is an ASCII
   letter or digit (``ABCD-1234``), not when the ``-`` may be a minus sign; ``-``
   before a non-ASCII character asks ICU.
4. Every other pair asks ICU's line breaker run over the whole paragraph (with the
   render locale), which keeps its context (CJK, Thai dictionaries, NBSP, ZWSP,
   WORD JOINER, soft hyphens).
"""

from __future__ import annotations

from functools import cache

from icu4py.breakers import LineBreaker

BREAKABLE_SPACES = frozenset(" \t\n")
"""Blink's ``IsBreakableSpace``: after these a line may break, before them never."""
FAST_MIN, FAST_MAX = 0x21, 0xFF
"""Characters the pair table covers (Blink's ``kFastLineBreakMinChar``/``MaxChar``)."""
ASCII_MAX = 0x7F


def _ascii_table() -> frozenset[tuple[int, int]]:
    """Return the ASCII pairs ``(before, after)`` between which Blink allows a break.

    The rules of Blink's ``LineBreakData::FillAscii``, applied in its order (a later
    rule overrides an earlier one).
    """
    every = range(FAST_MIN, ASCII_MAX + 1)

    def chars(first: str, last: str | None = None) -> range:
        return range(ord(first), ord(last or first) + 1)

    allowed: set[tuple[int, int]] = set()
    rules: list[tuple[range, range, bool]] = [
        (every, chars("("), True), (every, chars("<"), True), (every, chars("["), True),
        (every, chars("{"), True),
        (chars("-"), every, True), (chars("?"), every, True),
        (chars("-"), chars("$"), False), (every, chars("!"), False),
        (chars("?"), chars('"'), False), (chars("?"), chars("'"), False),
        (every, chars(")"), False), (every, chars(","), False), (every, chars("."), False),
        (every, chars("/"), False), (chars("-"), chars("0", "9"), False),
        (every, chars(":"), False), (every, chars(";"), False), (every, chars("?"), False),
        (every, chars("]"), False), (every, chars("}"), False),
        (chars("$"), every, False), (chars("'"), every, False), (chars("("), every, False),
        (chars("/"), every, False), (chars("0", "9"), every, False), (chars("<"), every, False),
        (chars("@"), every, False), (chars("A", "Z"), every, False), (chars("["), every, False),
        (chars("^", "`"), every, False), (chars("a", "z"), every, False),
        (chars("{"), every, False), (range(ASCII_MAX, ASCII_MAX + 1), every, False),
    ]
    for before, after, value in rules:
        for a in before:
            for b in after:
                if value:
                    allowed.add((a, b))
                else:
                    allowed.discard((a, b))
    return frozenset(allowed)


_ASCII_BREAKS = _ascii_table()


@cache
def _icu_pair(a: int, b: int) -> bool:
    """Return ICU's answer (locale ``en``) for a break between ``a`` and ``b`` alone."""
    ends = [end for _, end in LineBreaker(chr(a) + chr(b), "en").segments()]
    return 1 in ends


def fast_pair(a: int, b: int) -> bool:
    """Return whether Blink's pair table allows a break between ``a`` and ``b``
    (both from U+0021 to U+00FF)."""
    if a <= ASCII_MAX and b <= ASCII_MAX:
        return (a, b) in _ASCII_BREAKS
    return _icu_pair(a, b)


def chromium_opportunities(text: str, icu_breaks: set[int]) -> list[int]:
    """Return the offsets where Chromium lets a line of ``text`` wrap, ``len(text)`` included.

    ``icu_breaks`` holds ICU's opportunities over the whole paragraph (code-point
    offsets), asked where the rules above defer to ICU.
    """
    out: list[int] = []
    for i in range(1, len(text)):
        last, cur = text[i - 1], text[i]
        if cur in BREAKABLE_SPACES:
            continue
        if last in BREAKABLE_SPACES:
            out.append(i)
            continue
        a, b = ord(last), ord(cur)
        if a < FAST_MIN or b < FAST_MIN:
            continue
        if last == "-":
            if b > ASCII_MAX:
                if i in icu_breaks:
                    out.append(i)
                continue
            if cur.isdigit():
                before = text[i - 2] if i >= 2 else ""
                if before.isascii() and before.isalnum():
                    out.append(i)
                continue
        if a <= FAST_MAX and b <= FAST_MAX:
            if fast_pair(a, b):
                out.append(i)
        elif i in icu_breaks:
            out.append(i)
    out.append(len(text))
    return out

"""Resolve scripts per grapheme: take a paragraph and its graphemes, return which are cursive.

Letter spacing is not applied inside cursive scripts (CSS Text 3, "cursive
tracking"): spacing would cut the joins between letters. Chromium decides it per
shaping run from the run's script, where characters of the Common and Inherited
scripts (spaces, digits, punctuation, marks) belong to the run they sit in: the
script of the strong character before them, or after them at the paragraph's
start. This module resolves scripts the same way. Spaces (U+0020 and no-break
space) are the exception: Chromium 156 spaces them even between two Arabic words,
while the run's script carries on across them (measured: "كتاب 123" with 10 px
spacing is 10 px wider, "كتاب abc" 40 px, "كتاب،كتاب" and "«كتاب»" not at all).
"""

from __future__ import annotations

from fontTools import unicodedata

CURSIVE_SCRIPTS = frozenset({"Arab", "Syrc", "Nkoo", "Mand", "Mong", "Phag", "Rohg"})
"""ISO 15924 codes of the scripts Blink treats as cursive (``Character::IsCursiveScript``):
Arabic, Syriac, N'Ko, Mandaic, Mongolian, Phags-pa, Hanifi Rohingya."""

_WEAK = frozenset({"Zyyy", "Zinh", "Zzzz"})
_SPACES = frozenset(" \u00a0")


def cursive_graphemes(text: str, graphemes: list[int]) -> list[bool]:
    """Return, for each grapheme ``text[graphemes[i]:graphemes[i + 1]]``, whether its
    resolved script is cursive."""
    scripts = [unicodedata.script(text[a]) for a in graphemes[:-1]]
    resolved: list[str | None] = []
    current: str | None = None
    for script in scripts:
        if script not in _WEAK:
            current = script
        resolved.append(current)
    # Leading weak graphemes take the first strong script after them.
    first_strong = next((s for s in resolved if s is not None), None)
    return [
        text[a] not in _SPACES and (s or first_strong) in CURSIVE_SCRIPTS
        for a, s in zip(graphemes, resolved, strict=False)
    ]

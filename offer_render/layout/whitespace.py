"""Split merged text into paragraphs the way CSS ``white-space: pre-line`` does.

Newlines are kept (each ends a paragraph), runs of spaces and tabs collapse to
one space, and spaces at the start and end of each paragraph go away. As in
Chromium, a trailing newline adds no line, ``\\n\\n`` gives an empty line, and a
text that is only collapsible white space gives no line at all.
"""

from __future__ import annotations

import re

_COLLAPSIBLE = re.compile(r"[ \t\f]+")
_PARAGRAPH_SEPARATORS = str.maketrans({"\u2028": "\n", "\u2029": "\n", "\x85": "\n"})
_SEGMENT_SEPARATORS = re.compile(r"[\x1c-\x1f\x0b]")


def pre_line_paragraphs(text: str) -> list[str]:
    """Return the paragraphs of ``text`` after pre-line white-space processing."""
    # Line and paragraph separators break lines as a newline does; the C0 separators
    # (which bidi would also treat as paragraph ends) collapse like spaces.
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_PARAGRAPH_SEPARATORS)
    text = _SEGMENT_SEPARATORS.sub(" ", text)
    if "\n" not in text and not text.strip(" \t\f"):
        return []
    paragraphs = text.split("\n")
    if len(paragraphs) > 1 and paragraphs[-1].strip(" \t\f") == "":
        paragraphs.pop()  # a trailing newline ends the last line; it opens no new one
    return [_COLLAPSIBLE.sub(" ", p).strip(" ") for p in paragraphs]

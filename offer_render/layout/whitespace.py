"""Split merged text into paragraphs the way CSS ``white-space: pre-line`` does.

Newlines are kept (each ends a paragraph), runs of spaces and tabs collapse to
one space, and spaces at the start and end of each paragraph go away. As in
Chromium, a trailing newline adds no line, ``\\n\\n`` gives an empty line, and a
text that is only collapsible white space gives no line at all.
"""

from __future__ import annotations

import re

_COLLAPSIBLE = re.compile(r"[ \t\f]+")


def pre_line_paragraphs(text: str) -> list[str]:
    """Return the paragraphs of ``text`` after pre-line white-space processing."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in text and not text.strip(" \t\f"):
        return []
    paragraphs = text.split("\n")
    if len(paragraphs) > 1 and paragraphs[-1].strip(" \t\f") == "":
        paragraphs.pop()  # a trailing newline ends the last line; it opens no new one
    return [_COLLAPSIBLE.sub(" ", p).strip(" ") for p in paragraphs]

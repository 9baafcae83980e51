"""Read offers from JSON Lines: take a file, yield one parsed value or one error per line.

A line that is not valid JSON (or not UTF-8, or too long) becomes an error for
that line only; blank lines are skipped. Nothing here stops the batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_LINE_BYTES = 16 * 1024 * 1024
"""Longest line read as an offer. Default: 16 MiB (an offer with its template is a few KB)."""


@dataclass(frozen=True)
class Line:
    """One non-blank line of the input: its 1-based number and its JSON value or why not."""

    number: int
    value: object = None
    error: str | None = None


def read_lines(path: Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Yield every non-blank line of the JSON Lines file at ``path``, parsed."""
    with path.open("rb") as fh:
        yield from read_stream(fh, max_line_bytes=max_line_bytes)


def read_stream(fh: BinaryIO, *, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Yield every non-blank line of the binary stream ``fh``, parsed."""
    number = 0
    while True:
        raw = fh.readline(max_line_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            _skip_rest(fh)
            yield Line(number, error=f"line {number}: longer than {max_line_bytes} bytes")
            continue
        if raw.strip():
            yield parse_line(number, raw)


def parse_line(number: int, raw: bytes) -> Line:
    """Return the JSON value of one line, or a Line carrying the parse error."""
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Line(number, error=f"line {number}: not UTF-8 text")
    try:
        return Line(number, json.loads(text))
    except json.JSONDecodeError as e:
        return Line(number, error=f"line {number}: invalid JSON: column {e.colno}: {e.msg}")
    except RecursionError:
        return Line(number, error=f"line {number}: invalid JSON: nested too deeply")


def is_one_json_document(path: Path, *, max_bytes: int = MAX_LINE_BYTES) -> bool:
    """Return whether ``path`` is a single multi-line JSON document rather than JSON Lines.

    True when its first non-blank line is not JSON on its own but the whole file is:
    a pretty-printed offer or list given where one offer per line is expected.
    """
    try:
        with path.open("rb") as fh:
            first = b""
            while not first.strip():
                first = fh.readline(max_bytes + 1)
                if not first:
                    return False
            if not isinstance(parse_line(1, first).error, str):
                return False
            if path.stat().st_size > max_bytes:
                return False
            json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return True


def _skip_rest(fh: BinaryIO) -> None:
    while True:
        chunk = fh.readline(1024 * 1024)
        if not chunk or chunk.endswith(b"\n"):
            return

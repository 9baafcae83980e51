"""Make input strings valid text: take JSON-like data, return it with surrogates and NULs fixed.

JSON may carry ``"\\ud800"``, a lone UTF-16 surrogate: Python keeps it in a ``str``
that cannot be encoded as UTF-8, so the report, a manifest or a log line would
fail on it much later. A browser shows such a code unit as U+FFFD (the
replacement character), so the engine does the same. A NUL (U+0000) is
dropped, as HTML's tree builder drops it from body text. Both happen at the
validation boundary and are reported as ``text_replaced`` warnings.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_BAD = re.compile("[\ud800-\udfff\x00]")


def scrub_text(text: str) -> str:
    """Return ``text`` with each lone surrogate replaced by U+FFFD and each NUL removed."""
    if not _BAD.search(text):
        return text
    return _BAD.sub(lambda m: "" if m.group() == "\x00" else REPLACEMENT, text)


def describe(text: str) -> str:
    """Say what :func:`scrub_text` changes in ``text`` ("2 lone surrogates replaced by U+FFFD")."""
    found = _BAD.findall(text)
    nuls = found.count("\x00")
    surrogates = len(found) - nuls
    parts = []
    if surrogates:
        parts.append(f"{surrogates} lone surrogate{'s' * (surrogates > 1)} replaced by U+FFFD")
    if nuls:
        parts.append(f"{nuls} NUL character{'s' * (nuls > 1)} removed")
    return ", ".join(parts)


def scrub_tree(value: Any, path: str = "", found: list[tuple[str, str]] | None = None) -> Any:
    """Return ``value`` (JSON-like) with every string scrubbed; the same object if none changed.

    When ``found`` is given, ``(path, description)`` is appended for each changed
    string, with paths like ``rectangles[0].content``.
    """
    if isinstance(value, str):
        if not _BAD.search(value):
            return value
        if found is not None:
            found.append((path, describe(value)))
        return scrub_text(value)
    if isinstance(value, dict):
        out: dict[Any, Any] | None = None
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            new_key = scrub_tree(key, sub, found) if isinstance(key, str) else key
            new = scrub_tree(item, sub, found)
            if out is None and (new is not item or new_key is not key):
                out = dict(list(value.items())[: list(value).index(key)])
            if out is not None:
                out[new_key] = new
        return value if out is None else out
    if isinstance(value, list | tuple):
        items = [scrub_tree(item, f"{path}[{i}]", found) for i, item in enumerate(value)]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    return value

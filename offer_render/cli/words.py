"""Take a count and a noun; return them as English prints them: ``1 warning``, ``2 warnings``."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """Return ``"<n> <noun>"``, the noun plural unless ``n`` is 1 (``plural`` or noun + s).

    English uses the singular for exactly one and the plural otherwise, zero included
    ("0 warnings").
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"

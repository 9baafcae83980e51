"""Parse the colour strings a rectangle may hold (#RGB, #RGBA, #RRGGBB, #RRGGBBAA) to RGBA."""

from __future__ import annotations

import re

_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


def parse_color(value: str) -> tuple[int, int, int, int]:
    """Return ``value`` as an (r, g, b, a) tuple of 0..255; raise ValueError if malformed."""
    m = _HEX.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        msg = f"must be a colour like #RGB, #RRGGBB or #RRGGBBAA (got {value!r})"
        raise ValueError(msg)
    h = m.group(1)
    if len(h) in (3, 4):
        h = "".join(c * 2 for c in h)
    if len(h) == 6:
        h += "ff"
    r, g, b, a = (int(h[i : i + 2], 16) for i in range(0, 8, 2))
    return (r, g, b, a)

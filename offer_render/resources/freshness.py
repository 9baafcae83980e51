"""Decide how long a download stays fresh: take HTTP response headers, return seconds (RFC 9111).

A private cache's rules, as browsers apply them:

1. ``Cache-Control: no-cache`` or ``no-store``: 0 (always revalidate).
2. ``Cache-Control: max-age=N``: N.
3. ``Expires``: its time minus the response's ``Date`` (an unreadable ``Expires``
   means already expired: 0).
4. Otherwise, with ``Last-Modified``: a tenth of the time since that date
   (RFC 9111 section 4.2.2, what Chromium and Firefox do), at most
   :data:`HEURISTIC_MAX_SECONDS`.
5. Otherwise None: the caller's default applies.

An ``Age`` header (time the response already spent in a shared cache) is taken off.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

HEURISTIC_FRACTION = 0.1
"""Share of a response's age since Last-Modified it is reused for. Default: 0.1 (RFC 9111)."""

HEURISTIC_MAX_SECONDS = 86400.0
"""Cap of a heuristic lifetime. Default: one day, so a font or background replaced in place
on a server that sends no Cache-Control shows within a day (Firefox caps at a week)."""


def freshness_lifetime(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Return the seconds from ``now`` the response with ``headers`` may be reused, or None.

    ``headers`` must be case-insensitive (requests' headers are) or lower-case keyed.
    None means the server gave nothing to go by.
    """
    now = time.time() if now is None else now
    explicit: float | None = None
    for part in headers.get("cache-control", "").lower().split(","):
        name, _, arg = part.strip().partition("=")
        if name in ("no-cache", "no-store"):
            return 0.0
        value = arg.strip().strip('"')
        if name == "max-age" and value.isdigit():
            explicit = float(value)
    date = _http_date(headers.get("date")) or now
    if explicit is None and "expires" in headers:
        expires = _http_date(headers["expires"])
        explicit = 0.0 if expires is None else max(0.0, expires - date)
    if explicit is None:
        modified = _http_date(headers.get("last-modified"))
        if modified is None:
            return None
        explicit = min(HEURISTIC_MAX_SECONDS, max(0.0, (date - modified) * HEURISTIC_FRACTION))
    age = headers.get("age", "").strip()
    return max(0.0, explicit - float(age)) if age.isdigit() else explicit


def _http_date(value: str | None) -> float | None:
    """Return an HTTP date as a Unix time, or None when missing or unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()

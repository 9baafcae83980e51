"""Read a response's caching rules: take HTTP headers, return its lifetime, storability, Vary.

How long a download stays fresh follows a private cache's rules, as browsers apply them
(RFC 9111 section 4.2):

1. ``Cache-Control: no-cache`` or ``no-store``: 0 (always revalidate).
2. ``Cache-Control: max-age=N``: N.
3. ``Expires``: its time minus the response's ``Date`` (an unreadable ``Expires``
   means already expired: 0).
4. Otherwise, with ``Last-Modified``: a tenth of the time since that date
   (RFC 9111 section 4.2.2, what Chromium and Firefox do), at most
   :data:`HEURISTIC_MAX_SECONDS`.
5. Otherwise None: the caller's default applies.

An ``Age`` header (time the response already spent in a shared cache) is taken off.

Whether it may be stored at all: not with ``Cache-Control: no-store`` (section
5.2.2.5). Which later requests a stored response answers: those that send the same
values of the request headers its ``Vary`` names (section 4.1); ``Vary: *`` matches
none, so such a response is not stored either.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from offer_render.resources.fetch.model import VaryValues

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
    for part in _cache_control(headers):
        name, _, arg = part.partition("=")
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


def no_store(headers: Mapping[str, str]) -> bool:
    """Say whether the response with ``headers`` says ``Cache-Control: no-store``.

    ``headers`` must be case-insensitive or lower-case keyed.
    """
    directives = (part.strip().partition("=")[0] for part in _cache_control(headers))
    return "no-store" in directives


def vary_values(
    headers: Mapping[str, str], sent: Mapping[str, str]
) -> VaryValues | None:
    """Return the request headers the response's ``Vary`` names, with the values ``sent``.

    None for ``Vary: *`` (no later request matches it). Names are lower-cased and
    sorted, values normalised as :func:`vary_matches` compares them; a header not
    sent is None. ``headers`` and ``sent`` must be case-insensitive mappings.
    """
    names: set[str] = set()
    for name in headers.get("vary", "").split(","):
        name = name.strip().lower()
        if name == "*":
            return None
        if name:
            names.add(name)
    return tuple((name, _normalised(sent.get(name))) for name in sorted(names))


def vary_matches(stored: VaryValues, sent: Mapping[str, str]) -> bool:
    """Say whether a request sending ``sent`` may be answered by a response stored with
    ``stored`` (RFC 9111 section 4.1: every header its ``Vary`` names has the same
    value, after whitespace is normalised, or is absent from both).

    ``sent`` must be a case-insensitive mapping.
    """
    return all(_normalised(sent.get(name)) == value for name, value in stored)


def _cache_control(headers: Mapping[str, str]) -> list[str]:
    """Return the response's Cache-Control directives, lower-case, with their arguments."""
    return [part.strip() for part in headers.get("cache-control", "").lower().split(",")]


def _normalised(value: str | None) -> str | None:
    """Return a header value with runs of whitespace made one space (RFC 9111 section 4.1)."""
    return None if value is None else " ".join(value.split())


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

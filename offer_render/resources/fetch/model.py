"""Define what fetching deals in: Fetched bytes, stored responses, fetcher and cache protocols.

Every fetcher takes a URL (or a local path), a byte cap and a name for messages,
and returns a :class:`Fetched` or raises :class:`~offer_render.errors.ResourceError`.
The messages two fetchers share (the byte cap, offline) are made here, so they read
the same wherever they are raised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

OFFLINE_MISS = "offline: not in cache"
"""The reason given when ``NetworkPolicy.offline`` forbids the network and nothing is stored."""

VaryValues = tuple[tuple[str, str | None], ...]
"""Request header names (lower-case) with the values sent (None: not sent)."""


@dataclass(frozen=True)
class Fetched:
    """Bytes fetched from ``url`` (the final URL, after redirects; ``file://`` for files).

    The validators (``etag``, ``last_modified``) and ``max_age`` come from the HTTP
    response and let a cache revalidate or reuse it; ``not_modified`` marks a 304
    answer to a conditional request (its ``data`` is empty).
    """

    url: str
    data: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    max_age: float | None = None
    """Seconds the response may be reused without asking again: Cache-Control max-age,
    Expires, or a tenth of its age since Last-Modified (see
    :mod:`~offer_render.resources.fetch.freshness`); None when the server said nothing."""
    not_modified: bool = False
    no_store: bool = False
    """The response may be used but not kept: it said ``Cache-Control: no-store``
    (RFC 9111 section 5.2.2.5) or ``Vary: *`` (section 4.1: no later request matches).
    Default: False."""
    vary: VaryValues = ()
    """The request headers the response's ``Vary`` names, with the values this request
    sent: a stored copy answers only a request that sends the same (RFC 9111 section
    4.1). Default: () (the response does not vary)."""

    @cached_property
    def digest(self) -> str:
        """Return the sha256 of ``data`` (hex), computed once; derived caches key on it."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class CachedResponse:
    """A response a :class:`FetchCache` holds, with when it was stored or last revalidated."""

    fetched: Fetched
    checked_at: float
    """``time.time()`` of the download or of the last 304 confirming it."""


class Fetcher(Protocol):
    """Fetch one resource or raise :class:`~offer_render.errors.ResourceError`."""

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        """Return the bytes at ``url``, at most ``max_bytes`` of them.

        ``what`` names the resource for messages (``"stylesheet"``, ``"font"``,
        ``"background"``). Relative paths and ``file://`` URLs are allowed only
        when the policy allows local files.
        """
        ...


class ConditionalFetcher(Fetcher, Protocol):
    """A :class:`Fetcher` a cache can revalidate through: it sends conditional requests
    and says which headers its requests carry (for matching ``Vary``)."""

    def fetch(
        self, url: str, *, max_bytes: int, what: str,
        validators: Mapping[str, str] | None = None,
    ) -> Fetched:
        """Return the bytes at ``url``, sending ``validators`` with the first request.

        ``validators`` are the conditional request headers (``If-None-Match``,
        ``If-Modified-Since``; RFC 9110 section 13.1). When the server answers 304
        the result has ``not_modified`` set and no data. Default: None (a plain GET).
        """
        ...

    def request_headers(self) -> Mapping[str, str]:
        """Return the headers every request sends (names case-insensitive)."""
        ...


class FetchCache(Protocol):
    """Where network responses are kept between fetches (memory, disk or both).

    ``get`` returns the stored response for ``url`` or ``None`` (a miss,
    including a corrupt entry); ``put`` stores a download (or a revalidated
    response, with a new ``checked_at``). The caching fetcher
    (:class:`~offer_render.resources.fetch.caching.CachingFetcher`) decides
    freshness and which responses may be stored.
    """

    def get(self, url: str) -> CachedResponse | None:
        """Return the cached response for ``url``, or ``None``."""
        ...

    def put(self, url: str, response: CachedResponse) -> None:
        """Store ``response`` as the answer for ``url``."""
        ...


def too_large(what: str, max_bytes: int) -> str:
    """Return the reason a ``what`` over the byte cap is refused."""
    return f"{what} is larger than the limit of {max_bytes:,} bytes"

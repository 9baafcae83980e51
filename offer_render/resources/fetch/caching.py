"""Cache network responses: take a ConditionalFetcher and a FetchCache, return a caching Fetcher.

:class:`CachingFetcher` answers an ``http``/``https`` fetch from its cache while the
stored response is fresh (:mod:`~offer_render.resources.fetch.freshness`), else asks
the inner fetcher again with the stored ETag / Last-Modified and keeps the stored
body on a 304. When that fails for a reason that says nothing about the resource
(timeout, connection error, HTTP 5xx) the stored copy is used (stale-if-error,
RFC 5861 section 4). With ``offline`` only stored responses are used. Local files
go straight to the inner fetcher.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from offer_render.errors import ResourceError
from offer_render.resources.fetch.freshness import freshness_lifetime, vary_matches
from offer_render.resources.fetch.model import (
    OFFLINE_MISS,
    CachedResponse,
    ConditionalFetcher,
    FetchCache,
    Fetched,
    too_large,
)
from offer_render.resources.fetch.urls import network_scheme

log = logging.getLogger(__name__)


class CachingFetcher:
    """Wrap a :class:`ConditionalFetcher` with an HTTP cache (RFC 9111, as a private
    cache); thread-safe when ``inner`` and ``cache`` are."""

    def __init__(
        self,
        inner: ConditionalFetcher,
        cache: FetchCache,
        *,
        default_max_age: float = 300.0,
        offline: bool = False,
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.default_max_age = default_max_age
        """Seconds a cached response is reused before it is revalidated when the server
        sent no Cache-Control max-age, Expires or Last-Modified. Default: 300 (fonts and
        backgrounds rarely change; a changed one shows within five minutes)."""
        self.offline = offline
        """Use stored responses whatever their age and never ask the network; a miss is
        an error (``NetworkPolicy.offline``). Default: False."""

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        """Return the bytes at ``url`` (at most ``max_bytes``) or raise ResourceError."""
        if not network_scheme(url):
            return self.inner.fetch(url, max_bytes=max_bytes, what=what)
        url = url.strip()
        hit = self._stored(url)
        if hit is not None and len(hit.fetched.data) > max_bytes:
            raise ResourceError(url, too_large(what, max_bytes))
        if hit is not None and (self.offline or self._fresh(hit)):
            log.debug("GET %s: from the cache, %d bytes", url, len(hit.fetched.data))
            return hit.fetched
        if self.offline:
            raise ResourceError(url, OFFLINE_MISS)
        try:
            fetched = self.inner.fetch(url, max_bytes=max_bytes, what=what,
                                       validators=_validators(hit))
        except ResourceError as e:
            if hit is not None and e.transient:
                # stale-if-error: the host is slow, down or failing; the stored copy is
                # the best there is (it is asked again on the next render)
                log.warning("using the stored copy of %s: %s", url, e.reason)
                return hit.fetched
            raise
        if fetched.not_modified and hit is not None:
            fetched = _confirmed(hit.fetched, fetched)
            log.debug("GET %s: revalidated (304), stored copy kept", url)
        if fetched.no_store:
            # RFC 9111 section 5.2.2.5 (no-store) and 4.1 (Vary: *): used once, not kept
            log.debug("GET %s: not stored (no-store or Vary: *)", url)
            return fetched
        self.cache.put(url, CachedResponse(fetched, time.time()))
        return fetched

    def _stored(self, url: str) -> CachedResponse | None:
        """Return the stored response for ``url`` if it may answer the request about to be sent.

        A response stored with ``Vary`` answers only a request with the same values of
        the headers it names (RFC 9111 section 4.1): after the User-Agent changes, a
        response that said ``Vary: User-Agent`` is a miss (and is replaced).
        """
        hit = self.cache.get(url)
        if hit is None or not hit.fetched.vary:
            return hit  # most responses vary on nothing: no need to ask for the headers
        if not vary_matches(hit.fetched.vary, self.inner.request_headers()):
            names = ", ".join(name for name, _ in hit.fetched.vary)
            log.debug("GET %s: the stored copy varies on %s, which differ: not used", url, names)
            return None
        return hit

    def _fresh(self, hit: CachedResponse) -> bool:
        max_age = hit.fetched.max_age
        if max_age is None:
            max_age = self.default_max_age
        return time.time() - hit.checked_at < max_age


def _validators(hit: CachedResponse | None) -> dict[str, str] | None:
    """Return the conditional request headers that revalidate ``hit`` (RFC 9110 section 13.1)."""
    if hit is None:
        return None
    validators = {}
    if hit.fetched.etag:
        validators["If-None-Match"] = hit.fetched.etag
    if hit.fetched.last_modified:
        validators["If-Modified-Since"] = hit.fetched.last_modified
    return validators or None


def _confirmed(stored: Fetched, answer: Fetched) -> Fetched:
    """Return ``stored`` as a 304 ``answer`` confirmed it: the stored body with the new
    freshness lifetime (from the stored Last-Modified when the 304 says nothing of its own)."""
    lifetime = answer.max_age
    if lifetime is None and stored.last_modified:
        lifetime = freshness_lifetime({"last-modified": stored.last_modified})
    return replace(stored, max_age=lifetime)

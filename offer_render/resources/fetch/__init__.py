"""Fetch bytes by URL under the network policy: take a URL or path, return a Fetched or raise.

This is the one I/O interface the resources stage uses (:class:`Fetcher`).
:func:`default_fetcher` builds the standard one from a :class:`RendererConfig`: a
:class:`PolicyFetcher` (``http``/``https`` with requests and, when the policy
allows, ``file://`` URLs and plain paths) wrapped by a :class:`CachingFetcher` over
memory and disk caches. Its guarantees:

- only ``http`` and ``https`` reach the network; any other scheme is refused;
- redirects are followed by hand, at most ``Limits.max_redirects``, each hop
  re-checked (scheme and address);
- the address policy (no loopback, private, link-local, CGNAT, multicast,
  unspecified, reserved or cloud-metadata addresses unless the host is in
  ``NetworkPolicy.allow_hosts``) is enforced **at connect time** on the address
  actually connected to, so a DNS answer that changes between a check and the
  connection (DNS rebinding) cannot slip past;
- one total deadline per fetch (``Limits.fetch_timeout``), redirects included,
  enforced by a watchdog that shuts the socket down when it passes, so a server
  that drips headers or body one byte at a time is cut at the deadline; within a
  render's budget (:mod:`offer_render.resources.deadline`) it is cut to what is left;
- stale-if-error: when revalidating a stored response fails for a reason that says
  nothing about the resource (timeout, connection error, HTTP 5xx), the stored copy
  is used;
- a byte cap while streaming that counts decoded bytes (a gzip bomb is cut after
  ``max_bytes`` of output, not of input);
- a response that says ``Cache-Control: no-store`` or ``Vary: *`` is used but not
  kept, and a stored response that said ``Vary`` answers only requests sending the
  same values of the headers it names (RFC 9111 sections 5.2.2.5 and 4.1).

One module per job: :mod:`.model` (what is passed around), :mod:`.urls`,
:mod:`.guard` (the address policy), :mod:`.watchdog` (the deadline), :mod:`.http`,
:mod:`.local`, :mod:`.policy` (routing by scheme), :mod:`.caching` (the HTTP cache's
rules, with :mod:`.freshness`) and :mod:`.store` (memory and disk caches).
"""

from __future__ import annotations

from offer_render.config import RendererConfig
from offer_render.resources.fetch.caching import CachingFetcher
from offer_render.resources.fetch.guard import address_refusal
from offer_render.resources.fetch.http import HttpFetcher
from offer_render.resources.fetch.local import LocalFileFetcher
from offer_render.resources.fetch.model import (
    CachedResponse,
    ConditionalFetcher,
    FetchCache,
    Fetched,
    Fetcher,
)
from offer_render.resources.fetch.policy import PolicyFetcher
from offer_render.resources.fetch.store import DiskFetchCache, LayeredFetchCache, MemoryFetchCache
from offer_render.resources.fetch.urls import resolve_url

__all__ = [
    "CachedResponse",
    "CachingFetcher",
    "ConditionalFetcher",
    "DiskFetchCache",
    "FetchCache",
    "Fetched",
    "Fetcher",
    "HttpFetcher",
    "LayeredFetchCache",
    "LocalFileFetcher",
    "MemoryFetchCache",
    "PolicyFetcher",
    "address_refusal",
    "default_fetcher",
    "resolve_url",
]


def default_fetcher(config: RendererConfig) -> Fetcher:
    """Return the fetcher a :class:`~offer_render.api.Renderer` uses unless given one.

    A :class:`PolicyFetcher` (``config.network``, ``config.limits``,
    ``config.user_agent``) wrapped by a :class:`CachingFetcher` (``config.default_max_age``,
    offline as ``config.network`` says) over a memory cache of
    ``config.caches.fetch_bytes`` in front of a disk cache in ``config.cache_dir`` of
    ``config.cache_dir_bytes`` (none when ``cache_dir`` is None); local files read are
    kept up to ``config.caches.local_file_bytes``.
    """
    disk = DiskFetchCache(config.cache_dir, config.cache_dir_bytes) if config.cache_dir else None
    cache = LayeredFetchCache(MemoryFetchCache(config.caches.fetch_bytes), disk)
    plain = PolicyFetcher(config.network, config.limits, config.user_agent,
                          local_file_bytes=config.caches.local_file_bytes)
    return CachingFetcher(plain, cache, default_max_age=config.default_max_age,
                          offline=config.network.offline)

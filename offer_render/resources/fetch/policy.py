"""Route a fetch by its scheme under the network policy: take a URL or path, return a Fetched.

``http`` and ``https`` go to :class:`~offer_render.resources.fetch.http.HttpFetcher`
(unless ``NetworkPolicy.offline``), ``file://`` URLs and plain paths to
:class:`~offer_render.resources.fetch.local.LocalFileFetcher` when
``NetworkPolicy.allow_local_files`` says so; every other scheme is refused. A
refusal is a ResourceError with ``refused`` set (nothing was fetched: the URL is at
fault, not a host). Nothing is cached here: wrap it in a
:class:`~offer_render.resources.fetch.caching.CachingFetcher` for that.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from offer_render.config import Limits, NetworkPolicy
from offer_render.errors import ResourceError
from offer_render.resources.fetch.http import HttpFetcher
from offer_render.resources.fetch.local import LOCAL_FILE_MEMO_BYTES, LocalFileFetcher
from offer_render.resources.fetch.model import OFFLINE_MISS, Fetched
from offer_render.resources.fetch.urls import NETWORK_SCHEMES, has_scheme


class PolicyFetcher:
    """Fetch URLs and local files under a :class:`NetworkPolicy` and :class:`Limits`.

    Thread-safe. ``session``, when given, is used for every HTTP request (see
    :class:`~offer_render.resources.fetch.http.HttpFetcher`); by default each
    thread makes its own. ``local_file_bytes`` bounds the memo of local files read.
    """

    def __init__(
        self,
        policy: NetworkPolicy,
        limits: Limits,
        user_agent: str,
        session: requests.Session | None = None,
        *,
        local_file_bytes: int = LOCAL_FILE_MEMO_BYTES,
    ) -> None:
        self.policy = policy
        self.http = HttpFetcher(policy.allow_hosts, limits, user_agent, session)
        self.local = LocalFileFetcher(policy.base_dir, local_file_bytes)

    def fetch(
        self, url: str, *, max_bytes: int, what: str,
        validators: Mapping[str, str] | None = None,
    ) -> Fetched:
        """Return the bytes at ``url`` (at most ``max_bytes``) or raise ResourceError.

        ``validators`` (conditional request headers) are sent with an HTTP request
        and ignored for a local file. Default: None.
        """
        if not url or not url.strip():
            raise ResourceError(url, f"empty {what} URL")
        try:
            scheme = urlsplit(url.strip()).scheme.lower()
        except ValueError as e:
            raise ResourceError(url, f"invalid URL: {e}") from None
        if scheme in NETWORK_SCHEMES:
            if self.policy.offline:
                raise ResourceError(url, OFFLINE_MISS)
            return self.http.fetch(url.strip(), max_bytes=max_bytes, what=what,
                                   validators=validators)
        if scheme == "file" or not has_scheme(url.strip()):
            if not self.policy.allow_local_files:
                raise ResourceError(url, "local files are not allowed by the network policy",
                                    refused=True)
            return self.local.fetch(url, max_bytes=max_bytes, what=what)
        allowed = "http, https, file" if self.policy.allow_local_files else "http, https"
        raise ResourceError(url, f"the {scheme}: scheme is not allowed (only {allowed})",
                            refused=True)

    def request_headers(self) -> Mapping[str, str]:
        """Return the headers every HTTP request sends (see :meth:`HttpFetcher.request_headers`)."""
        return self.http.request_headers()

    def close(self) -> None:
        """Close the HTTP sessions this fetcher made (see :meth:`HttpFetcher.close`)."""
        self.http.close()

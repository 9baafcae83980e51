"""Download over HTTP(S) under the address policy: take an http(s) URL, return a Fetched or raise.

One GET per hop, redirects followed by hand (each hop re-checked), the decoded body
streamed under a byte cap, the whole fetch held to one deadline by the watchdog.
Conditional request headers are sent when the caller gives them; nothing is cached
here (:mod:`~offer_render.resources.fetch.caching` does that).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from offer_render.config import Limits
from offer_render.errors import ResourceError
from offer_render.gil import outside_turn
from offer_render.resources.fetch.freshness import freshness_lifetime, no_store, vary_values
from offer_render.resources.fetch.guard import GuardedAdapter, Refused, allowed_hosts
from offer_render.resources.fetch.model import Fetched, too_large
from offer_render.resources.fetch.urls import NETWORK_SCHEMES
from offer_render.resources.fetch.watchdog import FetchContext, fetch_deadline

log = logging.getLogger(__name__)

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
"""Bytes asked for per body read. Default: 64 KiB (small enough that the cap is checked often)."""


class HttpFetcher:
    """Fetch ``http``/``https`` URLs, connecting only where ``allow_hosts`` and the
    address policy allow (:mod:`~offer_render.resources.fetch.guard`), within ``limits``.

    Thread-safe: each thread gets its own ``requests.Session`` (and so its own
    connection pools) unless a ``session`` is given, which is then shared and
    must be safe for the caller's use. A given session gets the guarded adapters
    mounted for ``http://`` and ``https://`` so the address policy holds on it too.
    Environment proxies and ``.netrc`` are ignored (``trust_env = False``) on
    sessions this class creates.
    """

    def __init__(
        self,
        allow_hosts: Iterable[str],
        limits: Limits,
        user_agent: str,
        session: requests.Session | None = None,
    ) -> None:
        self.limits = limits
        self.user_agent = user_agent
        self._allow = allowed_hosts(allow_hosts)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._shared = session
        if session is not None:
            self._mount(session)

    def fetch(
        self, url: str, *, max_bytes: int, what: str,
        validators: Mapping[str, str] | None = None,
    ) -> Fetched:
        """Return the bytes at ``url`` (at most ``max_bytes``) or raise ResourceError.

        ``validators`` (conditional request headers) go with the first request only;
        a 304 answer to them is a Fetched with ``not_modified`` set and no data.
        """
        start = time.perf_counter()
        try:
            # waits on the network: other threads render meanwhile (offer_render.gil)
            with outside_turn(), fetch_deadline(url, self.limits.fetch_timeout) as ctx:
                fetched, status = self._follow(
                    url, ctx, max_bytes=max_bytes, what=what, headers=dict(validators or {}))
        except ResourceError as e:
            log.debug("GET %s: failed after %.0f ms: %s", url, _ms(start), e.reason)
            raise
        log.debug("GET %s: HTTP %d, %d bytes, %.0f ms", url, status, len(fetched.data), _ms(start))
        return fetched

    def request_headers(self) -> Mapping[str, str]:
        """Return the headers every request sends: the session's, with our User-Agent."""
        headers = _text_headers(self._session().headers)
        headers["User-Agent"] = self.user_agent
        return headers

    def close(self) -> None:
        """Close the sessions (and pooled connections) this fetcher created, in every thread.

        A session passed in by the caller is left open. Fetching again afterwards
        works: a fresh session is made on demand.
        """
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    def _follow(
        self, url: str, ctx: FetchContext, *, max_bytes: int, what: str, headers: dict[str, str]
    ) -> tuple[Fetched, int]:
        """Send GETs from ``url`` through at most ``max_redirects`` redirects; read the body.

        Return the Fetched and the final status. ``headers`` (conditional-request
        validators) go with the first request only.
        """
        session = self._session()
        current = url
        redirects = 0
        while True:
            resp = self._send(session, url, current, ctx, headers if current == url else {})
            try:
                if resp.status_code in _REDIRECT_STATUSES and "location" in resp.headers:
                    if redirects >= self.limits.max_redirects:
                        limit = self.limits.max_redirects
                        raise ResourceError(url, f"too many redirects (more than {limit})")
                    target = urljoin(current, resp.headers["location"].strip())
                    scheme = urlsplit(target).scheme.lower()
                    if scheme not in NETWORK_SCHEMES:
                        msg = f"redirected to {target}: only http and https redirects are followed"
                        raise ResourceError(url, msg, refused=True)
                    redirects += 1
                    current = target
                    continue
                if resp.status_code == 304 and headers:
                    lifetime = freshness_lifetime(resp.headers)
                    return Fetched(url=current, data=b"", max_age=lifetime,
                                   not_modified=True), 304
                if not 200 <= resp.status_code < 300:
                    via = f" (from {current})" if current != url else ""
                    raise ResourceError(url, f"HTTP {resp.status_code} {resp.reason}{via}".strip(),
                                        transient=resp.status_code >= 500)
                data = self._read_body(resp, url, ctx, max_bytes=max_bytes, what=what)
                return _fetched(current, data, resp), resp.status_code
            finally:
                resp.close()

    def _send(
        self,
        session: requests.Session,
        url: str,
        current: str,
        ctx: FetchContext,
        extra_headers: dict[str, str],
    ) -> requests.Response:
        remaining = ctx.deadline - time.monotonic()
        if remaining <= 0:
            raise ResourceError(url, ctx.timed_out(), transient=True)
        via = f" (redirected to {current})" if current != url else ""
        try:
            return session.get(
                current,
                stream=True,
                allow_redirects=False,
                timeout=(remaining, remaining),
                headers={"User-Agent": self.user_agent, **extra_headers},
            )
        except Refused as e:
            raise ResourceError(url, e.reason + via, refused=e.policy) from None
        except requests.RequestException as e:
            if ctx.passed() or isinstance(e, requests.Timeout):
                raise ResourceError(url, ctx.timed_out(), transient=True) from None
            raise ResourceError(url, f"request failed{via}: {_one_line(e)}",
                                transient=True) from None

    def _read_body(
        self,
        resp: requests.Response,
        url: str,
        ctx: FetchContext,
        *,
        max_bytes: int,
        what: str,
    ) -> bytes:
        """Stream the decoded body, stopping at ``max_bytes`` or the deadline."""
        declared = resp.headers.get("content-length", "")
        encoded = resp.headers.get("content-encoding", "identity").lower() not in ("", "identity")
        if not encoded and declared.isdigit() and int(declared) > max_bytes:
            raise ResourceError(url, too_large(what, max_bytes))
        raw = resp.raw
        chunks: list[bytes] = []
        total = 0
        while True:
            if time.monotonic() >= ctx.deadline:
                raise ResourceError(url, ctx.timed_out(), transient=True)
            try:
                chunk = raw.read(_CHUNK, decode_content=True)
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as e:
                if ctx.passed():
                    raise ResourceError(url, ctx.timed_out(), transient=True) from None
                if isinstance(e, urllib3.exceptions.DecodeError):
                    raise ResourceError(url, "cannot decode the compressed response") from None
                raise ResourceError(url, f"download failed: {_one_line(e)}",
                                    transient=True) from None
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise ResourceError(url, too_large(what, max_bytes))
            chunks.append(chunk)
        if ctx.expired:  # the watchdog's shutdown looks like a clean end of stream
            raise ResourceError(url, ctx.timed_out(), transient=True)
        raw.release_conn()  # body fully read: the connection may be reused
        return b"".join(chunks)

    def _session(self) -> requests.Session:
        if self._shared is not None:
            return self._shared
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            self._mount(session)
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _mount(self, session: requests.Session) -> None:
        adapter = GuardedAdapter(self._allow)
        session.mount("http://", adapter)
        session.mount("https://", adapter)


def _fetched(url: str, data: bytes, resp: requests.Response) -> Fetched:
    """Return the Fetched of a 2xx response: its body and what a cache needs to know."""
    headers = resp.headers
    varies = vary_values(headers, _text_headers(resp.request.headers))
    return Fetched(
        url=url,
        data=data,
        content_type=headers.get("content-type"),
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        max_age=freshness_lifetime(headers),
        no_store=no_store(headers) or varies is None,
        vary=varies or (),
    )


def _text_headers(headers: Mapping[str, str | bytes | None]) -> CaseInsensitiveDict[str]:
    """Return request ``headers`` as text, without the None ones requests leaves out."""
    return CaseInsensitiveDict({
        name: value if isinstance(value, str) else value.decode("latin-1")
        for name, value in headers.items() if value is not None
    })


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] if text else type(e).__name__

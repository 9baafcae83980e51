"""Fetch bytes by URL under the network policy: take a URL or path, return a Fetched or raise.

This is the one I/O interface the resources stage uses. :class:`PolicyFetcher`
implements it for ``http``/``https`` (with requests) and, when the policy allows,
for ``file://`` URLs and plain paths. Its guarantees (SPEC 5):

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
  ``max_bytes`` of output, not of input).
"""

from __future__ import annotations

import hashlib
import ipaddress
import mimetypes
import socket
import stat
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import SplitResult, urljoin, urlsplit
from urllib.request import url2pathname

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse
from urllib3.util.connection import allowed_gai_family

from offer_render.cache import BoundedCache
from offer_render.config import Limits, NetworkPolicy
from offer_render.errors import ResourceError
from offer_render.resources.deadline import time_left
from offer_render.resources.freshness import freshness_lifetime

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NETWORK_SCHEMES = ("http", "https")
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
LOCAL_FILE_MEMO_BYTES = 32 * 1024 * 1024
"""Local files kept after reading, by (path, mtime, size), so an unchanged file is
neither read nor hashed again. Default: 32 MiB."""
_CHUNK = 64 * 1024
"""Bytes asked for per body read. Default: 64 KiB (small enough that the cap is checked often)."""

_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
    )
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


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
    :mod:`~offer_render.resources.freshness`); None when the server said nothing."""
    not_modified: bool = False

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


class FetchCache(Protocol):
    """Where network responses are kept between fetches (memory, disk or both).

    ``get`` returns the stored response for ``url`` or ``None`` (a miss,
    including a corrupt entry); ``put`` stores a download (or a revalidated
    response, with a new ``checked_at``). The fetcher decides freshness: a
    response younger than its ``max_age`` (or the fetcher's default) is reused,
    an older one is revalidated with its ETag or Last-Modified. With
    ``NetworkPolicy.offline`` any stored response is used and a miss is an error.
    """

    def get(self, url: str) -> CachedResponse | None:
        """Return the cached response for ``url``, or ``None``."""
        ...

    def put(self, url: str, response: CachedResponse) -> None:
        """Store ``response`` as the answer for ``url``."""
        ...


def resolve_url(ref: str, base: str | None) -> str:
    """Return ``ref`` resolved against ``base`` (a URL, a ``file://`` URL or a plain path).

    A ``ref`` with its own scheme is returned unchanged; with no ``base`` the
    ``ref`` is returned unchanged (a relative path is then resolved by the
    fetcher against ``NetworkPolicy.base_dir``). A relative ``ref`` against a
    plain-path ``base`` is taken relative to that file's folder.
    """
    ref = ref.strip()
    if _has_scheme(ref) or base is None:
        return ref
    if _has_scheme(base):
        return urljoin(base, ref)
    if Path(ref).is_absolute():
        return ref
    return str(Path(base).parent / ref)


def address_refusal(ip: IPAddress) -> str | None:
    """Return why ``ip`` may not be connected to (``"loopback"``...), or ``None`` if public.

    IPv4-mapped IPv6 (``::ffff:127.0.0.1``), NAT64 (``64:ff9b::/96``) and 6to4
    (``2002::/16``) addresses are judged by the IPv4 address they carry.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            embedded = address_refusal(ip.sixtofour)
            if embedded is not None:
                return f"6to4 for a {embedded} address"
    if ip in _METADATA_ADDRESSES:
        return "cloud metadata"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "carrier-grade NAT"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not a public address"),
    )
    for hit, why in checks:
        if hit:
            return why
    return None


class _Refused(Exception):  # noqa: N818 - internal signal, not an error type users see
    """Raised inside the connection to carry a clean one-line reason out of requests.

    It derives from ``Exception`` (not ``OSError``) on purpose: urllib3 and
    requests wrap only ``OSError`` and their own types, so this reaches
    :meth:`PolicyFetcher.fetch` unchanged.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- deadline watchdog --------------------------------------------------------


@dataclass(eq=False)
class _FetchContext:
    """Per-fetch state the watchdog uses: sockets in use, whether the deadline passed."""

    deadline: float
    timeout: float = 0.0
    """Seconds the fetch was given (for messages)."""
    render_deadline: bool = False
    """The render's budget, not the per-fetch limit, set ``deadline``."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    socks: list[socket.socket] = field(default_factory=list)
    done: bool = False
    expired: bool = False

    def watch(self, sock: socket.socket | None) -> None:
        """Remember ``sock`` so it is shut down if the deadline passes."""
        if sock is None:
            return
        with self.lock:
            if not any(s is sock for s in self.socks):
                self.socks.append(sock)

    def fire(self) -> None:
        """Shut down every watched socket: blocked reads in the fetching thread return."""
        with self.lock:
            if self.done:
                return
            self.expired = True
            for sock in self.socks:
                # socket.socket.shutdown on the fd directly: SSLSocket.shutdown would also
                # drop its SSL object under the reading thread's feet. A socket closed
                # since has fileno -1, so a reused descriptor is never touched.
                try:
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass


_ACTIVE = threading.local()
"""``_ACTIVE.ctx``: the :class:`_FetchContext` of the fetch running in this thread."""


def _watch_current(conn: HTTPConnection) -> None:
    """Put ``conn``'s socket under the watchdog of the fetch running in this thread.

    Called before the request is sent and before the response is read: http.client
    drops ``conn.sock`` once a close-delimited response has started, so the socket
    is captured while it is still there.
    """
    ctx: _FetchContext | None = getattr(_ACTIVE, "ctx", None)
    if ctx is not None:
        ctx.watch(conn.sock)


# --- connect-time address policy -----------------------------------------------


def _guarded_connect(conn: HTTPConnection, allow: frozenset[str]) -> socket.socket:
    """Resolve ``conn``'s host, check every address, connect only to an allowed one."""
    host = conn.host
    port = conn.port
    name = host.strip("[]").lower()
    try:
        name.encode("idna")
        infos = socket.getaddrinfo(name, port, allowed_gai_family(), socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        reason = e.strerror if isinstance(e, socket.gaierror) else str(e)
        msg = f"cannot resolve host {host}: {reason}"
        raise _Refused(msg) from None
    host_allowed = name in allow
    refused: list[str] = []
    last_error: OSError | None = None
    for family, socktype, proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not host_allowed and str(ip) not in allow:
            why = address_refusal(ip)
            if why is not None:
                refused.append(f"{ip} ({why})")
                continue
        sock = socket.socket(family, socktype, proto)
        try:
            for opt in conn.socket_options or ():
                sock.setsockopt(*opt)
            if isinstance(conn.timeout, int | float):
                sock.settimeout(conn.timeout)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.connect(sockaddr)
        except OSError as e:
            sock.close()
            last_error = e
            continue
        sys.audit("http.client.connect", conn, conn.host, conn.port)
        return sock
    if last_error is not None:
        if isinstance(last_error, TimeoutError):
            msg = f"connecting to {host}:{port} timed out"
        else:
            msg = f"cannot connect to {host}:{port}: {last_error.strerror or last_error}"
        raise _Refused(msg)
    if refused:
        msg = f"address {', '.join(refused)} of host {host} is not allowed by the network policy"
        raise _Refused(msg)
    msg = f"cannot resolve host {host}: no addresses"
    raise _Refused(msg)


def _pool_classes(
    allow: frozenset[str],
) -> tuple[type[HTTPConnectionPool], type[HTTPSConnectionPool]]:
    """Return connection-pool classes whose connections enforce the address policy."""

    def guarded(base: type[HTTPConnection]) -> Any:
        """Return ``base`` with connects checked by the address policy and fetches watched."""

        class Guarded(base):  # type: ignore[valid-type, misc]  # a base chosen at run time
            def _new_conn(self) -> socket.socket:
                return _guarded_connect(self, allow)

            def request(self, *args: Any, **kwargs: Any) -> None:
                _watch_current(self)
                super().request(*args, **kwargs)

            def getresponse(self) -> HTTPResponse:
                _watch_current(self)
                return super().getresponse()  # type: ignore[no-any-return]

        return Guarded

    GuardedHTTPConnection = guarded(HTTPConnection)
    GuardedHTTPSConnection = guarded(HTTPSConnection)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return GuardedHTTPPool, GuardedHTTPSPool


class _GuardedAdapter(HTTPAdapter):
    """A requests adapter whose pools connect only to addresses the policy allows."""

    def __init__(self, allow: frozenset[str]) -> None:
        self._pools = _pool_classes(allow)
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        http_pool, https_pool = self._pools
        self.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # A proxy would be the address connected to, which defeats the policy.
        msg = f"proxies are not supported by the network policy (proxy {proxy})"
        raise _Refused(msg)


# --- the fetcher ---------------------------------------------------------------


class PolicyFetcher:
    """Fetch URLs and local files under a :class:`NetworkPolicy` and :class:`Limits`.

    Thread-safe: each thread gets its own ``requests.Session`` (and so its own
    connection pools) unless a ``session`` is given, which is then shared and
    must be safe for the caller's use. A given session gets the guarded adapters
    mounted for ``http://`` and ``https://`` so the address policy holds on it too.
    Environment proxies and ``.netrc`` are ignored (``trust_env = False``) on
    sessions this class creates.
    """

    def __init__(
        self,
        policy: NetworkPolicy,
        limits: Limits,
        user_agent: str,
        session: requests.Session | None = None,
        *,
        cache: FetchCache | None = None,
        default_max_age: float = 300.0,
    ) -> None:
        self.policy = policy
        self.limits = limits
        self.user_agent = user_agent
        self.cache = cache
        self.default_max_age = default_max_age
        """Seconds a cached response is reused before it is revalidated when the server
        sent no Cache-Control max-age, Expires or Last-Modified. Default: 300 (fonts and
        backgrounds rarely change; a changed one shows within five minutes)."""
        self._allow = frozenset(h.strip().strip("[]").lower() for h in policy.allow_hosts)
        self._local = threading.local()
        self._local_files: BoundedCache[Fetched] = BoundedCache(
            LOCAL_FILE_MEMO_BYTES, lambda f: 256 + len(f.data)
        )
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._shared = session
        if session is not None:
            self._mount(session)

    # -- public ---------------------------------------------------------------

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        """Return the bytes at ``url`` (at most ``max_bytes``) or raise ResourceError."""
        if not url or not url.strip():
            raise ResourceError(url, f"empty {what} URL")
        try:
            parts = urlsplit(url.strip())
        except ValueError as e:
            raise ResourceError(url, f"invalid URL: {e}") from None
        scheme = parts.scheme.lower()
        if scheme in _NETWORK_SCHEMES:
            return self._fetch_network(url.strip(), max_bytes=max_bytes, what=what)
        if scheme == "file" or not _has_scheme(url.strip()):
            return self._fetch_local(url, parts, max_bytes=max_bytes, what=what)
        allowed = "http, https, file" if self.policy.allow_local_files else "http, https"
        raise ResourceError(url, f"the {scheme}: scheme is not allowed (only {allowed})")

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

    # -- local files ------------------------------------------------------------

    def _fetch_local(self, url: str, parts: SplitResult, *, max_bytes: int, what: str) -> Fetched:
        if not self.policy.allow_local_files:
            raise ResourceError(url, "local files are not allowed by the network policy")
        if parts.scheme.lower() == "file":
            if parts.netloc not in ("", "localhost"):
                raise ResourceError(url, "file URLs must not name a remote host")
            path = Path(url2pathname(parts.path))
        else:
            path = Path(url.strip())
        if not path.is_absolute():
            path = (self.policy.base_dir or Path.cwd()) / path
        try:
            path = path.resolve()
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):
                raise ResourceError(url, "not a regular file")
            if st.st_size > max_bytes:
                raise ResourceError(url, _too_large(what, max_bytes))
            memo_key = (path, st.st_mtime_ns, st.st_size)
            known = self._local_files.get(memo_key)
            if known is not None:
                return known  # unchanged since the last read: same bytes, digest known
            with path.open("rb") as f:
                data = f.read(max_bytes + 1)
        except FileNotFoundError:
            raise ResourceError(url, "no such file") from None
        except OSError as e:
            raise ResourceError(url, f"cannot read file: {e.strerror or e}") from None
        if len(data) > max_bytes:  # the file grew after stat
            raise ResourceError(url, _too_large(what, max_bytes))
        content_type, _ = mimetypes.guess_type(path.name)
        fetched = Fetched(url=path.as_uri(), data=data, content_type=content_type)
        if len(data) == st.st_size:
            self._local_files.put(memo_key, fetched)
        return fetched

    # -- network ----------------------------------------------------------------

    def _fetch_network(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        hit = self.cache.get(url) if self.cache is not None else None
        if hit is not None and len(hit.fetched.data) > max_bytes:
            raise ResourceError(url, _too_large(what, max_bytes))
        if hit is not None and (self.policy.offline or self._fresh(hit)):
            return hit.fetched
        if self.policy.offline:
            raise ResourceError(url, "offline: not in cache")
        validators = {}
        if hit is not None:
            if hit.fetched.etag:
                validators["If-None-Match"] = hit.fetched.etag
            if hit.fetched.last_modified:
                validators["If-Modified-Since"] = hit.fetched.last_modified
        try:
            fetched = self._download(url, max_bytes=max_bytes, what=what, headers=validators)
        except ResourceError as e:
            if hit is not None and e.transient:
                # stale-if-error: the host is slow, down or failing; the stored copy is
                # the best there is (it is asked again on the next render)
                return hit.fetched
            raise
        if fetched.not_modified and hit is not None:
            # Still valid: keep the stored body, take the new freshness lifetime (from
            # the stored Last-Modified when the 304 says nothing of its own).
            lifetime = fetched.max_age
            if lifetime is None and hit.fetched.last_modified:
                lifetime = freshness_lifetime({"last-modified": hit.fetched.last_modified})
            fetched = replace(hit.fetched, max_age=lifetime)
        if self.cache is not None:
            self.cache.put(url, CachedResponse(fetched, time.time()))
        return fetched

    def _fresh(self, hit: CachedResponse) -> bool:
        max_age = hit.fetched.max_age
        if max_age is None:
            max_age = self.default_max_age
        return time.time() - hit.checked_at < max_age

    def _download(
        self, url: str, *, max_bytes: int, what: str, headers: dict[str, str] | None = None
    ) -> Fetched:
        timeout = self.limits.fetch_timeout
        left = time_left()
        if left is not None and left <= 0:
            raise ResourceError(url, "not fetched: the render's deadline has passed",
                                transient=True)
        capped = left is not None and left < timeout
        if left is not None and capped:
            timeout = left
        ctx = _FetchContext(deadline=time.monotonic() + timeout, timeout=timeout,
                            render_deadline=capped)
        timer = threading.Timer(timeout, ctx.fire)
        timer.daemon = True
        previous = getattr(_ACTIVE, "ctx", None)
        _ACTIVE.ctx = ctx
        timer.start()
        try:
            return self._follow(url, ctx, max_bytes=max_bytes, what=what, headers=headers or {})
        finally:
            with ctx.lock:
                ctx.done = True
            timer.cancel()
            _ACTIVE.ctx = previous

    def _follow(
        self, url: str, ctx: _FetchContext, *, max_bytes: int, what: str, headers: dict[str, str]
    ) -> Fetched:
        """Send GETs from ``url`` through at most ``max_redirects`` redirects; read the body.

        ``headers`` (conditional-request validators) go with the first request only.
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
                    if scheme not in _NETWORK_SCHEMES:
                        msg = f"redirected to {target}: only http and https redirects are followed"
                        raise ResourceError(url, msg)
                    redirects += 1
                    current = target
                    continue
                if resp.status_code == 304 and headers:
                    lifetime = freshness_lifetime(resp.headers)
                    return Fetched(url=current, data=b"", max_age=lifetime, not_modified=True)
                if not 200 <= resp.status_code < 300:
                    via = f" (from {current})" if current != url else ""
                    raise ResourceError(url, f"HTTP {resp.status_code} {resp.reason}{via}".strip(),
                                        transient=resp.status_code >= 500)
                data = self._read_body(resp, url, ctx, max_bytes=max_bytes, what=what)
                return Fetched(
                    url=current,
                    data=data,
                    content_type=resp.headers.get("content-type"),
                    etag=resp.headers.get("etag"),
                    last_modified=resp.headers.get("last-modified"),
                    max_age=freshness_lifetime(resp.headers),
                )
            finally:
                resp.close()

    def _send(
        self,
        session: requests.Session,
        url: str,
        current: str,
        ctx: _FetchContext,
        extra_headers: dict[str, str],
    ) -> requests.Response:
        remaining = ctx.deadline - time.monotonic()
        if remaining <= 0:
            raise ResourceError(url, self._timed_out(ctx), transient=True)
        via = f" (redirected to {current})" if current != url else ""
        try:
            return session.get(
                current,
                stream=True,
                allow_redirects=False,
                timeout=(remaining, remaining),
                headers={"User-Agent": self.user_agent, **extra_headers},
            )
        except _Refused as e:
            raise ResourceError(url, e.reason + via) from None
        except requests.RequestException as e:
            if ctx.expired or time.monotonic() >= ctx.deadline or isinstance(e, requests.Timeout):
                raise ResourceError(url, self._timed_out(ctx), transient=True) from None
            raise ResourceError(url, f"request failed{via}: {_one_line(e)}",
                                transient=True) from None

    def _read_body(
        self,
        resp: requests.Response,
        url: str,
        ctx: _FetchContext,
        *,
        max_bytes: int,
        what: str,
    ) -> bytes:
        """Stream the decoded body, stopping at ``max_bytes`` or the deadline."""
        declared = resp.headers.get("content-length", "")
        encoded = resp.headers.get("content-encoding", "identity").lower() not in ("", "identity")
        if not encoded and declared.isdigit() and int(declared) > max_bytes:
            raise ResourceError(url, _too_large(what, max_bytes))
        raw = resp.raw
        chunks: list[bytes] = []
        total = 0
        while True:
            if time.monotonic() >= ctx.deadline:
                raise ResourceError(url, self._timed_out(ctx), transient=True)
            try:
                chunk = raw.read(_CHUNK, decode_content=True)
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as e:
                if ctx.expired or time.monotonic() >= ctx.deadline:
                    raise ResourceError(url, self._timed_out(ctx), transient=True) from None
                if isinstance(e, urllib3.exceptions.DecodeError):
                    raise ResourceError(url, "cannot decode the compressed response") from None
                raise ResourceError(url, f"download failed: {_one_line(e)}",
                                    transient=True) from None
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise ResourceError(url, _too_large(what, max_bytes))
            chunks.append(chunk)
        if ctx.expired:  # the watchdog's shutdown looks like a clean end of stream
            raise ResourceError(url, self._timed_out(ctx), transient=True)
        raw.release_conn()  # body fully read: the connection may be reused
        return b"".join(chunks)

    def _timed_out(self, ctx: _FetchContext) -> str:
        if ctx.render_deadline:
            return f"timed out after {ctx.timeout:g} s (what was left of the render's deadline)"
        return f"timed out after {ctx.timeout:g} s (total deadline per fetch)"

    # -- sessions ---------------------------------------------------------------

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
        adapter = _GuardedAdapter(self._allow)
        session.mount("http://", adapter)
        session.mount("https://", adapter)


def _has_scheme(ref: str) -> bool:
    """Say whether ``ref`` starts with a URL scheme (a Windows drive letter is not one)."""
    try:
        return len(urlsplit(ref).scheme) > 1
    except ValueError:
        return False


def _too_large(what: str, max_bytes: int) -> str:
    return f"{what} is larger than the limit of {max_bytes:,} bytes"


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] if text else type(e).__name__


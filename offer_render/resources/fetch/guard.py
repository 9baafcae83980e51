"""Enforce the address policy at connect time: take allowed hosts, return a requests adapter.

The adapter's connections resolve the host themselves, judge every address with
:func:`address_refusal` and connect only to an allowed one, so a DNS answer that
changes between a check and the connection (DNS rebinding) cannot slip past.
Their sockets are put under the fetch's watchdog
(:func:`~offer_render.resources.fetch.watchdog.watch_current`).
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Iterable
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse
from urllib3.util.connection import allowed_gai_family

from offer_render.resources.fetch.watchdog import watch_current

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

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


def allowed_hosts(hosts: Iterable[str]) -> frozenset[str]:
    """Return ``NetworkPolicy.allow_hosts`` as the guard compares them: lower-case, unbracketed."""
    return frozenset(h.strip().strip("[]").lower() for h in hosts)


class Refused(Exception):  # noqa: N818 - internal signal, not an error type users see
    """Raised inside the connection to carry a clean one-line reason out of requests.

    It derives from ``Exception`` (not ``OSError``) on purpose: urllib3 and
    requests wrap only ``OSError`` and their own types, so this reaches the
    fetcher unchanged. ``policy`` is True when the address policy refused to
    connect (the fetcher's ResourceError then says ``refused``), False when the
    host could not be resolved or reached. Default: False.
    """

    def __init__(self, reason: str, *, policy: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.policy = policy


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
        raise Refused(msg) from None
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
        raise Refused(msg)
    if refused:
        msg = f"address {', '.join(refused)} of host {host} is not allowed by the network policy"
        raise Refused(msg, policy=True)
    msg = f"cannot resolve host {host}: no addresses"
    raise Refused(msg)


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
                watch_current(self)
                super().request(*args, **kwargs)

            def getresponse(self) -> HTTPResponse:
                watch_current(self)
                return super().getresponse()  # type: ignore[no-any-return]

        return Guarded

    GuardedHTTPConnection = guarded(HTTPConnection)
    GuardedHTTPSConnection = guarded(HTTPSConnection)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return GuardedHTTPPool, GuardedHTTPSPool


class GuardedAdapter(HTTPAdapter):
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
        raise Refused(msg, policy=True)

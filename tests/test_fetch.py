"""Test PolicyFetcher against a real local HTTP server: policy, redirects, deadline, byte caps."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from offer_render.config import Limits, NetworkPolicy
from offer_render.errors import ResourceError
from offer_render.resources.fetch import (
    CachingFetcher,
    Fetched,
    MemoryFetchCache,
    PolicyFetcher,
    address_refusal,
    resolve_url,
)

if TYPE_CHECKING:
    from conftest import LocalServer

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"

MB = 1024 * 1024


def test_fetch_file_from_server(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    url = http_server.url("/backgrounds/chelsea.png")

    got = fetcher.fetch(url, max_bytes=MB, what="background")

    assert got.url == url
    assert got.data == (FIXTURES_DIR / "backgrounds/chelsea.png").read_bytes()
    assert got.content_type == "image/png"


def test_user_agent_sent(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    got = fetcher.fetch(http_server.url("/headers"), max_bytes=MB, what="stylesheet")

    assert json.loads(got.data)["User-Agent"] == "offer-render-tests"


def test_served_tmp_is_served(
    http_server: LocalServer, served_tmp: Path, fetcher: PolicyFetcher
) -> None:
    (served_tmp / "hello.txt").write_bytes(b"hello")

    got = fetcher.fetch(http_server.url("/tmp/hello.txt"), max_bytes=100, what="stylesheet")

    assert got.data == b"hello"


def test_404_is_a_resource_error(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    url = http_server.url("/status/404")

    with pytest.raises(ResourceError, match="HTTP 404") as info:
        fetcher.fetch(url, max_bytes=MB, what="font")

    assert info.value.url == url


def test_redirect_followed(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    target = http_server.url("/backgrounds/LICENSE.txt")

    got = fetcher.fetch(http_server.url(f"/redirect?to={target}"), max_bytes=MB, what="x")

    assert got.url == target
    assert b"CC0" in got.data


@pytest.mark.parametrize("hops", [0, 1, 3])
def test_redirect_chain_within_cap(
    http_server: LocalServer, fetcher: PolicyFetcher, hops: int
) -> None:
    got = fetcher.fetch(http_server.url(f"/redirect-chain/{hops}"), max_bytes=MB, what="x")

    assert got.data == b"chain end\n"
    assert got.url == http_server.url("/redirect-chain/0")


def test_redirect_chain_over_cap_refused(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    with pytest.raises(ResourceError, match=r"too many redirects \(more than 3\)"):
        fetcher.fetch(http_server.url("/redirect-chain/4"), max_bytes=MB, what="x")


def test_redirect_to_file_url_refused(http_server: LocalServer) -> None:
    # Even with local files allowed, a server may not redirect into the file system.
    local_ok = PolicyFetcher(
        NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}), allow_local_files=True),
        Limits(fetch_timeout=2.0),
        "t",
    )
    url = http_server.url("/redirect?to=file:///etc/passwd")

    with pytest.raises(ResourceError, match="redirected to file:///etc/passwd"):
        local_ok.fetch(url, max_bytes=MB, what="x")


def test_redirect_to_disallowed_address_refused(http_server: LocalServer) -> None:
    # The server is allowed; the hop it redirects to (another loopback address) is not.
    url = http_server.url(f"/redirect?to=http://127.0.0.2:{http_server.port}/x")
    fetcher = PolicyFetcher(
        NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})), Limits(fetch_timeout=2.0), "t"
    )

    with pytest.raises(ResourceError, match=r"127\.0\.0\.2 \(loopback\).*not allowed"):
        fetcher.fetch(url, max_bytes=MB, what="x")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.2",
        "2130706433",  # decimal 127.0.0.1, not literally in allow_hosts
        "localhost",
        "[::1]",
        "[::ffff:127.0.0.1]",
    ],
)
def test_loopback_not_in_allow_hosts_refused(http_server: LocalServer, host: str) -> None:
    fetcher = PolicyFetcher(NetworkPolicy(), Limits(fetch_timeout=2.0), "t")

    with pytest.raises(ResourceError, match="not allowed by the network policy") as info:
        fetcher.fetch(f"http://{host}:{http_server.port}/x", max_bytes=MB, what="x")

    assert "loopback" in str(info.value)


def test_allowed_host_reached_by_odd_literal(http_server: LocalServer) -> None:
    # 127.1 resolves to 127.0.0.1, which allow_hosts names: allowed, and really served.
    fetcher = PolicyFetcher(
        NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})), Limits(fetch_timeout=2.0), "t"
    )

    got = fetcher.fetch(f"http://127.1:{http_server.port}/redirect-chain/0", max_bytes=MB, what="x")

    assert got.data == b"chain end\n"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "private"),  # reserved, which ipaddress also files under private
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::a00:1", "private"),
        ("2002:7f00:1::", "6to4 for a loopback address"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_refusal_table(address: str, why: str | None) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == why


def test_slow_drip_body_cut_at_deadline(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    start = time.monotonic()

    with pytest.raises(ResourceError, match="timed out after 2 s"):
        fetcher.fetch(http_server.url("/slow"), max_bytes=MB, what="font")

    assert time.monotonic() - start < 2.0 + 1.5


def test_slow_drip_headers_cut_at_deadline(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    start = time.monotonic()

    with pytest.raises(ResourceError, match="timed out after 2 s"):
        fetcher.fetch(http_server.url("/slow-headers"), max_bytes=MB, what="font")

    assert time.monotonic() - start < 2.0 + 1.5


def test_silent_server_cut_at_deadline() -> None:
    # A socket that accepts connections (backlog) but never answers.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        fetcher = PolicyFetcher(
            NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})), Limits(fetch_timeout=1.0), "t"
        )
        start = time.monotonic()

        with pytest.raises(ResourceError, match="timed out after 1 s"):
            fetcher.fetch(f"http://127.0.0.1:{port}/", max_bytes=MB, what="font")

        assert time.monotonic() - start < 1.0 + 1.5


def test_endless_body_cut_by_byte_cap(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    with pytest.raises(ResourceError, match="font is larger than the limit of 1,048,576 bytes"):
        fetcher.fetch(http_server.url("/endless"), max_bytes=MB, what="font")


def test_declared_length_over_cap_refused_early(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    with pytest.raises(ResourceError, match="larger than the limit of 1,000 bytes"):
        fetcher.fetch(http_server.url("/backgrounds/chelsea.png"), max_bytes=1000, what="image")


def test_gzip_bomb_cut_by_decoded_byte_cap(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    # ~64 KB on the wire, under the cap; 64 MiB once decoded, far over it.
    with pytest.raises(ResourceError, match="larger than the limit of 1,048,576 bytes"):
        fetcher.fetch(http_server.url("/gzip-bomb"), max_bytes=MB, what="stylesheet")


def test_fetcher_reusable_after_failures(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    with pytest.raises(ResourceError):
        fetcher.fetch(http_server.url("/endless"), max_bytes=1000, what="x")

    got = fetcher.fetch(http_server.url("/redirect-chain/0"), max_bytes=MB, what="x")

    assert got.data == b"chain end\n"


def test_thread_safe_parallel_fetches(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    expected = (FIXTURES_DIR / "backgrounds/coffee.jpg").read_bytes()
    results: list[bytes] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                got = fetcher.fetch(
                    http_server.url("/backgrounds/coffee.jpg"), max_bytes=MB, what="x"
                )
                results.append(got.data)
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(results) == 40
    assert all(r == expected for r in results)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a.png", "data:image/png;base64,AAAA", "gopher://x/", "javascript:1"]
)
def test_bad_scheme_refused(fetcher: PolicyFetcher, url: str) -> None:
    scheme = url.split(":", 1)[0]

    with pytest.raises(ResourceError, match=f"the {scheme}: scheme is not allowed"):
        fetcher.fetch(url, max_bytes=MB, what="x")


@pytest.mark.parametrize("ref", ["backgrounds/coffee.jpg", "file:///etc/hostname", "/etc/hosts"])
def test_local_files_refused_by_default(fetcher: PolicyFetcher, ref: str) -> None:
    with pytest.raises(ResourceError, match="local files are not allowed"):
        fetcher.fetch(ref, max_bytes=MB, what="background")


def test_local_files_when_allowed() -> None:
    fetcher = PolicyFetcher(
        NetworkPolicy(allow_local_files=True, base_dir=FIXTURES_DIR), Limits(), "t"
    )
    path = FIXTURES_DIR / "backgrounds/coffee.jpg"

    by_relative = fetcher.fetch("backgrounds/coffee.jpg", max_bytes=MB, what="background")
    by_url = fetcher.fetch(path.as_uri(), max_bytes=MB, what="background")
    by_absolute = fetcher.fetch(str(path), max_bytes=MB, what="background")

    for got in (by_relative, by_url, by_absolute):
        assert got == Fetched(url=path.as_uri(), data=path.read_bytes(), content_type="image/jpeg")


def test_local_file_errors() -> None:
    fetcher = PolicyFetcher(
        NetworkPolicy(allow_local_files=True, base_dir=FIXTURES_DIR), Limits(), "t"
    )

    with pytest.raises(ResourceError, match="no such file"):
        fetcher.fetch("backgrounds/nope.png", max_bytes=MB, what="background")
    with pytest.raises(ResourceError, match="larger than the limit of 10 bytes"):
        fetcher.fetch("backgrounds/coffee.jpg", max_bytes=10, what="background")
    with pytest.raises(ResourceError, match="not a regular file"):
        fetcher.fetch("backgrounds", max_bytes=MB, what="background")
    with pytest.raises(ResourceError, match="must not name a remote host"):
        fetcher.fetch("file://example.com/etc/passwd", max_bytes=MB, what="background")


def test_offline_refuses_network(http_server: LocalServer) -> None:
    fetcher = PolicyFetcher(
        NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}), offline=True), Limits(), "t"
    )

    with pytest.raises(ResourceError, match="offline: not in cache"):
        fetcher.fetch(http_server.url("/redirect-chain/0"), max_bytes=MB, what="font")


def test_cache_seam(http_server: LocalServer) -> None:
    cache = MemoryFetchCache()
    url = http_server.url("/redirect-chain/0")
    online = CachingFetcher(
        PolicyFetcher(NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})), Limits(), "t"), cache
    )
    offline = CachingFetcher(
        PolicyFetcher(NetworkPolicy(offline=True), Limits(), "t"), cache, offline=True
    )

    first = online.fetch(url, max_bytes=MB, what="font")
    again = offline.fetch(url, max_bytes=MB, what="font")

    assert again == first
    stored = cache.get(url)
    assert stored is not None
    assert stored.fetched.data == b"chain end\n"


@pytest.mark.parametrize(
    ("ref", "base", "expected"),
    [
        ("a.woff2", "https://f.example/css/s.css", "https://f.example/css/a.woff2"),
        ("../a.woff2", "https://f.example/css/s.css", "https://f.example/a.woff2"),
        ("//cdn.example/a.ttf", "https://f.example/s.css", "https://cdn.example/a.ttf"),
        ("https://x.example/a", "https://f.example/s.css", "https://x.example/a"),
        ("a.ttf", "file:///srv/fonts/s.css", "file:///srv/fonts/a.ttf"),
        ("a.ttf", "/srv/fonts/s.css", "/srv/fonts/a.ttf"),
        ("/abs/a.ttf", "/srv/fonts/s.css", "/abs/a.ttf"),
        ("a.ttf", None, "a.ttf"),
        ("  a.ttf ", None, "a.ttf"),
    ],
)
def test_resolve_url(ref: str, base: str | None, expected: str) -> None:
    assert resolve_url(ref, base) == expected


def test_close_then_fetch_again(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    url = http_server.url("/redirect-chain/0")
    fetcher.fetch(url, max_bytes=MB, what="x")

    fetcher.close()

    assert fetcher.fetch(url, max_bytes=MB, what="x").data == b"chain end\n"


def test_given_session_gets_the_policy(http_server: LocalServer) -> None:
    session = requests.Session()
    fetcher = PolicyFetcher(NetworkPolicy(), Limits(fetch_timeout=2.0), "t", session=session)

    with pytest.raises(ResourceError, match=r"127\.0\.0\.1 \(loopback\).*not allowed"):
        fetcher.fetch(http_server.url("/redirect-chain/0"), max_bytes=MB, what="x")


def test_proxy_on_a_given_session_refused(http_server: LocalServer) -> None:
    # A proxy would be the address connected to, so the policy could not see the target.
    session = requests.Session()
    session.proxies = {"http": f"http://127.0.0.1:{http_server.port}"}
    fetcher = PolicyFetcher(
        NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})), Limits(fetch_timeout=2.0), "t",
        session=session,
    )

    with pytest.raises(ResourceError, match="proxies are not supported"):
        fetcher.fetch("http://example.com/", max_bytes=MB, what="x")


def test_a_conditional_request_answered_304_has_no_body(
    http_server: LocalServer, served_tmp: Path, fetcher: PolicyFetcher
) -> None:
    (served_tmp / "conditional.bin").write_bytes(b"validated")
    url = http_server.url("/etag/conditional.bin")
    etag = '"' + hashlib.sha256(b"validated").hexdigest()[:16] + '"'

    same = fetcher.fetch(url, max_bytes=MB, what="x", validators={"If-None-Match": etag})
    other = fetcher.fetch(url, max_bytes=MB, what="x", validators={"If-None-Match": '"old"'})

    assert (same.not_modified, same.data) == (True, b"")
    assert (other.not_modified, other.data, other.etag) == (False, b"validated", etag)


def test_request_headers_are_the_ones_sent(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    sent = json.loads(fetcher.fetch(http_server.url("/headers"), max_bytes=MB, what="x").data)

    headers = fetcher.request_headers()

    assert headers["user-agent"] == sent["User-Agent"] == "offer-render-tests"
    assert headers["Accept-Encoding"] == sent["Accept-Encoding"]


def test_request_headers_are_never_logged(
    http_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer secret-token"
    fetcher = PolicyFetcher(NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                            Limits(fetch_timeout=2.0), "t", session=session)
    url = http_server.url("/headers")

    with caplog.at_level(logging.DEBUG, logger="offer_render"):
        got = fetcher.fetch(url, max_bytes=MB, what="x")
        with pytest.raises(ResourceError):
            fetcher.fetch(http_server.url("/status/500"), max_bytes=MB, what="x")

    assert json.loads(got.data)["Authorization"] == "Bearer secret-token"  # it was sent
    assert f"GET {url}: HTTP 200" in caplog.text
    assert "HTTP 500 Internal Server Error" in caplog.text
    assert "secret-token" not in caplog.text

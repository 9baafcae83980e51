"""Hostile URLs and servers: SSRF address forms, bad redirects, slow, endless and bomb bodies."""

from __future__ import annotations

from pathlib import Path

import pytest

from offer_render.config import Limits, NetworkPolicy
from offer_render.errors import ResourceError
from offer_render.resources.fetch import PolicyFetcher
from tests.conftest import GZIP_BOMB_DECODED, LocalServer
from tests.hostile.helpers import files_in, within

DEADLINE = 1.0
"""Fetch deadline of these tests, in seconds (the default is 10)."""


def _public_only() -> PolicyFetcher:
    """Return a fetcher with the default policy: nothing but public addresses."""
    return PolicyFetcher(NetworkPolicy(), Limits(fetch_timeout=DEADLINE), "offer-render-tests")


def _local_allowed() -> PolicyFetcher:
    return PolicyFetcher(NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                         Limits(fetch_timeout=DEADLINE), "offer-render-tests")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://2130706433/", "127.0.0.1 (loopback)"),
        ("http://0x7f.1/", "127.0.0.1 (loopback)"),
        ("http://127.1/", "127.0.0.1 (loopback)"),
        ("http://[::ffff:127.0.0.1]/", "(loopback)"),
        ("http://[::1]/", "::1 (loopback)"),
        ("http://0/", "0.0.0.0 (unspecified)"),
        ("http://localhost/", "(loopback)"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 (cloud metadata)"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 (cloud metadata)"),
        ("http://100.100.100.200/", "(cloud metadata)"),
        ("http://100.64.0.1/", "100.64.0.1 (carrier-grade NAT)"),
        ("http://224.0.0.1/", "224.0.0.1 (multicast)"),
        ("http://[ff02::1]/", "(multicast)"),
        ("http://10.0.0.1/", "10.0.0.1 (private)"),
        ("http://192.168.1.1:8080/", "192.168.1.1 (private)"),
        ("http://169.254.1.1/", "169.254.1.1 (link-local)"),
        ("http://[fe80::1]/", "(link-local)"),
        ("http://[64:ff9b::7f00:1]/", "(loopback)"),
        ("https://[2002:7f00:1::]/", "6to4 for a loopback address"),
    ],
)
def test_ssrf_address_is_refused_at_connect_time(url: str, reason: str) -> None:
    # Arrange
    fetcher = _public_only()
    # Act / Assert
    with within(DEADLINE), pytest.raises(ResourceError) as err:
        fetcher.fetch(url, max_bytes=1000, what="background")
    assert reason in err.value.reason
    assert "not allowed by the network policy" in err.value.reason


@pytest.mark.parametrize(
    ("url", "scheme"),
    [("gopher://example.com/", "gopher"), ("ftp://example.com/f.ttf", "ftp"),
     ("data:font/ttf;base64,AAEAAA==", "data"), ("dict://127.0.0.1:11211/", "dict")],
)
def test_other_schemes_are_refused(url: str, scheme: str) -> None:
    expected = f"the {scheme}: scheme is not allowed"
    with within(DEADLINE), pytest.raises(ResourceError, match=expected):
        _public_only().fetch(url, max_bytes=1000, what="font")


def test_local_file_is_refused_unless_allowed() -> None:
    with within(DEADLINE), pytest.raises(ResourceError, match="local files are not allowed"):
        _public_only().fetch("file:///etc/passwd", max_bytes=1000, what="background")


def test_redirect_to_loopback_is_refused(http_server: LocalServer) -> None:
    # Arrange: the server (127.0.0.1, allowed) redirects to 127.0.0.2, loopback and not allowed
    target = f"http://127.0.0.2:{http_server.port}/headers"
    # Act / Assert
    with within(DEADLINE), pytest.raises(ResourceError) as err:
        _local_allowed().fetch(http_server.url(f"/redirect?to={target}"), max_bytes=1000,
                               what="font")
    assert "127.0.0.2 (loopback)" in err.value.reason
    assert "redirected to" in err.value.reason


def test_redirect_to_a_file_url_is_refused(http_server: LocalServer) -> None:
    url = http_server.url("/redirect?to=file:///etc/passwd")
    with within(DEADLINE), pytest.raises(ResourceError, match="only http and https redirects"):
        _local_allowed().fetch(url, max_bytes=1000, what="stylesheet")


def test_redirect_loop_stops_at_the_limit(http_server: LocalServer) -> None:
    expected = r"too many redirects \(more than 3\)"
    with within(DEADLINE), pytest.raises(ResourceError, match=expected):
        _local_allowed().fetch(http_server.url("/loop"), max_bytes=1000, what="font")


def test_slow_drip_body_is_cut_at_the_deadline(http_server: LocalServer) -> None:
    with within(DEADLINE + 1), pytest.raises(ResourceError, match="timed out after 1 s"):
        _local_allowed().fetch(http_server.url("/slow"), max_bytes=10_000, what="font")


def test_slow_drip_headers_are_cut_at_the_deadline(http_server: LocalServer) -> None:
    with within(DEADLINE + 1), pytest.raises(ResourceError, match="timed out after 1 s"):
        _local_allowed().fetch(http_server.url("/slow-headers"), max_bytes=10_000, what="font")


def test_endless_body_is_cut_at_the_byte_cap(http_server: LocalServer) -> None:
    with within(DEADLINE), pytest.raises(ResourceError, match="larger than the limit of 1,000,000"):
        _local_allowed().fetch(http_server.url("/endless"), max_bytes=1_000_000,
                               what="background")


def test_gzip_bomb_is_cut_after_the_decoded_cap(http_server: LocalServer) -> None:
    cap = 2_000_000
    assert cap < GZIP_BOMB_DECODED
    with within(DEADLINE), pytest.raises(ResourceError, match="font is larger than the limit"):
        _local_allowed().fetch(http_server.url("/gzip-bomb"), max_bytes=cap, what="font")


def test_declared_length_over_the_cap_is_refused_before_reading(
    http_server: LocalServer, served_tmp: Path
) -> None:
    (served_tmp / "big.bin").write_bytes(bytes(300_000))
    with within(DEADLINE), pytest.raises(ResourceError, match="larger than the limit of 1,000"):
        _local_allowed().fetch(http_server.url("/tmp/big.bin"), max_bytes=1000, what="font")


def test_refused_fetches_leave_no_files(tmp_path: Path) -> None:
    # Arrange: the CWD and the engine's temp folder (checked by the autouse fixture)
    before = files_in(tmp_path)
    # Act
    with pytest.raises(ResourceError):
        _public_only().fetch("http://[::1]/x", max_bytes=10, what="font")
    # Assert
    assert files_in(tmp_path) == before

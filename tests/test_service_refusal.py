"""The fetcher says when the network policy refused a URL (``ResourceError.refused``).

The render service answers a refused URL 422 (the request chose it) and a fetch that
failed 502 (the host did); these tests check the flag where each refusal is made
(the scheme and local-file checks, a ``file://`` URL naming a host, the address guard
at connect time, a redirect to another scheme, a proxy) and that failures which are
not refusals leave it unset. The service's answers are in test_service.py.
"""

from __future__ import annotations

import pickle

import pytest
import requests

from offer_render.config import Limits, NetworkPolicy
from offer_render.errors import InvalidInputError, ResourceError
from offer_render.resources.fetch import PolicyFetcher
from tests.conftest import FIXTURES_DIR, LocalServer

MB = 1024 * 1024


def _fetcher(**policy: object) -> PolicyFetcher:
    return PolicyFetcher(NetworkPolicy(**policy), Limits(fetch_timeout=2.0), "t")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/font.css", "the ftp: scheme is not allowed (only http, https)"),
        ("file:///etc/passwd", "local files are not allowed by the network policy"),
        ("../secret.png", "local files are not allowed by the network policy"),
        ("http://169.254.169.254/latest/meta-data/", "(cloud metadata)"),
        ("http://10.1.2.3:9/x.png", "10.1.2.3 (private)"),
    ],
)
def test_a_url_the_policy_does_not_allow_is_refused(url: str, reason: str) -> None:
    # Act
    with pytest.raises(ResourceError) as info:
        _fetcher().fetch(url, max_bytes=MB, what="background")
    # Assert
    assert info.value.refused
    assert reason in info.value.reason
    assert not info.value.transient


def test_loopback_not_allowed_is_refused_at_connect_time(http_server: LocalServer) -> None:
    # 127.0.0.1 is not in allow_hosts here: the guard refuses the address it resolved
    with pytest.raises(ResourceError) as info:
        _fetcher().fetch(http_server.url("/headers"), max_bytes=MB, what="font")
    assert info.value.refused
    assert "127.0.0.1 (loopback)" in info.value.reason


def test_a_file_url_naming_a_host_is_refused() -> None:
    fetcher = _fetcher(allow_local_files=True, base_dir=FIXTURES_DIR)
    with pytest.raises(ResourceError, match="must not name a remote host") as info:
        fetcher.fetch("file://example.com/etc/passwd", max_bytes=MB, what="background")
    assert info.value.refused


def test_a_redirect_to_a_file_url_is_refused(http_server: LocalServer) -> None:
    fetcher = _fetcher(allow_hosts=frozenset({"127.0.0.1"}))
    with pytest.raises(ResourceError, match="only http and https redirects") as info:
        fetcher.fetch(http_server.url("/redirect?to=file:///etc/passwd"), max_bytes=MB,
                      what="stylesheet")
    assert info.value.refused


def test_a_redirect_to_a_loopback_address_is_refused(http_server: LocalServer) -> None:
    fetcher = _fetcher(allow_hosts=frozenset({"127.0.0.1"}))
    target = f"http://127.0.0.2:{http_server.port}/headers"
    with pytest.raises(ResourceError) as info:
        fetcher.fetch(http_server.url(f"/redirect?to={target}"), max_bytes=MB, what="font")
    assert info.value.refused
    assert "127.0.0.2 (loopback)" in info.value.reason


def test_a_proxy_is_refused(http_server: LocalServer) -> None:
    session = requests.Session()
    session.proxies = {"http": f"http://127.0.0.1:{http_server.port}"}
    fetcher = PolicyFetcher(NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                            Limits(fetch_timeout=2.0), "t", session=session)
    with pytest.raises(ResourceError, match="proxies are not supported") as info:
        fetcher.fetch("http://example.com/", max_bytes=MB, what="font")
    assert info.value.refused


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/status/404", "HTTP 404"), ("/status/503", "HTTP 503")],
)
def test_a_fetch_that_fails_is_not_a_refusal(
    http_server: LocalServer, path: str, reason: str
) -> None:
    fetcher = _fetcher(allow_hosts=frozenset({"127.0.0.1"}))
    with pytest.raises(ResourceError, match=reason) as info:
        fetcher.fetch(http_server.url(path), max_bytes=MB, what="background")
    assert not info.value.refused


def test_an_unresolvable_host_is_not_a_refusal() -> None:
    with pytest.raises(ResourceError, match="cannot resolve host") as info:
        _fetcher().fetch("http://no-such-host.invalid/x.png", max_bytes=MB, what="background")
    assert not info.value.refused


def test_a_missing_local_file_is_not_a_refusal() -> None:
    fetcher = _fetcher(allow_local_files=True, base_dir=FIXTURES_DIR)
    with pytest.raises(ResourceError, match="no such file") as info:
        fetcher.fetch("backgrounds/nope.png", max_bytes=MB, what="background")
    assert not info.value.refused


def test_errors_keep_their_fields_through_pickle() -> None:
    # A render process pool hands errors from its workers to the caller by pickle.
    refused = ResourceError("http://10.0.0.1/x", "private", field="background_url", refused=True)
    transient = ResourceError("http://h/x", "HTTP 503", transient=True)
    invalid = InvalidInputError([("rectangles[0].font_size", "must be greater than 0")])

    back = [pickle.loads(pickle.dumps(e)) for e in (refused, transient, invalid)]

    assert (back[0].url, back[0].reason, back[0].field, back[0].refused) == (
        "http://10.0.0.1/x", "private", "background_url", True)
    assert str(back[0]) == "background_url: http://10.0.0.1/x: private"
    assert back[1].transient
    assert not back[1].refused
    assert back[2].problems == (("rectangles[0].font_size", "must be greater than 0"),)
    assert str(back[2]) == "rectangles[0].font_size: must be greater than 0"

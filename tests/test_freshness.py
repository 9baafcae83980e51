"""How long a download is reused: Cache-Control, Expires, Last-Modified heuristics, Age;
whether it may be stored (no-store) and which requests it answers (Vary)."""

from __future__ import annotations

import hashlib
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from requests.structures import CaseInsensitiveDict

from offer_render.resources.fetch import (
    CachedResponse,
    DiskFetchCache,
    Fetched,
    LayeredFetchCache,
    MemoryFetchCache,
)
from offer_render.resources.fetch.freshness import (
    HEURISTIC_MAX_SECONDS,
    freshness_lifetime,
    no_store,
    vary_matches,
    vary_values,
)
from tests.conftest import LocalServer
from tests.test_fetchcache import MB, count, fetcher

NOW = 1_800_000_000.0


def date(offset: float) -> str:
    return formatdate(NOW + offset, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"cache-control": "public, max-age=600"}, 600.0),
        ({"cache-control": 'max-age="60"'}, 60.0),
        ({"cache-control": "max-age=600, no-cache"}, 0.0),
        ({"cache-control": "no-store"}, 0.0),
        ({"cache-control": "max-age=600", "expires": date(10)}, 600.0),  # max-age wins
        ({"date": date(0), "expires": date(120)}, 120.0),
        ({"date": date(0), "expires": date(-120)}, 0.0),
        ({"date": date(0), "expires": "0"}, 0.0),  # unreadable: already expired
        ({"date": date(0), "last-modified": date(-1000)}, 100.0),
        ({"date": date(0), "last-modified": date(-30 * 86400)}, HEURISTIC_MAX_SECONDS),
        ({"date": date(0), "last-modified": date(500)}, 0.0),  # modified "in the future"
        ({"last-modified": "yesterday"}, None),
        ({"cache-control": "max-age=100", "age": "40"}, 60.0),
        ({"cache-control": "max-age=100", "age": "400"}, 0.0),
        ({"date": date(0), "last-modified": date(-1000), "age": "30"}, 70.0),
    ],
)
def test_lifetime_follows_the_http_caching_rules(
    headers: dict[str, str], expected: float | None
) -> None:
    assert freshness_lifetime(headers, now=NOW) == expected


def test_without_a_date_header_the_heuristic_counts_from_now() -> None:
    assert freshness_lifetime({"last-modified": date(-2000)}, now=NOW) == 200.0


def test_a_file_modified_long_ago_is_reused_without_asking(
    http_server: LocalServer, tmp_path: Path
) -> None:
    (http_server.served_tmp / "old.bin").write_bytes(b"old")
    url = http_server.url(f"/etag/old.bin?modified_ago={10 * 86400}")
    cache = LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path))
    first = fetcher(cache, max_age=0).fetch(url, max_bytes=MB, what="font")
    second = fetcher(cache, max_age=0).fetch(url, max_bytes=MB, what="font")
    assert first.max_age == pytest.approx(86400, abs=5)
    assert second.data == b"old"
    assert count(http_server, "old.bin") == 1


def test_an_expired_response_is_revalidated_and_keeps_its_heuristic(
    http_server: LocalServer, tmp_path: Path
) -> None:
    (http_server.served_tmp / "exp.bin").write_bytes(b"exp")
    url = http_server.url("/etag/exp.bin?expires_in=0&modified_ago=5000")
    cache = LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path))
    f = fetcher(cache, max_age=3600)
    first = f.fetch(url, max_bytes=MB, what="font")
    again = f.fetch(url, max_bytes=MB, what="font")  # Expires now: asks again, gets a 304
    assert first.max_age == 0.0
    assert again.data == b"exp"
    assert again.max_age == 0.0  # the 304 carries Expires again
    assert count(http_server, "exp.bin") == 2


def test_a_304_without_freshness_reuses_the_stored_last_modified(
    http_server: LocalServer, tmp_path: Path
) -> None:
    data = b"lm"
    (http_server.served_tmp / "lm.bin").write_bytes(data)
    url = http_server.url("/etag/lm.bin")  # answers with an ETag and nothing else
    etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
    ten_days_ago = formatdate(time.time() - 10 * 86400, usegmt=True)
    stored = Fetched(url, data, etag=etag, last_modified=ten_days_ago, max_age=0.0)
    cache = LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path))
    cache.put(url, CachedResponse(stored, time.time() - 60))  # stale: revalidated
    f = fetcher(cache, max_age=0)
    again = f.fetch(url, max_bytes=MB, what="font")
    assert again.data == data
    assert again.max_age == pytest.approx(HEURISTIC_MAX_SECONDS)  # a tenth of 10 days, capped
    f.fetch(url, max_bytes=MB, what="font")  # now fresh: not asked again
    assert count(http_server, "lm.bin") == 1


@pytest.mark.parametrize(
    ("cache_control", "expected"),
    [
        (None, False),
        ("no-store", True),
        ("public, No-Store, max-age=60", True),
        ("no-cache", False),  # revalidate every time, but it may be stored
        ("private, max-age=60", False),
    ],
)
def test_no_store_is_read_from_cache_control(cache_control: str | None, expected: bool) -> None:
    headers = {} if cache_control is None else {"cache-control": cache_control}
    assert no_store(headers) is expected


def test_vary_values_are_the_named_request_headers_as_sent() -> None:
    sent = CaseInsensitiveDict({"User-Agent": "agent  a", "Accept-Encoding": "gzip, br"})
    varies = vary_values(CaseInsensitiveDict({"Vary": "User-Agent, accept-encoding"}), sent)
    assert varies == (("accept-encoding", "gzip, br"), ("user-agent", "agent a"))
    assert vary_values({"vary": "Accept-Language"}, sent) == (("accept-language", None),)
    assert vary_values({}, sent) == ()
    assert vary_values({"vary": "User-Agent, *"}, sent) is None  # matches no later request


@pytest.mark.parametrize(
    ("stored", "sent", "expected"),
    [
        ((), {"User-Agent": "any"}, True),
        ((("user-agent", "agent a"),), {"user-agent": "agent   a"}, True),  # whitespace
        ((("user-agent", "agent a"),), {"User-Agent": "agent b"}, False),
        ((("user-agent", "agent a"),), {}, False),
        ((("accept-language", None),), {}, True),  # absent in both
        ((("accept-language", None),), {"Accept-Language": "pl"}, False),
    ],
)
def test_vary_matches_only_the_same_values(
    stored: tuple[tuple[str, str | None], ...], sent: dict[str, str], expected: bool
) -> None:
    assert vary_matches(stored, CaseInsensitiveDict(sent)) is expected

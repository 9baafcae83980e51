"""The fetch caches: memory and disk, freshness, revalidation, offline use, corruption, races,
no-store and Vary, logging, and the standard stack ``default_fetcher`` builds."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from offer_render import Renderer
from offer_render.config import CacheLimits, Limits, NetworkPolicy, RendererConfig
from offer_render.errors import ResourceError
from offer_render.resources.fetch import (
    CachedResponse,
    CachingFetcher,
    DiskFetchCache,
    Fetched,
    LayeredFetchCache,
    MemoryFetchCache,
    PolicyFetcher,
    default_fetcher,
)
from offer_render.resources.fetch.store import RECORD_VERSION
from tests.conftest import LocalServer

MB = 1024 * 1024
LOCAL = NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}))


def fetcher(cache: LayeredFetchCache, *, policy: NetworkPolicy = LOCAL,
            max_age: float = 300, user_agent: str = "t") -> CachingFetcher:
    return CachingFetcher(PolicyFetcher(policy, Limits(fetch_timeout=5), user_agent), cache,
                          default_max_age=max_age, offline=policy.offline)


def served(http_server: LocalServer, name: str, data: bytes, max_age: int = 0) -> str:
    (http_server.served_tmp / name).write_bytes(data)
    return http_server.url(f"/etag/{name}?max_age={max_age}")


def count(http_server: LocalServer, name: str) -> int:
    return sum(1 for p in list(http_server.requests) if p.startswith(f"/etag/{name}"))


def asked(http_server: LocalServer, path: str) -> int:
    """Return how many requests asked for exactly ``path`` (with its query)."""
    return list(http_server.requests).count(path)


def test_fresh_response_is_reused_without_asking_the_server(
    http_server: LocalServer, tmp_path: Path
) -> None:
    url = served(http_server, "fresh.bin", b"one", max_age=60)
    cache = LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path))
    first = fetcher(cache).fetch(url, max_bytes=MB, what="font")
    second = fetcher(cache).fetch(url, max_bytes=MB, what="font")
    assert first.data == second.data == b"one"
    assert first.max_age == 60
    assert count(http_server, "fresh.bin") == 1


def test_stale_response_is_revalidated_with_its_etag(
    http_server: LocalServer, tmp_path: Path
) -> None:
    url = served(http_server, "stale.bin", b"same", max_age=0)
    cache = LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path))
    f = fetcher(cache)
    first = f.fetch(url, max_bytes=MB, what="font")
    again = f.fetch(url, max_bytes=MB, what="font")  # 304: the stored body is kept
    (http_server.served_tmp / "stale.bin").write_bytes(b"changed")
    changed = f.fetch(url, max_bytes=MB, what="font")
    assert (first.data, again.data, changed.data) == (b"same", b"same", b"changed")
    assert again.digest == first.digest != changed.digest
    assert count(http_server, "stale.bin") == 3


def test_disk_cache_survives_a_new_process_and_serves_offline(
    http_server: LocalServer, tmp_path: Path
) -> None:
    url = served(http_server, "off.bin", b"kept", max_age=0)
    fetcher(LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path))).fetch(
        url, max_bytes=MB, what="font")
    fresh_memory = LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path))
    offline = fetcher(fresh_memory, policy=NetworkPolicy(offline=True))
    assert offline.fetch(url, max_bytes=MB, what="font").data == b"kept"
    with pytest.raises(ResourceError, match="offline: not in cache"):
        offline.fetch(url + "&other", max_bytes=MB, what="font")


def test_a_corrupt_or_truncated_entry_is_a_miss(tmp_path: Path) -> None:
    disk = DiskFetchCache(tmp_path)
    fetched = Fetched("https://x.example/a", b"abcdef" * 100)
    disk.put("https://x.example/a", CachedResponse(fetched, 1.0))
    disk.put("https://x.example/b", CachedResponse(Fetched("https://x.example/b", b"b"), 1.0))
    assert disk.get("https://x.example/a") is not None
    blob = next(p for p in (tmp_path / "blobs").rglob("*") if p.name == fetched.digest)
    blob.write_bytes(b"abcdef")  # truncated
    assert disk.get("https://x.example/a") is None
    assert not blob.exists()  # removed, so the next fetch downloads again
    record = next((tmp_path / "urls").rglob("*.json"))
    record.write_text("{not json")
    assert disk.get("https://x.example/b") is None or record.name not in {
        p.name for p in (tmp_path / "urls").rglob("*.json")}


def test_concurrent_writers_to_one_key_leave_a_whole_entry(tmp_path: Path) -> None:
    disk = DiskFetchCache(tmp_path)
    bodies = [bytes([i]) * 200_000 for i in range(8)]
    barrier = threading.Barrier(8)

    def write(body: bytes) -> None:
        barrier.wait()
        for _ in range(5):
            disk.put("https://x.example/k", CachedResponse(Fetched("https://x.example/k", body), 1))

    threads = [threading.Thread(target=write, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = disk.get("https://x.example/k")
    assert got is not None
    assert got.fetched.data in bodies
    assert not [p for p in tmp_path.rglob(".tmp-*")]  # no temporary file left behind


def test_memory_cache_is_bounded_in_bytes() -> None:
    memory = MemoryFetchCache(max_bytes=3000)
    for i in range(10):
        memory.put(f"u{i}", CachedResponse(Fetched(f"u{i}", b"x" * 1000), 1.0))
    assert memory.get("u0") is None
    assert memory.get("u9") is not None


def test_disk_cache_prunes_the_least_recently_used_bodies(tmp_path: Path) -> None:
    disk = DiskFetchCache(tmp_path, max_bytes=10_000)
    for i in range(4):
        url = f"https://x.example/{i}"
        disk.put(url, CachedResponse(Fetched(url, bytes([i]) * 3000), 1.0))
        if i == 1:
            assert disk.get("https://x.example/0") is not None  # a read makes 0 recent
    kept = [i for i in range(4) if disk.get(f"https://x.example/{i}") is not None]
    assert kept == [0, 2, 3]  # 12,000 bytes went over 10,000: body 1 was the stalest
    total = sum(p.stat().st_size for p in (tmp_path / "blobs").rglob("*") if p.is_file())
    assert total <= 10_000


def test_a_corrupt_entry_is_logged_when_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    disk = DiskFetchCache(tmp_path)
    disk.put("https://x.example/c", CachedResponse(Fetched("https://x.example/c", b"c" * 50), 1.0))
    blob = next(p for p in (tmp_path / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(b"cc")
    with caplog.at_level(logging.WARNING, logger="offer_render"):
        assert disk.get("https://x.example/c") is None
    assert "dropped a corrupt disk cache entry of https://x.example/c" in caplog.text
    assert "body does not match its sha256" in caplog.text


def test_a_record_of_the_older_format_is_a_miss(tmp_path: Path) -> None:
    disk = DiskFetchCache(tmp_path)
    url = "https://x.example/v"
    vary = (("user-agent", "agent-a"),)
    disk.put(url, CachedResponse(Fetched(url, b"v", vary=vary), 1.0))
    stored = disk.get(url)
    assert stored is not None
    assert stored.fetched.vary == vary  # kept with the record
    record = next((tmp_path / "urls").rglob("*.json"))
    old = json.loads(record.read_text())
    assert old["v"] == RECORD_VERSION == 2
    old["v"] = 1
    del old["vary"]
    record.write_text(json.dumps(old))
    assert disk.get(url) is None
    assert not record.exists()  # dropped, so the next fetch stores the new format


def test_a_disk_write_failure_is_logged_and_not_fatal(
    http_server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A folder under a regular file cannot be made, even by root (chmod would not stop root).
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    url = served(http_server, "unwritable.bin", b"body", max_age=60)
    cache = LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(blocker / "cache"))
    with caplog.at_level(logging.WARNING, logger="offer_render"):
        got = fetcher(cache).fetch(url, max_bytes=MB, what="font")
    assert got.data == b"body"
    assert f"cannot write {url} to the disk cache at {blocker / 'cache'}" in caplog.text
    assert "Not a directory" in caplog.text
    assert cache.memory.get(url) is not None  # memory still holds it for this process


def test_each_network_fetch_logs_one_debug_line(
    http_server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stale = served(http_server, "logged.bin", b"12345", max_age=0)
    fresh = served(http_server, "logged-fresh.bin", b"123", max_age=60)
    f = fetcher(LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path)), max_age=0)
    with caplog.at_level(logging.DEBUG, logger="offer_render"):
        f.fetch(stale, max_bytes=MB, what="font")
        f.fetch(stale, max_bytes=MB, what="font")
        f.fetch(fresh, max_bytes=MB, what="font")
        f.fetch(fresh, max_bytes=MB, what="font")
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith(f"GET {stale}: HTTP 200, 5 bytes, ") for line in lines)
    assert any(line.startswith(f"GET {stale}: HTTP 304, 0 bytes, ") for line in lines)
    assert f"GET {stale}: revalidated (304), stored copy kept" in lines
    assert f"GET {fresh}: from the cache, 3 bytes" in lines
    # nothing else speaks but the fetch modules and the atomic writes of the disk cache
    assert {r.name for r in caplog.records} <= {
        *(f"offer_render.resources.fetch.{m}" for m in ("caching", "http", "local", "store")),
        "offer_render.files"}


def test_a_no_store_response_is_used_but_never_kept(
    http_server: LocalServer, tmp_path: Path
) -> None:
    path = "/nostore?t=kept"
    url = http_server.url(path)
    memory, disk = MemoryFetchCache(), DiskFetchCache(tmp_path)
    f = fetcher(LayeredFetchCache(memory, disk), max_age=3600)
    first = f.fetch(url, max_bytes=MB, what="stylesheet")
    second = f.fetch(url, max_bytes=MB, what="stylesheet")
    assert first.data.startswith(b"no-store ")
    assert first.no_store
    assert second.data != first.data  # downloaded again, not answered from a cache
    assert asked(http_server, path) == 2
    assert memory.get(url) is None
    assert disk.get(url) is None
    assert not list(tmp_path.rglob("*.json"))


def test_a_response_varying_on_user_agent_answers_only_that_agent(
    http_server: LocalServer, tmp_path: Path
) -> None:
    path = "/vary?on=User-Agent&max_age=600&t=ua"
    url = http_server.url(path)
    disk = DiskFetchCache(tmp_path)
    shared = LayeredFetchCache(MemoryFetchCache(), disk)

    def agent_seen(user_agent: str, cache: LayeredFetchCache) -> object:
        got = fetcher(cache, user_agent=user_agent).fetch(url, max_bytes=MB, what="stylesheet")
        return json.loads(got.data)["User-Agent"]

    assert agent_seen("agent-a", shared) == "agent-a"
    assert agent_seen("agent-a", shared) == "agent-a"  # fresh, same agent: from memory
    assert agent_seen("agent-a", LayeredFetchCache(MemoryFetchCache(), disk)) == "agent-a"
    assert asked(http_server, path) == 1
    assert agent_seen("agent-b", shared) == "agent-b"  # memory holds agent-a's: not used
    assert asked(http_server, path) == 2
    # agent-b's answer replaced agent-a's on disk: a new process as agent-a asks again
    assert agent_seen("agent-a", LayeredFetchCache(MemoryFetchCache(), disk)) == "agent-a"
    assert asked(http_server, path) == 3


def test_a_response_varying_on_accept_encoding_is_reused_across_agents(
    http_server: LocalServer, tmp_path: Path
) -> None:
    path = "/vary?on=Accept-Encoding&max_age=600"
    url = http_server.url(path)
    cache = LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path))
    first = fetcher(cache, user_agent="agent-a").fetch(url, max_bytes=MB, what="font")
    again = fetcher(cache, user_agent="agent-b").fetch(url, max_bytes=MB, what="font")
    assert again.data == first.data
    assert first.vary[0][0] == "accept-encoding"
    assert first.vary[0][1]  # the encodings this request sent
    assert asked(http_server, path) == 1


def test_vary_star_is_never_stored(http_server: LocalServer, tmp_path: Path) -> None:
    path = "/vary?on=*&max_age=600"
    url = http_server.url(path)
    disk = DiskFetchCache(tmp_path)
    f = fetcher(LayeredFetchCache(MemoryFetchCache(), disk))
    assert f.fetch(url, max_bytes=MB, what="font").no_store
    f.fetch(url, max_bytes=MB, what="font")
    assert asked(http_server, path) == 2
    assert disk.get(url) is None


def test_default_fetcher_builds_the_standard_stack(
    http_server: LocalServer, tmp_path: Path
) -> None:
    config = RendererConfig(
        network=LOCAL, cache_dir=tmp_path / "downloads", cache_dir_bytes=10_000_000,
        default_max_age=42.0, user_agent="agent-default", caches=CacheLimits(fetch_bytes=123_456),
    )
    f = default_fetcher(config)
    assert isinstance(f, CachingFetcher)
    assert (f.default_max_age, f.offline) == (42.0, False)
    assert isinstance(f.cache, LayeredFetchCache)
    assert f.cache.memory.max_bytes == 123_456
    assert f.cache.disk is not None
    assert (f.cache.disk.root, f.cache.disk.max_bytes) == (tmp_path / "downloads", 10_000_000)
    url = http_server.url("/headers?t=default")
    assert json.loads(f.fetch(url, max_bytes=MB, what="x").data)["User-Agent"] == "agent-default"
    assert DiskFetchCache(tmp_path / "downloads").get(url) is not None
    assert type(Renderer(config).fetcher) is CachingFetcher  # what a Renderer builds


def test_default_fetcher_without_a_cache_dir_and_offline(tmp_path: Path) -> None:
    f = default_fetcher(RendererConfig(cache_dir=None, network=NetworkPolicy(offline=True)))
    assert isinstance(f, CachingFetcher)
    assert isinstance(f.cache, LayeredFetchCache)
    assert f.cache.disk is None
    assert f.offline
    with pytest.raises(ResourceError, match="offline: not in cache"):
        f.fetch("https://fonts.example/a.css", max_bytes=MB, what="stylesheet")

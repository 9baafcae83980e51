"""The fetch caches: memory and disk, freshness, revalidation, offline use, corruption, races."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from offer_render.config import Limits, NetworkPolicy
from offer_render.errors import ResourceError
from offer_render.resources.fetch import CachedResponse, Fetched, PolicyFetcher
from offer_render.resources.fetchcache import DiskFetchCache, LayeredFetchCache, MemoryFetchCache
from tests.conftest import LocalServer

MB = 1024 * 1024
LOCAL = NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}))


def fetcher(cache: LayeredFetchCache, *, policy: NetworkPolicy = LOCAL,
            max_age: float = 300) -> PolicyFetcher:
    return PolicyFetcher(policy, Limits(fetch_timeout=5), "t", cache=cache,
                         default_max_age=max_age)


def served(http_server: LocalServer, name: str, data: bytes, max_age: int = 0) -> str:
    (http_server.served_tmp / name).write_bytes(data)
    return http_server.url(f"/etag/{name}?max_age={max_age}")


def count(http_server: LocalServer, name: str) -> int:
    return sum(1 for p in list(http_server.requests) if p.startswith(f"/etag/{name}"))


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

"""The batch's MemoFetcher (bounded, failures remembered) and how a worker wires its fetcher."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from offer_render.batch.memofetch import ENTRY_OVERHEAD, MemoFetcher
from offer_render.batch.worker import Settings, WorkerState
from offer_render.config import Limits, NetworkPolicy, RendererConfig
from offer_render.errors import ResourceError
from offer_render.resources.fetch import CachingFetcher, Fetched, PolicyFetcher


class Counting:
    """Read local files under ``root`` with the real policy fetcher; record every URL asked."""

    def __init__(self, root: Path) -> None:
        self.inner = PolicyFetcher(NetworkPolicy(allow_local_files=True, base_dir=root),
                                   Limits(), "test")
        self.calls: list[str] = []

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        self.calls.append(url)
        return self.inner.fetch(url, max_bytes=max_bytes, what=what)


def test_memo_is_bounded_and_drops_the_least_recently_used(tmp_path: Path) -> None:
    for name in "abc":
        (tmp_path / name).write_bytes(name.encode() * 1000)
    inner = Counting(tmp_path)
    memo = MemoFetcher(inner, max_bytes=2 * (ENTRY_OVERHEAD + 1000) + 100)  # room for two
    for name in "abaca":
        assert memo.fetch(name, max_bytes=10_000, what="font").data == name.encode() * 1000
    memo.fetch("b", max_bytes=10_000, what="font")
    assert inner.calls == ["a", "b", "c", "b"]  # b was the stalest when c came in


def test_memo_fetches_again_for_a_smaller_cap(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 500)
    inner = Counting(tmp_path)
    memo = MemoFetcher(inner)
    memo.fetch("big", max_bytes=1000, what="background")
    with pytest.raises(ResourceError, match="larger than the limit of 100 bytes"):
        memo.fetch("big", max_bytes=100, what="background")
    assert inner.calls == ["big", "big"]


def test_memo_failures_expire_after_their_ttl(tmp_path: Path) -> None:
    inner = Counting(tmp_path)
    memo = MemoFetcher(inner, failure_ttl=0.0)  # forgotten at once
    for _ in range(2):
        assert memo.digest("gone", max_bytes=100, what="font") == "error:no such file"
    assert inner.calls == ["gone", "gone"]


def test_memo_digest_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_bytes(b"/* a */")
    memo = MemoFetcher(Counting(tmp_path))
    expected = "sha256:" + hashlib.sha256(b"/* a */").hexdigest()
    assert memo.digest("a.css", max_bytes=100, what="stylesheet") == expected


def test_worker_renders_and_hashes_through_one_memo_fetcher() -> None:
    state = WorkerState(Settings(run_id="wiring", config=RendererConfig(cache_dir=None)))
    assert state.renderer.fetcher is state.fetcher
    assert state.hasher.fetcher is state.fetcher
    assert isinstance(state.fetcher.inner, CachingFetcher)  # the standard stack behind it

"""The batch's per-offer bookkeeping lives on disk: right answers, flat memory."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from offer_render.batch.keyindex import KeyIndex
from offer_render.batch.manifest import Record, open_manifest
from offer_render.batch.plan import Failure, plan_items
from offer_render.batch.reader import Line


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_setdefault_keeps_the_first_value() -> None:
    index = KeyIndex()
    try:
        assert index.setdefault("a", 1) == 1
        assert index.setdefault("a", 7) == 1
        assert index.setdefault("b", b"x") == b"x"
        assert index.get("a") == 1
        assert index.get("missing") is None
        assert len(index) == 2
    finally:
        index.close()


def test_put_many_lets_the_last_value_win_and_keeps_the_first_order() -> None:
    index = KeyIndex()
    try:
        index.put_many([("b", b"1"), ("a", b"2"), ("b", b"3")])
        index.put_many((f"k{i}", b"v") for i in range(25_000))  # several transactions
        assert index.get("b") == b"3"
        assert list(index.values())[:2] == [b"3", b"2"]
        assert len(index) == 25_002
    finally:
        index.close()


def test_threads_may_share_an_index() -> None:
    index = KeyIndex()
    firsts: list[int] = []

    def claim(n: int) -> None:
        firsts.extend(index.setdefault(f"id{i}", n) for i in range(2_000))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    index.close()
    assert len(firsts) == 8_000
    assert len(set(firsts)) <= 4


def test_a_duplicate_id_is_found_however_far_apart() -> None:
    lines = [Line(n, {"id": f"offer-{n}"}) for n in range(1, 5_001)]
    lines.append(Line(5_001, {"id": "offer-3"}))
    planned = list(plan_items(lines, (None,), "png"))
    failures = [p for p in planned if isinstance(p, Failure)]
    assert [f.error for f in failures] == [
        "line 5001: duplicate offer id 'offer-3' (first on line 3)"]


def test_a_resumed_manifest_of_100k_items_takes_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "manifest.jsonl"
    with path.open("wb") as fh:
        for i in range(100_000):
            fh.write(Record(f"offer-{i:06d}", None, i + 1, "ok", path=f"offer-{i:06d}.png",
                            sha256=os.urandom(32).hex(), input_hash=os.urandom(32).hex(),
                            ms=2.3, run="2026-12-02T16:00:00Z/abcd1234").to_json())
    before = _rss_mb()
    manifest = open_manifest(path)
    try:
        grown = _rss_mb() - before
        assert len(manifest.previous) == 100_000
        rec = manifest.previous.get(("offer-054321", None))
        assert rec is not None
        assert rec.line == 54_322
    finally:
        manifest.close()
    # Held as Record objects in a dict, these took about 94 MB; on disk, a few.
    assert grown < 40, f"opening the manifest grew the resident set by {grown:.0f} MB"

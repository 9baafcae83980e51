"""What a batch worker sends back: each item's outcome without its offer, written or as bytes."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from offer_render.batch.plan import Item
from offer_render.batch.worker import Settings, process_chunk, process_packed_chunk
from offer_render.config import RendererConfig
from tests.helpers.batchdata import small_offer


def items(n: int) -> list[Item]:
    return [Item(line=i + 1, offer_id=f"offer-{i:04d}", locale=None, name=f"offer-{i:04d}.png",
                 offer=small_offer(i)) for i in range(n)]


def settings(run: str, out_dir: Path | None) -> Settings:
    return Settings(run_id=run, config=RendererConfig(cache_dir=None), out_dir=out_dir)


def test_a_chunk_comes_back_without_its_offers_and_with_its_images_written(
    tmp_path: Path,
) -> None:
    chunk = items(3)
    got = process_chunk(chunk, settings("written", tmp_path))
    assert [o.status for o in got] == ["ok"] * 3
    assert [o.item.offer for o in got] == [{}] * 3  # the driver holds the offers
    assert [(o.item.line, o.item.offer_id, o.item.name) for o in got] == [
        (i.line, i.offer_id, i.name) for i in chunk]
    for o in got:
        assert o.data is None
        assert hashlib.sha256((tmp_path / o.item.name).read_bytes()).hexdigest() == o.sha256


def test_a_packed_chunk_renders_as_the_chunk_does_and_returns_bytes_without_a_folder() -> None:
    chunk = items(2)
    got = process_packed_chunk(pickle.dumps(chunk), settings("bytes", None))
    assert [o.status for o in got] == ["ok", "ok"]
    assert all(o.data is not None and o.data.startswith(b"\x89PNG") for o in got)
    assert [o.item.offer for o in got] == [{}, {}]
    assert [o.input_hash for o in got] == [o.input_hash for o in process_chunk(
        chunk, settings("bytes-again", None))]

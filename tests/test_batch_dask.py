"""offer-render batch on Dask: a LocalCluster with two worker processes gives the local result."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offer_render.batch import BatchOptions, run_batch
from offer_render.batch.executors import DASK_WORKER_CONFIG
from offer_render.cli.main import main
from offer_render.config import NetworkPolicy, RendererConfig
from tests.helpers.batchdata import latest, outputs, read_manifest, write_offers


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Run a LocalCluster of two single-threaded worker processes, with the settings the
    README advises for rendering; close it afterwards."""
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set(DASK_WORKER_CONFIG), distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
        host="127.0.0.1", silence_logs=40,
    ) as local:
        yield local


def test_the_advised_worker_settings_are_dask_settings_and_reach_the_workers(
    cluster: Any,
) -> None:
    import dask
    from distributed import Client

    for key in DASK_WORKER_CONFIG:  # a setting Dask renamed would be silently ignored
        assert dask.config.get(key, default=None) is not None, key
    with Client(cluster) as client:
        callbacks = client.run(lambda dask_worker: sorted(dask_worker.periodic_callbacks))
        ticks = client.run(lambda: dask.config.get("distributed.admin.tick.interval"))
    assert len(callbacks) == 2
    assert all("profile" not in names and "heartbeat" in names for names in callbacks.values())
    assert set(ticks.values()) == {"1s"}


def options(offers: Path, out: Path, **kw: Any) -> BatchOptions:
    policy = NetworkPolicy(base_dir=offers.parent)  # backgrounds are files beside the offers
    return BatchOptions(offers=offers, out_dir=out, config=RendererConfig(network=policy),
                        progress="none", allow_local_files=True, **kw)


def test_dask_chunks_are_larger_when_the_workers_write_the_images(
    cluster: Any, tmp_path: Path
) -> None:
    from offer_render.batch.executors import DaskRunner
    from offer_render.batch.runner import (
        DASK_MAX_CHUNK,
        DASK_MAX_CHUNK_RETURNED,
        DASK_MIN_CHUNK,
        MAX_CHUNK,
        _settings,
        chunk_bounds,
    )

    offers = tmp_path / "offers.jsonl"
    offers.write_text("")
    settings = _settings(options(offers, tmp_path / "out", executor="dask"), "png")
    writing = DaskRunner(settings, cluster.scheduler_address, out_dir=tmp_path)
    returning = DaskRunner(settings, cluster.scheduler_address)  # asks no worker to write
    try:
        assert writing.settings.out_dir == tmp_path  # every worker read the probe
        assert chunk_bounds(writing) == (DASK_MAX_CHUNK, DASK_MIN_CHUNK)
        assert chunk_bounds(returning) == (DASK_MAX_CHUNK_RETURNED, DASK_MIN_CHUNK)
        assert DASK_MAX_CHUNK > DASK_MAX_CHUNK_RETURNED > MAX_CHUNK
    finally:
        writing.close(cancel=False)
        returning.close(cancel=False)


def test_dask_gives_the_local_manifest_and_bytes(cluster: Any, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    offers = inputs / "offers.jsonl"
    write_offers(offers, 20, broken_every=7, missing_font_every=5)
    local, dask = tmp_path / "local", tmp_path / "dask"

    expected = run_batch(options(offers, local, jobs=1, locales=("en", "pl")))
    got = run_batch(options(offers, dask, executor="dask", scheduler=cluster.scheduler_address,
                            locales=("en", "pl")))

    assert (got.ok, got.skipped, got.error) == (expected.ok, expected.skipped, expected.error)
    assert got.error == 4
    assert got.exit_code == 3
    assert outputs(dask) == outputs(local)
    want = latest(read_manifest(local / "manifest.jsonl"))
    have = latest(read_manifest(dask / "manifest.jsonl"))
    assert {k: (r["status"], r["path"], r["sha256"], r["input_hash"], r["error"])
            for k, r in have.items()} == {
        k: (r["status"], r["path"], r["sha256"], r["input_hash"], r["error"])
        for k, r in want.items()}

    # resumable the same way: nothing is rendered again
    again = run_batch(options(offers, dask, executor="dask", scheduler=cluster.scheduler_address,
                              locales=("en", "pl")))
    assert (again.ok, again.skipped, again.error) == (0, expected.ok, expected.error)


def test_without_dask_the_executor_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 2)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(offers), "--out", str(tmp_path / "out"), "--executor", "dask",
              "--scheduler", "tcp://127.0.0.1:1", "--quiet"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "pip install 'offer-render[dask]'" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr("offer_render.batch.executors.CONNECT_TIMEOUT", "1s")
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 2)
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(offers), "--out", str(tmp_path / "out"), "--executor", "dask",
              "--scheduler", "tcp://127.0.0.1:9", "--quiet"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err

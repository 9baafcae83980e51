"""offer-render batch: broken offers, resume, incremental re-renders, interruption, parts."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from offer_render.batch import BatchOptions, run_batch
from offer_render.batch.inputhash import InputHasher
from offer_render.batch.manifest import Record, open_manifest
from offer_render.batch.memofetch import MemoFetcher
from offer_render.batch.plan import output_name
from offer_render.batch.reader import read_stream
from offer_render.config import Limits, NetworkPolicy, RendererConfig
from offer_render.errors import InvalidInputError, ResourceError
from offer_render.resources.fetch import PolicyFetcher
from tests.conftest import FIXTURES_DIR, LocalServer
from tests.helpers.batchdata import (
    BROKEN_KINDS,
    latest,
    outputs,
    read_manifest,
    small_offer,
    temp_files,
    write_offers,
)

ITEMS = 1200
"""Offers of the interruption test."""

CLI = [sys.executable, "-c", "from offer_render.cli.main import main; main()"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OFFER_RENDER_DEBUG": ""}
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env)


def local_options(offers: Path, out: Path, **kw: object) -> BatchOptions:
    """Return options for offers whose backgrounds are local files beside ``offers``."""
    policy = NetworkPolicy(base_dir=offers.parent)
    return BatchOptions(offers=offers, out_dir=out, config=RendererConfig(network=policy),
                        progress="none", allow_local_files=True, **kw)  # type: ignore[arg-type]


def test_thousand_offers_ten_broken_then_resume_then_one_change(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    offers = inputs / "offers.jsonl"
    broken = write_offers(offers, 1000, broken_every=97, missing_font_every=50)
    assert sorted(broken.values()) == sorted(BROKEN_KINDS)
    out = tmp_path / "out"

    start = time.monotonic()
    done = run_cli("batch", str(offers), "--out", str(out), "--jobs", "2",
                   "--allow-local-files", cwd=tmp_path)
    first_run = time.monotonic() - start
    assert done.returncode == 3, done.stderr
    assert "10 of 1000 items failed" in done.stderr
    assert first_run < 60
    images = outputs(out)
    assert len(images) == 990
    records = read_manifest(out / "manifest.jsonl")
    assert len(records) == 1000
    errors = {r["line"]: r["error"] for r in records if r["status"] == "error"}
    assert sorted(errors) == sorted(broken)
    assert [r for r in records if r["status"] == "ok"].__len__() == 990
    for record in records:
        if record["status"] == "ok":
            assert hashlib.sha256(images[record["path"]]).hexdigest() == record["sha256"]
            assert len(record["input_hash"]) == 64
            assert record["ms"] > 0
    by_kind = {kind: errors[line] for line, kind in broken.items()}
    assert "invalid JSON" in by_kind["invalid_json"]
    assert "duplicate offer id 'offer-0000'" in by_kind["duplicate_id"]
    assert "font_size" in by_kind["negative_font_size"]
    assert "background_url" in by_kind["undecodable_background"]
    assert "no such file" in by_kind["missing_background"]
    # a stylesheet that cannot be had is a warning in lenient mode, not an error
    warned = [r for r in records if any(w["code"] == "font_unavailable" for w in r["warnings"])]
    assert warned
    assert all(r["status"] == "ok" for r in warned)
    assert temp_files(out) == []

    # a re-run renders nothing
    again = run_cli("batch", str(offers), "--out", str(out), "--jobs", "2",
                    "--allow-local-files", cwd=tmp_path)
    assert again.returncode == 3
    second = read_manifest(out / "manifest.jsonl")[-1000:]
    assert len(second) == 1000
    assert sum(r["status"] == "skipped" for r in second) == 990
    assert sum(r["status"] == "error" for r in second) == 10
    assert outputs(out) == images
    skipped = next(r for r in second if r["status"] == "skipped")
    assert all(skipped[key] for key in ("sha256", "path", "input_hash"))

    # changing one offer re-renders only that one
    lines = offers.read_text().splitlines()
    changed = json.loads(lines[10])
    changed["name"]["en"] = "Changed"
    lines[10] = json.dumps(changed)
    offers.write_text("\n".join(lines) + "\n")
    third_run = run_cli("batch", str(offers), "--out", str(out), "--jobs", "2", "--quiet",
                        "--allow-local-files", cwd=tmp_path)
    assert third_run.returncode == 3
    assert third_run.stderr.count("\n") == 1  # --quiet: only the failure line
    third = read_manifest(out / "manifest.jsonl")[-1000:]
    # the third run found 2000 lines for about 1000 items and compacted them first
    assert len(read_manifest(out / "manifest.jsonl")) < 2100
    rendered = [r for r in third if r["status"] == "ok"]
    assert [r["offer_id"] for r in rendered] == [changed["id"]]
    assert sum(r["status"] == "skipped" for r in third) == 989
    after = outputs(out)
    assert after[f"{changed['id']}.png"] != images[f"{changed['id']}.png"]
    assert {k: v for k, v in after.items() if k != f"{changed['id']}.png"} == {
        k: v for k, v in images.items() if k != f"{changed['id']}.png"}


def test_force_renders_all_and_a_tampered_output_is_rendered_again(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 12)
    out = tmp_path / "out"
    assert run_batch(local_options(offers, out, jobs=1)).ok == 12
    (out / "offer-0003.png").write_bytes(b"tampered")
    (out / "offer-0004.png").unlink()
    summary = run_batch(local_options(offers, out, jobs=1))
    assert (summary.ok, summary.skipped, summary.error) == (2, 10, 0)
    assert (out / "offer-0003.png").read_bytes().startswith(b"\x89PNG")
    forced = run_batch(local_options(offers, out, jobs=1, force=True))
    assert (forced.ok, forced.skipped) == (12, 0)


def test_locales_name_outputs_and_render_each_language(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 3)
    out = tmp_path / "out"
    done = run_cli("batch", str(offers), "--out", str(out), "--locales", "en,pl", "--format",
                   "JPEG", "--jobs", "1", "--allow-local-files", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "6 items: 6 rendered" in done.stdout
    names = sorted(outputs(out))
    assert names == sorted(f"offer-000{i}-{loc}.jpg" for i in range(3) for loc in ("en", "pl"))
    assert outputs(out)["offer-0001-en.jpg"] != outputs(out)["offer-0001-pl.jpg"]
    records = read_manifest(out / "manifest.jsonl")
    assert {(r["offer_id"], r["locale"]) for r in records} == {
        (f"offer-000{i}", loc) for i in range(3) for loc in ("en", "pl")}


def test_template_option_applies_one_template_to_every_offer(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 4)
    template = small_offer(0, width=30, height=20)["image_template"]
    (tmp_path / "t.json").write_text(json.dumps(template))
    out = tmp_path / "out"
    done = run_cli("batch", str(offers), "--out", str(out), "--template", "t.json", "--jobs", "2",
                   "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    from PIL import Image

    assert {Image.open(out / n).size for n in outputs(out)} == {(30, 20)}


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_killed_midway_then_resumed_gives_the_uninterrupted_output(
    tmp_path: Path, how: signal.Signals
) -> None:
    # Enough items that a loaded machine cannot finish them between the 60th manifest
    # line and the signal (renders got several times faster with spliced encoding).
    inputs = tmp_path / "in"
    inputs.mkdir()
    offers = inputs / "offers.jsonl"
    write_offers(offers, ITEMS, broken_every=300, width=400, height=300)
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    assert run_cli("batch", str(offers), "--out", str(reference), "--jobs", "2", "--quiet",
                   "--allow-local-files", cwd=tmp_path).returncode == 3

    env = {**os.environ, "OFFER_RENDER_DEBUG": ""}
    proc = subprocess.Popen([*CLI, "batch", str(offers), "--out", str(resumed), "--jobs", "2",
                             "--allow-local-files"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    manifest = resumed / "manifest.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if manifest.exists() and manifest.read_bytes().count(b"\n") >= 60:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    proc.send_signal(how)
    _, stderr = proc.communicate(timeout=60)
    if how == signal.SIGINT:
        assert proc.returncode == 128 + signal.SIGINT
        assert "interrupted by SIGINT; run the same command again to resume" in stderr
        assert "Traceback" not in stderr, stderr
        assert temp_files(resumed) == []
    else:
        assert proc.returncode == -signal.SIGKILL
        # what a kill in the middle of writes can leave: a temp file, half a manifest line
        (resumed / ".offer-0001.png.k1ll3d.tmp").write_bytes(b"half an image")
        with manifest.open("ab") as fh:
            fh.write(b'{"offer_id": "offer-00')
    interrupted = len(manifest.read_bytes().splitlines())
    assert 0 < interrupted < ITEMS

    done = run_cli("batch", str(offers), "--out", str(resumed), "--jobs", "2",
                   "--allow-local-files", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert temp_files(resumed) == []
    ref_images, got_images = outputs(reference), outputs(resumed)
    assert sorted(got_images) == sorted(ref_images)
    assert {k: hashlib.sha256(v).hexdigest() for k, v in got_images.items()} == {
        k: hashlib.sha256(v).hexdigest() for k, v in ref_images.items()}
    final = latest(read_manifest(manifest))  # every line complete JSON
    assert len(final) == ITEMS
    assert sum(r["status"] == "error" for r in final.values()) == 3
    assert all(r["status"] in ("ok", "skipped") for r in final.values() if r["error"] is None)
    last_run = read_manifest(manifest)[-ITEMS:]
    assert sum(r["status"] == "skipped" for r in last_run) >= 1  # work done before is kept


def test_web_fonts_are_fetched_once_and_hashed(http_server: LocalServer, tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    lines = []
    for i in range(6):
        offer = small_offer(i, width=200, height=60)
        rect = offer["image_template"]["rectangles"][0]
        rect["font_url"] = http_server.url("/fonts/raleway.css")
        rect["font_family"] = "Raleway, sans-serif"
        lines.append(json.dumps(offer))
    offers.write_text("\n".join(lines) + "\n")
    log: list[str] = http_server.httpd.request_log  # type: ignore[attr-defined]
    before = len(log)
    policy = NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}))
    out = tmp_path / "out"
    # no disk cache: an earlier test of this session may have stored the stylesheet there
    config = RendererConfig(network=policy, cache_dir=None)
    summary = run_batch(BatchOptions(offers=offers, out_dir=out, jobs=1, progress="none",
                                     config=config))
    assert summary.ok == 6
    fetched = log[before:]
    assert fetched.count("/fonts/raleway.css") == 1
    assert all(fetched.count(path) == 1 for path in fetched)
    faces = {r["status"] for r in read_manifest(out / "manifest.jsonl")}
    assert faces == {"ok"}


def test_input_hash_follows_font_and_background_bytes(tmp_path: Path) -> None:
    for name in ("raleway.css", "Raleway-VF.ttf", "Raleway-Italic-VF.ttf"):
        (tmp_path / name).write_bytes((FIXTURES_DIR / "fonts" / name).read_bytes())
    (tmp_path / "raleway.css").write_text(
        (FIXTURES_DIR / "fonts" / "raleway.css").read_text().replace("../fonts/", ""))
    (tmp_path / "bg.png").write_bytes((FIXTURES_DIR / "backgrounds" / "chelsea.png").read_bytes())
    offer = small_offer(1, background="bg.png")
    rect = offer["image_template"]["rectangles"][0]
    rect["font_url"], rect["font_family"] = "raleway.css", "Raleway, serif"
    policy = NetworkPolicy(allow_local_files=True, base_dir=tmp_path)

    def digest() -> str:
        fetcher = MemoFetcher(PolicyFetcher(policy, Limits(), "test"))
        return InputHasher(fetcher, Limits()).input_hash(
            offer=offer, template=None, locale="en", options={})

    first = digest()
    assert digest() == first
    hasher = InputHasher(MemoFetcher(PolicyFetcher(policy, Limits(), "test")), Limits())
    resources = hasher.resources(offer["image_template"])
    assert any(url.endswith("Raleway-VF.ttf") for url in resources["stylesheets"]["raleway.css"]
               ["fonts"])
    with (tmp_path / "Raleway-VF.ttf").open("ab") as fh:
        fh.write(b"\0")
    second = digest()
    assert second != first
    (tmp_path / "bg.png").write_bytes((FIXTURES_DIR / "backgrounds" / "coffee.jpg").read_bytes())
    assert digest() != second


def test_resource_digests_are_kept_until_the_fetcher_loads_again(tmp_path: Path) -> None:
    # Arrange: two backgrounds; a fetcher whose budget holds one of them only
    a, b = (FIXTURES_DIR / "backgrounds" / n for n in ("chelsea.png", "coffee.jpg"))
    (tmp_path / "a.png").write_bytes(a.read_bytes())
    (tmp_path / "b.jpg").write_bytes(b.read_bytes())
    budget = max(a.stat().st_size, b.stat().st_size) + 1024
    policy = NetworkPolicy(allow_local_files=True, base_dir=tmp_path)
    fetcher = MemoFetcher(PolicyFetcher(policy, Limits(), "test"), max_bytes=budget)
    hasher = InputHasher(fetcher, Limits())
    template_a = small_offer(1, background="a.png")["image_template"]
    template_b = small_offer(2, background="b.jpg")["image_template"]
    # Act / Assert: once a's bytes are in, an equal template's digests come from the memo
    first = hasher.resources(template_a)  # loads a: not kept, the load may have dropped any
    kept = hasher.resources(template_a)
    loads = fetcher.loads
    assert hasher.resources(dict(template_a)) is kept
    assert kept == first
    assert fetcher.loads == loads
    # b's load drops a's bytes; a's file changes, and the next hash sees the new bytes
    hasher.resources(template_b)
    (tmp_path / "a.png").write_bytes(b.read_bytes())
    again = hasher.resources(template_a)
    assert again["background"] != first["background"]
    assert again["background"] == hasher.resources(template_b)["background"]


def test_a_failed_resource_is_hashed_again_once_it_can_be_had(tmp_path: Path) -> None:
    # Arrange: a background that is missing, failures remembered for no time at all
    policy = NetworkPolicy(allow_local_files=True, base_dir=tmp_path)
    fetcher = MemoFetcher(PolicyFetcher(policy, Limits(), "test"), failure_ttl=0.0)
    hasher = InputHasher(fetcher, Limits())
    template = small_offer(1, background="late.png")["image_template"]
    assert hasher.resources(template)["background"].startswith("error:")
    # Act: the file appears
    (tmp_path / "late.png").write_bytes(
        (FIXTURES_DIR / "backgrounds" / "chelsea.png").read_bytes())
    # Assert: the failure was not kept in the memo
    assert hasher.resources(template)["background"].startswith("sha256:")


def test_the_input_hash_holds_a_template_once_and_follows_a_given_one(tmp_path: Path) -> None:
    policy = NetworkPolicy(allow_local_files=True, base_dir=tmp_path)
    hasher = InputHasher(MemoFetcher(PolicyFetcher(policy, Limits(), "test")), Limits())
    offer = small_offer(1)
    own = hasher.input_hash(offer=offer, template=None, locale=None, options={"a": 1})
    # the offer's own template, given apart as well, is a different input (a --template)
    given = hasher.input_hash(offer=offer, template=offer["image_template"], locale=None,
                              options={"a": 1})
    assert own != given
    # options equal in value hash the same whether or not they are the same object
    assert hasher.input_hash(offer=offer, template=None, locale=None, options={"a": 1}) == own
    assert hasher.input_hash(offer=offer, template=None, locale=None, options={"a": 2}) != own


def test_memo_fetcher_remembers_bytes_and_failures(tmp_path: Path) -> None:
    calls: list[str] = []

    class Counting:
        def fetch(self, url: str, *, max_bytes: int, what: str) -> object:
            calls.append(url)
            return PolicyFetcher(NetworkPolicy(allow_local_files=True, base_dir=tmp_path),
                                 Limits(), "test").fetch(url, max_bytes=max_bytes, what=what)

    (tmp_path / "a.css").write_text("/* a */")
    memo = MemoFetcher(Counting())  # type: ignore[arg-type]
    assert memo.fetch("a.css", max_bytes=100, what="stylesheet").data == b"/* a */"
    assert memo.digest("a.css", max_bytes=100, what="stylesheet").startswith("sha256:")
    for _ in range(2):
        with pytest.raises(ResourceError, match="no such file"):
            memo.fetch("b.css", max_bytes=100, what="stylesheet")
    assert calls == ["a.css", "b.css"]


def test_manifest_cuts_a_partial_last_line_and_keeps_the_latest_record(tmp_path: Path) -> None:
    path = tmp_path / "manifest.jsonl"
    first = Record("a", None, 1, "ok", path="a.png", sha256="1" * 64, input_hash="2" * 64)
    later = Record("a", None, 1, "error", error="boom")
    path.write_bytes(first.to_json() + later.to_json() + b'{"offer_id": "b", "sta')
    manifest = open_manifest(path)
    try:
        assert manifest.previous[("a", None)].status == "error"
        manifest.append([Record("b", None, 2, "ok")])
        with pytest.raises(InvalidInputError, match="another batch"):
            open_manifest(path)
    finally:
        manifest.close()
    lines = path.read_bytes().splitlines()
    assert len(lines) == 3
    assert all(json.loads(line) for line in lines)


def test_manifest_is_compacted_to_the_latest_record_per_item(tmp_path: Path) -> None:
    path = tmp_path / "manifest.jsonl"
    runs = [[Record(oid, None, i, "ok", path=f"{oid}.png", sha256=str(run) * 64)
             for i, oid in enumerate("abc")] for run in range(3)]
    path.write_bytes(b"".join(rec.to_json() for run in runs for rec in run))  # 9 lines, 3 items
    (tmp_path / ".manifest.jsonl.999.compact.tmp").write_bytes(b"left by a killed run")
    manifest = open_manifest(path)
    try:
        assert {k: r.sha256 for k, r in manifest.previous.items()} == {
            (oid, None): "2" * 64 for oid in "abc"}
        with pytest.raises(InvalidInputError, match="another batch"):
            open_manifest(path)  # the compacted file is locked too
        manifest.append([Record("d", None, 4, "ok")])
    finally:
        manifest.close()
    records = [json.loads(line) for line in path.read_bytes().splitlines()]
    assert [(r["offer_id"], r["sha256"]) for r in records] == [
        ("a", "2" * 64), ("b", "2" * 64), ("c", "2" * 64), ("d", None)]
    assert list(tmp_path.glob("*.tmp")) == []


def test_a_failed_item_names_the_earlier_image_it_leaves_in_place(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 3)
    out = tmp_path / "out"
    assert run_batch(local_options(offers, out, jobs=1)).ok == 3
    before = (out / "offer-0001.png").read_bytes()
    lines = offers.read_text().splitlines()
    good = lines[1]
    broken = json.loads(good)
    broken["image_template"]["rectangles"][0]["font_size"] = -1
    lines[1] = json.dumps(broken)
    offers.write_text("\n".join(lines) + "\n")

    summary = run_batch(local_options(offers, out, jobs=1))
    assert (summary.skipped, summary.error) == (2, 1)
    rec = latest(read_manifest(out / "manifest.jsonl"))[("offer-0001", None, 2)]
    assert rec["status"] == "error"
    assert "font_size" in rec["error"]
    assert rec["stale"] is True
    assert rec["path"] == "offer-0001.png"
    assert rec["sha256"] == hashlib.sha256(before).hexdigest()
    assert (out / "offer-0001.png").read_bytes() == before

    (out / "offer-0001.png").unlink()  # gone: nothing stale to name
    assert run_batch(local_options(offers, out, jobs=1)).error == 1
    rec = latest(read_manifest(out / "manifest.jsonl"))[("offer-0001", None, 2)]
    assert (rec["stale"], rec["path"], rec["sha256"]) == (False, None, None)

    lines[1] = good
    offers.write_text("\n".join(lines) + "\n")
    assert run_batch(local_options(offers, out, jobs=1)).ok == 1
    rec = latest(read_manifest(out / "manifest.jsonl"))[("offer-0001", None, 2)]
    assert (rec["status"], rec["stale"]) == ("ok", False)


def test_reader_reports_bad_lines_and_skips_blank_ones() -> None:
    import io

    raw = b'\xef\xbb\xbf{"id": 1}\n\n  \n{"id": \n\xff\xfe\n[1]\n'
    lines = list(read_stream(io.BytesIO(raw)))
    assert [line.number for line in lines] == [1, 4, 5, 6]
    assert lines[0].value == {"id": 1}
    assert "invalid JSON" in (lines[1].error or "")
    assert lines[2].error == "line 5: not UTF-8 text"
    assert lines[3].value == [1, 2, 3][:1]
    long_line = list(read_stream(io.BytesIO(b"x" * 50 + b"\n{}\n"), max_line_bytes=10))
    assert long_line[0].error == "line 1: longer than 10 bytes"
    assert long_line[1].value == {}


@pytest.mark.parametrize(("oid", "locale", "name"), [
    ("123", None, "123.png"),
    ("a/b", "pl", "a%2Fb-pl.png"),
    ("../etc/passwd", None, "%2E.%2Fetc%2Fpasswd.png"),
    ("zażółć", "pt-BR", "za%C5%BC%C3%B3%C5%82%C4%87-pt-BR.png"),
])
def test_output_names_are_one_safe_file_name(oid: str, locale: str | None, name: str) -> None:
    assert output_name(oid, locale, "png") == name


@pytest.mark.parametrize(("args", "message"), [
    (["--locales", "en,../x"], "--locales: '../x' is not a locale name"),
    (["--locales", ","], "--locales: give at least one locale name"),
    (["--format", "bmp"], "Invalid value for '--format': 'bmp' is not one of 'png', 'jpeg'"),
    (["--scheduler", "tcp://x:1"], "--scheduler needs --executor dask"),
    (["--executor", "dask"], "needs a scheduler address"),
])
def test_usage_errors_are_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 2)
    done = run_cli("batch", str(offers), "--out", str(tmp_path / "out"), *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_offers_file_is_exit_2(tmp_path: Path) -> None:
    done = run_cli("batch", "nope.jsonl", "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert "nope.jsonl: no such file" in done.stderr


def test_a_pretty_printed_json_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    offers.write_text(json.dumps({"id": 1, "image_template": {"width": 10, "height": 10}},
                                 indent=2))
    done = subprocess.run(
        [sys.executable, "-c", "from offer_render.cli.main import main; main()", "batch",
         str(offers), "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "one JSON document, not JSON Lines" in done.stderr
    assert not (tmp_path / "out").exists()


def test_templates_may_not_read_local_files_unless_allowed(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 1)  # writes bg.png beside the offers file
    lines = [small_offer(1, background=(tmp_path / "bg.png").as_uri()),
             small_offer(2, background="bg.png"), small_offer(3)]
    offers.write_text("".join(json.dumps(o) + "\n" for o in lines))
    out = tmp_path / "out"
    done = run_cli("batch", str(offers), "--out", str(out), "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    records = {r["offer_id"]: r for r in read_manifest(out / "manifest.jsonl")}
    for oid in ("offer-0001", "offer-0002"):
        assert records[oid]["status"] == "error"
        assert "local files are not allowed by the network policy" in records[oid]["error"]
        assert "background_url" in records[oid]["error"]
    assert records["offer-0003"]["status"] == "ok"
    assert sorted(outputs(out)) == ["offer-0003.png"]

    allowed = run_cli("batch", str(offers), "--out", str(out), "--jobs", "1",
                      "--allow-local-files", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert sorted(outputs(out)) == ["offer-0001.png", "offer-0002.png", "offer-0003.png"]


def test_the_operators_template_is_read_but_its_local_urls_are_not(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 2)
    template = small_offer(0, background="bg.png")["image_template"]
    (tmp_path / "t.json").write_text(json.dumps(template))
    out = tmp_path / "out"
    done = run_cli("batch", str(offers), "--out", str(out), "--template", "t.json", "--jobs", "1",
                   "--quiet", cwd=tmp_path)
    assert done.returncode == 3
    errors = [r["error"] for r in read_manifest(out / "manifest.jsonl")]
    assert len(errors) == 2
    assert all("bg.png: local files are not allowed by the network policy" in e for e in errors)
    # the library's default is the same: BatchOptions refuses local files unless told
    policy = NetworkPolicy(allow_local_files=True, base_dir=tmp_path)
    summary = run_batch(BatchOptions(offers=offers, out_dir=tmp_path / "lib", template=template,
                                     jobs=1, progress="none",
                                     config=RendererConfig(network=policy)))
    assert (summary.ok, summary.error) == (0, 2)
    allowed = run_batch(BatchOptions(offers=offers, out_dir=tmp_path / "lib", template=template,
                                     jobs=1, progress="none", allow_local_files=True,
                                     config=RendererConfig(network=policy)))
    assert (allowed.ok, allowed.error) == (2, 0)


def test_an_output_name_the_disk_refuses_fails_that_item_only(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    long_id = small_offer(1)
    long_id["id"] = "x" * 300  # a 304-byte file name: more than NAME_MAX (255)
    offers.write_text(json.dumps(long_id) + "\n" + json.dumps(small_offer(2)) + "\n")
    out = tmp_path / "out"
    summary = run_batch(local_options(offers, out, jobs=1))
    assert (summary.ok, summary.error) == (1, 1)
    records = {r["line"]: r for r in read_manifest(out / "manifest.jsonl")}
    assert records[1]["status"] == "error"
    assert records[1]["error"].startswith(f"cannot write {out / ('x' * 300)}.png: ")
    assert "File name too long" in records[1]["error"]
    assert records[2]["status"] == "ok"
    assert temp_files(out) == []


def test_library_errors_name_fields_the_cli_names_flags(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 1)
    for kw, field in (({"jobs": -1}, "jobs"), ({"locales": ("en", "e/n")}, "locales[1]"),
                      ({"executor": "ssh"}, "executor"), ({"locales": ()}, "locales")):
        with pytest.raises(InvalidInputError) as info:
            run_batch(local_options(offers, tmp_path / "out", **kw))
        assert info.value.problems[0][0] == field
    done = run_cli("batch", str(offers), "--out", str(tmp_path / "out"), "--executor", "dask",
                   cwd=tmp_path)
    assert done.returncode == 2
    assert "offer-render: error: --scheduler: the dask executor needs a scheduler address" in (
        done.stderr)


def test_group_quiet_silences_progress_and_verbose_logs_the_plan(tmp_path: Path) -> None:
    offers = tmp_path / "offers.jsonl"
    write_offers(offers, 1)
    plain = run_cli("batch", str(offers), "--out", str(tmp_path / "a"), "--jobs", "1",
                    "--allow-local-files", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.startswith("1 item: 1 rendered, 0 up to date, 0 failed in ")
    assert plain.stderr.startswith("offer-render batch: 1/1 (100%)")  # the last progress line
    done = subprocess.run([*CLI, "-q", "batch", str(offers), "--out", str(tmp_path / "b"),
                           "--jobs", "1", "--allow-local-files"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert done.stderr == ""
    assert done.stdout.startswith("1 item: 1 rendered")
    loud = subprocess.run([*CLI, "-v", "batch", str(offers), "--out", str(tmp_path / "c"),
                           "--jobs", "1", "--quiet"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert loud.returncode == 3  # local files refused: the background offer fails
    assert ("offer-render: info: batch plan: items 1, executor local, workers 1, local files "
            "refused") in loud.stderr


def test_subset_fonts_are_versioned_by_their_stylesheet_not_fetched(tmp_path: Path) -> None:
    # Arrange: a family split into two unicode-range subsets, one of them missing
    (tmp_path / "f.ttf").write_bytes((FIXTURES_DIR / "fonts" / "Raleway-VF.ttf").read_bytes())
    css = ("@font-face { font-family: Split; src: url(f.ttf); unicode-range: U+0-FF; }\n"
           "@font-face { font-family: Split; src: url(gone.ttf); unicode-range: U+400-4FF; }\n"
           "@font-face { font-family: Whole; src: url(f.ttf); }\n")
    (tmp_path / "s.css").write_text(css)
    policy = NetworkPolicy(allow_local_files=True, base_dir=tmp_path)
    template = small_offer(1)["image_template"]
    template["rectangles"][0].update(font_url="s.css", font_family="Split, Whole")
    hasher = InputHasher(MemoFetcher(PolicyFetcher(policy, Limits(), "test")), Limits())
    # Act
    fonts = hasher.resources(template)["stylesheets"]["s.css"]["fonts"]
    # Assert: the whole font is hashed by its bytes; no subset was fetched
    assert [Path(url).name for url in fonts] == ["f.ttf"]
    assert all(digest.startswith("sha256:") for digest in fonts.values())

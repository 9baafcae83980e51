"""offer-render fonts pull fills the download cache; --offline renders then need no network."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import LocalServer
from tests.helpers.examples import served_offer
from tests.test_cli import run


def test_pull_then_render_offline(http_server: LocalServer, tmp_path: Path) -> None:
    offer = served_offer("coffee-week.json", http_server.base_url)
    (tmp_path / "offer.json").write_text(json.dumps(offer))
    cache = tmp_path / "cache"

    pulled = run("fonts", "pull", "offer.json", "--allow-host", "127.0.0.1",
                 "--cache-dir", str(cache), cwd=tmp_path)
    assert pulled.returncode == 0, pulled.stderr
    assert "0 failed" in pulled.stdout
    assert list((cache / "blobs").rglob("*"))  # stylesheets, fonts and the background

    done = run("render", "offer.json", "--offline", "--report", "r.json", "-o", "out.png",
               cwd=tmp_path, env={"OFFER_RENDER_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    families = {f["family"] for r in report["rectangles"] for f in r["faces"]}
    assert {"Raleway", "Playfair Display"} <= families
    codes = [w["code"] for r in report["rectangles"] for w in r["warnings"]]
    assert "font_unavailable" not in codes


def test_offline_render_without_a_pull_falls_back_and_says_so(
    http_server: LocalServer, tmp_path: Path
) -> None:
    offer = served_offer("sticker.json", http_server.base_url)
    offer["image_template"]["rectangles"][0]["font_url"] = http_server.url("/fonts/raleway.css")
    (tmp_path / "offer.json").write_text(json.dumps(offer))
    done = run("render", "offer.json", "--offline", "--report", "r.json", "-o", "out.png",
               cwd=tmp_path, env={"OFFER_RENDER_CACHE_DIR": str(tmp_path / "empty")})
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    messages = [w["message"] for w in report["rectangles"][0]["warnings"]]
    assert any("offline: not in cache" in m for m in messages)


def test_pull_reports_what_it_could_not_fetch(http_server: LocalServer, tmp_path: Path) -> None:
    template = {"width": 10, "height": 10, "background_url": http_server.url("/status/404")}
    (tmp_path / "t.json").write_text(json.dumps(template))
    done = run("fonts", "pull", "t.json", "--allow-host", "127.0.0.1",
               "--cache-dir", str(tmp_path / "c"), cwd=tmp_path)
    assert done.returncode == 1
    assert "HTTP 404" in done.stderr
    assert "Traceback" not in done.stderr

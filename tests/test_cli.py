"""The offer-render command line, run as a real process: outputs, reports, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.conftest import LocalServer
from tests.helpers.examples import served_offer

CLI = [sys.executable, "-c", "from offer_render.cli.main import main; main()"]


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "OFFER_RENDER_DEBUG": "", **(env or {})}
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=full_env
    )


def test_platform_sample_from_a_local_server(http_server: LocalServer, tmp_path: Path) -> None:
    offer = served_offer("platform-sample.json", http_server.base_url)
    (tmp_path / "sample.json").write_text(json.dumps(offer))
    done = run("render", "sample.json", "--allow-host", "127.0.0.1", "-o", "out.png",
               "--report", "report.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    image = Image.open(tmp_path / "out.png")
    assert image.size == (100, 300)
    report = json.loads((tmp_path / "report.json").read_text())
    rect = report["rectangles"][0]
    assert rect["text"] == "Galeria Krakowska, Arkadia"
    codes = {w["code"]: w["message"] for w in rect["warnings"]}
    assert "Playfair Display" in codes["family_not_in_stylesheet"]
    assert "DejaVu Serif" in codes["family_not_in_stylesheet"]
    assert rect["faces"][0]["family"] == "DejaVu Serif"
    # Magenta text lies inside the rectangle's content box (x >= 20, 10 <= y <= 200) and
    # is clipped at the canvas's right edge; nothing magenta elsewhere.
    rgb = image.convert("RGB")
    magenta = [
        (x, y) for y in range(300) for x in range(100)
        if (p := rgb.getpixel((x, y))) and p[0] > 200 and p[1] < 80 and p[2] > 200  # type: ignore[index]
    ]
    assert magenta, "no text drawn"
    assert min(x for x, _ in magenta) >= 20
    assert min(y for _, y in magenta) >= 10
    assert max(y for _, y in magenta) <= 205


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"width": 0, "height": 10}))
    done = run("render", "t.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "width: must be at least 1" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.png"))


def test_broken_json_and_missing_file_exit_2(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text("{ nope")
    done = run("render", "t.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "not valid JSON" in done.stderr
    done = run("render", "missing.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_unknown_format_and_option_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"width": 10, "height": 10}))
    done = run("render", "t.json", "--format", "bmp", cwd=tmp_path)
    assert done.returncode == 2
    assert "format" in done.stderr
    done = run("render", "t.json", "--no-such-flag", cwd=tmp_path)
    assert done.returncode == 2


def test_missing_background_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    template = {"width": 10, "height": 10, "background_url": "nowhere.png"}
    (tmp_path / "t.json").write_text(json.dumps(template))
    done = run("render", "t.json", "-o", "out.png", cwd=tmp_path)
    assert done.returncode == 1
    assert "background" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.png").exists()


def test_demo_renders_every_example_offline(tmp_path: Path) -> None:
    done = run("demo", "-o", "demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert "platform-sample.png" in names
    assert "coffee-week-pl@2x.jpg" in names
    assert "sticker.avif" in names
    assert "cat-cafe-pl.webp" in names
    report = json.loads((tmp_path / "demo" / "coffee-week-en.report.json").read_text())
    families = {f["family"] for r in report["rectangles"] for f in r["faces"]}
    assert {"Raleway", "Playfair Display"} <= families

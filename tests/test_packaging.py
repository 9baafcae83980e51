"""A wheel of the project carries the bundled fonts and renders without the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from offer_render.version import __version__

REPO = Path(__file__).resolve().parents[1]

RENDER = """
import json, sys
import offer_render
from offer_render import NetworkPolicy, Renderer, RendererConfig
from offer_render.config import BUNDLED_FONTS_DIR
template = json.loads(sys.argv[1])
r = Renderer(RendererConfig(network=NetworkPolicy(offline=True), cache_dir=None))
result = r.render(template, format="png")
faces = [f["family"] for f in result.report["rectangles"][0]["faces"]]
print(json.dumps({"module": offer_render.__file__, "fonts": str(BUNDLED_FONTS_DIR),
                  "faces": faces, "bytes": len(result.data)}))
"""


def test_an_installed_wheel_renders_with_its_own_bundled_fonts(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path / "dist")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("offer_render-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("DejaVuSans.ttf", "LICENSE-DejaVu.txt", "NotoSansDevanagari-Regular.ttf",
                 "LICENSE-Noto.txt"):
        assert f"offer_render/_fonts/{name}" in names
    # the version is written once (offer_render/version.py) and the licence travels along
    dist_info = f"offer_render-{__version__}.dist-info"
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode()
    assert f"\nVersion: {__version__}\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata
    assert f"{dist_info}/licenses/LICENSE" in names
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--target", str(site), str(wheel)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert install.returncode == 0, install.stderr
    template = {"width": 200, "height": 60, "rectangles": [{
        "name": "t", "content": "Hello नमस्ते", "width": 200, "height": 60, "offset_left": 0,
        "offset_top": 0, "padding": 4, "text_align": "left", "color": "#000",
        "font_size": 16, "font_family": "sans-serif", "font_url": None}]}
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run(
        [sys.executable, "-c", RENDER, json.dumps(template)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env, check=False,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["module"].startswith(str(site))
    assert out["fonts"] == str(site / "offer_render" / "_fonts")
    assert "Noto Sans Devanagari" in out["faces"]
    assert out["bytes"] > 0

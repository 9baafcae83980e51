"""Render the bundled examples (``fixtures/examples/demo.json``) offline into a folder.

Takes an output folder; writes one image and one report per example and prints
a line for each. Fonts and backgrounds come from local files only: the demo
never touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from offer_render.cli.words import count
from offer_render.config import NetworkPolicy, RendererConfig
from offer_render.errors import InvalidInputError
from offer_render.files import write_atomic

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "examples"


def load_manifest(examples_dir: Path = EXAMPLES_DIR) -> list[dict[str, Any]]:
    """Return the demo's entries: file, output name, and render options."""
    manifest = examples_dir / "demo.json"
    if not manifest.is_file():
        raise InvalidInputError(
            [(str(manifest), "demo examples not found (run the demo from a source checkout)")]
        )
    entries: list[dict[str, Any]] = json.loads(manifest.read_text(encoding="utf-8"))
    return entries


def run_demo(out_dir: Path, examples_dir: Path = EXAMPLES_DIR) -> list[Path]:
    """Render every example into ``out_dir``; return the image paths written."""
    from offer_render.api import Renderer

    policy = NetworkPolicy(offline=True, allow_local_files=True, base_dir=examples_dir)
    renderer = Renderer(RendererConfig(network=policy))
    written = []
    for entry in load_manifest(examples_dir):
        offer = json.loads((examples_dir / entry["file"]).read_text(encoding="utf-8"))
        fmt = entry.get("format", "png")
        result = renderer.render(
            None, offer, locale=entry.get("locale"), format=fmt,
            scale=entry.get("scale", 1), collections=entry.get("collections"),
        )
        ext = "jpg" if result.format == "jpeg" else result.format
        image_path = out_dir / f"{entry['name']}.{ext}"
        write_atomic(image_path, result.data)
        report = json.dumps(result.report, indent=2, ensure_ascii=False).encode()
        write_atomic(out_dir / f"{entry['name']}.report.json", report)
        n_warn = len(result.report["warnings"]) + sum(
            len(r["warnings"]) for r in result.report["rectangles"]
        )
        click.echo(
            f"{image_path}  {result.width}x{result.height}  "
            f"{entry.get('title', '')}  ({count(n_warn, 'warning')})"
        )
        written.append(image_path)
    click.echo(f"{count(len(written), 'example')} rendered into {out_dir}/")
    return written

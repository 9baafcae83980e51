"""Designer previews: debug overlay pixels, contact sheet layout, the preview command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from offer_render.api import Painted, Renderer
from offer_render.config import NetworkPolicy, RendererConfig
from offer_render.preview import build_sheet, compose_sheet, draw_overlay
from offer_render.preview.overlay import (
    BASELINE,
    CLIPPED,
    FALLBACK,
    OUTLINE,
    PADDING,
    pixel_box,
)
from offer_render.preview.samples import Sample, offer_locales
from offer_render.preview.sheet import LABEL_SIZE, MARGIN

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
EXAMPLES = FIXTURES / "examples"
RALEWAY_CSS = str(FIXTURES / "fonts" / "raleway.css")
CLI = [sys.executable, "-c", "from offer_render.cli.main import main; main()"]


def renderer() -> Renderer:
    policy = NetworkPolicy(offline=True, allow_local_files=True, base_dir=EXAMPLES)
    return Renderer(RendererConfig(network=policy))


def rect(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Box", "width": 100, "height": 60, "padding": 10, "offset_left": 20,
        "offset_top": 20, "text_align": "left", "color": "#000000", "font_size": 16,
        "font_family": "sans-serif", "font_url": None, "content": "Hi",
    }
    return {**base, **kw}


def paint(rects: list[dict[str, Any]], size: tuple[int, int] = (200, 120),
          scale: float = 1) -> Painted:
    template = {"width": size[0], "height": size[1], "rectangles": rects}
    return renderer().paint(template, None, scale=scale)


def px(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def test_overlay_draws_outline_padding_and_baseline_in_their_colours() -> None:
    painted = paint([rect(number=3)])
    out = draw_overlay(painted)
    assert out.size == painted.image.size
    assert out is not painted.image
    box = painted.tree.rects[0]
    x0, y0, x1, y1 = pixel_box(box.box) or (0, 0, 0, 0)
    assert (x0, y0, x1, y1) == (20, 20, 119, 79)
    # Outline on the border box's outermost pixels: left, right and bottom edges.
    for xy in ((x0, 50), (x1, 50), (70, y1)):
        assert px(out, xy) == OUTLINE
    assert px(out, (x0 + 1, 50)) != OUTLINE  # 1 px wide at scale 1
    # The content box (padding 10) is dashed: its first dash starts at its corner.
    assert px(out, (30, 30)) == PADDING
    assert px(out, (30, 30 + 3)) != PADDING  # the gap after a 3 px dash
    line = box.lines[0]
    assert px(out, (round(line.box.x) + 1, round(line.baseline))) == BASELINE
    # Outside every box nothing is drawn: still the transparent canvas.
    assert px(out, (180, 110)) == (0, 0, 0, 0)


def test_overlay_marks_clipped_text_red() -> None:
    text = "A long sentence that cannot fit in this tiny box at all"
    painted = paint([rect(width=70, height=30, padding=2, content=text)])
    box = painted.tree.rects[0]
    assert box.clipped
    out = draw_overlay(painted)
    x0, y0, x1, y1 = pixel_box(box.box) or (0, 0, 0, 0)
    assert px(out, (x0, (y0 + y1) // 2)) == CLIPPED  # red outline, not cyan
    assert px(out, ((x0 + x1) // 2, y1)) == CLIPPED
    # The visible part of a line that reaches past the box is tinted red.
    over = next(ln for ln in box.lines if ln.box.bottom > box.box.bottom)
    y = min(y1 - 1, round(over.box.y) + 1)
    xs = range(max(x0, round(over.box.x)) + 1, min(x1, round(over.box.right)) - 1)
    assert len(xs) > 10
    before = [px(painted.image, (x, y)) for x in xs]
    after = [px(out, (x, y)) for x in xs]
    assert not any(p[0] > p[1] + 60 for p in before)  # black text, nothing red
    assert all(p[0] > p[1] + 60 and p[0] > p[2] + 60 and p[3] > 0 for p in after)
    # The hidden part of that line is outlined in dashed red below the box.
    below = [px(out, (x, round(over.box.bottom) - 1)) for x in range(x0, x1)]
    assert CLIPPED in below


def test_overlay_cut_text_is_red_too() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve"
    painted = paint([rect(width=90, height=80, padding=0, content=text, max_lines=2)])
    box = painted.tree.rects[0]
    assert box.cut
    assert not box.clipped
    out = draw_overlay(painted)
    x0, y0, _, y1 = pixel_box(box.box) or (0, 0, 0, 0)
    assert px(out, (x0, (y0 + y1) // 2)) == CLIPPED
    last = box.lines[-1]
    tint = px(out, (round(last.box.x) + 2, round(last.box.y) + 2))
    assert tint[0] == 255
    assert tint[1] < 90


def test_overlay_underlines_fallback_runs_in_orange() -> None:
    painted = paint([rect(width=180, content="Hi مرحبا", font_family="Raleway",
                          font_url=RALEWAY_CSS)])
    box = painted.tree.rects[0]
    fallback = {id(face) for _, face in box.fallbacks}
    assert fallback  # Raleway has no Arabic
    out = draw_overlay(painted)
    run = next(r for ln in box.lines for r in ln.runs if id(r.face) in fallback)
    y = round(run.baseline) + 2
    xs = range(round(run.x), round(run.x + run.width))
    orange = [x for x in xs if px(out, (x, y)) == FALLBACK]
    assert len(orange) >= run.width - 2
    latin = next(r for ln in box.lines for r in ln.runs if r.face.family == "Raleway")
    assert px(out, (round(latin.x) + 1, round(latin.baseline) + 2)) != FALLBACK


def test_overlay_scales_with_the_render() -> None:
    painted = paint([rect()], scale=2)
    out = draw_overlay(painted)
    assert out.size == (400, 240)
    assert px(out, (40, 100)) == OUTLINE
    assert px(out, (41, 100)) == OUTLINE
    assert px(out, (42, 100)) != OUTLINE


def test_contact_sheet_has_a_labelled_cell_per_offer_and_locale() -> None:
    coffee = json.loads((EXAMPLES / "coffee-week.json").read_text())
    other = {**coffee, "id": 77, "name": {"en": "Tea week", "pl": "Tydzień herbaty"}}
    samples = [Sample("2001", coffee), Sample("77", other)]
    sheet = build_sheet(renderer(), coffee, samples, ["en", "pl"], debug=True, cell_width=300)
    assert [c.label for c in sheet.cells] == ["2001 · en", "2001 · pl", "77 · en", "77 · pl"]
    assert sheet.columns == 2
    assert sheet.cell_size == (300, 200)  # 600x400 scaled to 300 wide
    cw, ch = sheet.cell_size
    label_h = 2 * (LABEL_SIZE + 4) + 4  # two label lines: "offer · locale", warnings
    assert sheet.image.width == MARGIN + 2 * (cw + MARGIN)
    assert sheet.image.height == MARGIN + 2 * (ch + label_h + MARGIN)
    assert sheet.cells[2].report["rectangles"][0]["text"] == "Tea week"
    assert sheet.cells[3].report["rectangles"][0]["text"] == "Tydzień herbaty"
    # The label strip under the first cell has dark text pixels.
    strip = sheet.image.crop((MARGIN, MARGIN + ch, MARGIN + cw, MARGIN + ch + 20))
    darkest, _ = strip.convert("L").getextrema()
    assert isinstance(darkest, int)
    assert darkest < 100


@pytest.mark.parametrize(("count", "columns", "grid"),
                         [(5, 2, (2, 3)), (3, 5, (3, 1)), (4, 1, (1, 4))])
def test_compose_sheet_grid(count: int, columns: int, grid: tuple[int, int]) -> None:
    images = [Image.new("RGBA", (40, 20), (255, 0, 0, 255)) for _ in range(count)]
    sheet, (cw, ch), cols = compose_sheet(images, [f"c{i}" for i in range(count)], columns=columns)
    assert (cw, ch) == (40, 20)
    assert cols == grid[0]
    assert sheet.width == MARGIN + grid[0] * (cw + MARGIN)
    rows = grid[1]
    # Red cell pixels appear exactly in the first cell position of each row.
    for row in range(rows):
        y = MARGIN + row * (sheet.height - MARGIN) // rows + 5
        assert px(sheet, (MARGIN + 5, y)) == (255, 0, 0)


def test_sheet_cells_show_transparency_on_a_checkerboard() -> None:
    images = [Image.new("RGBA", (32, 32), (0, 0, 0, 0))]
    sheet, _, _ = compose_sheet(images, ["x"], columns=1)
    colours = {px(sheet, (MARGIN + x, MARGIN + 1)) for x in (1, 9)}
    assert colours == {(255, 255, 255), (0xD8, 0xD8, 0xD8)}


def test_locales_come_from_the_offers() -> None:
    assert offer_locales([{"name": {"en": "a", "pl": "b"}, "description": {"de": "c"}}, None]) == [
        "en", "pl", "de"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OFFER_RENDER_DEBUG": ""}
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env)


def test_preview_command_writes_a_debug_sheet(tmp_path: Path) -> None:
    offer2 = json.loads((EXAMPLES / "coffee-week.json").read_text())
    offer2["id"] = 5
    (tmp_path / "o2.json").write_text(json.dumps(offer2))
    done = run("preview", str(EXAMPLES / "coffee-week.json"), "--offer",
               str(EXAMPLES / "coffee-week.json"), "--offer", "o2.json", "--locales", "en,pl",
               "--debug", "--offline", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "coffee-week-preview.png"
    assert done.stdout.strip() == f"{out.name} {MARGIN + 2 * 616}x{Image.open(out).height} 4 cells"
    image = Image.open(out)
    assert image.format == "PNG"
    # Cells are drawn at full size: the Title's outline runs down its left edge (x=20) in cyan.
    rgb = image.convert("RGB")
    assert all(px(rgb, (MARGIN + 20, MARGIN + y)) == OUTLINE[:3] for y in range(40, 100))


def test_preview_of_a_bare_template_and_default_locale(tmp_path: Path) -> None:
    template = {"width": 120, "height": 40, "rectangles": [rect(width=100, height=30,
                                                                offset_left=5, offset_top=5)]}
    (tmp_path / "t.json").write_text(json.dumps(template))
    done = run("preview", "t.json", "-o", "sheet.png", "--columns", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 cell" in done.stdout
    assert Image.open(tmp_path / "sheet.png").width == MARGIN + 120 + MARGIN


@pytest.mark.parametrize(("args", "needle"), [
    (["missing.json"], "missing.json: file not found"),
    (["t.json", "--locales", ","], "--locales: give at least one locale name"),
    (["t.json", "--locales", "en,p/l"], "--locales: 'p/l' is not a locale name"),
    (["t.json", "--scale", "9"], "scale: must be greater than 0"),
    (["t.json", "--columns", "0"], "--columns"),
])
def test_preview_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"width": 10, "height": 10}))
    done = run("preview", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.png"))

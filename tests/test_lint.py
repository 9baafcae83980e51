"""Template lint: each check finds its problem in a fixture made to have it, none in a clean one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from offer_render.api import Renderer
from offer_render.config import NetworkPolicy, RendererConfig
from offer_render.errors import InvalidInputError
from offer_render.lint import Finding, lint_template
from offer_render.lint.contrast import contrast_ratio, is_large_text
from offer_render.lint.worstcase import LONG_STORES, worst_cases
from offer_render.preview.samples import NO_OFFER, Sample, load_inputs
from tests.conftest import LocalServer
from tests.helpers.examples import served_offer

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "fixtures" / "examples"
RALEWAY_CSS = str(REPO / "fixtures" / "fonts" / "raleway.css")
CLI = [sys.executable, "-c", "from offer_render.cli.main import main; main()"]

OFFER: dict[str, Any] = {
    "id": 42, "name": {"en": "Coffee week", "pl": "Tydzień kawy"},
    "description": {"en": "Every second cup on us.", "pl": "Co druga kawa gratis."},
    "stores": ["Arkadia"],
}


def renderer() -> Renderer:
    policy = NetworkPolicy(offline=True, allow_local_files=True, base_dir=EXAMPLES)
    return Renderer(RendererConfig(network=policy))


def rect(**kw: Any) -> dict[str, Any]:
    """Return a rectangle that passes every check on its own (dark Raleway text on white)."""
    base: dict[str, Any] = {
        "name": "Box", "width": 260, "height": 60, "padding": 8, "offset_left": 20,
        "offset_top": 20, "text_align": "left", "color": "#111111", "font_size": 20,
        "font_family": "Raleway, sans-serif", "font_url": RALEWAY_CSS, "content": "Hello",
    }
    return {**base, **kw}


def template(*rects: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"width": 300, "height": 200, "rectangles": list(rects), **kw}


def lint(tmpl: dict[str, Any], *offers: dict[str, Any] | None, **kw: Any) -> list[Finding]:
    samples = [Sample(str((o or {}).get("id", NO_OFFER)), o) for o in offers] or [
        Sample(NO_OFFER, None)]
    return lint_template(renderer(), tmpl, samples, **kw)


def codes(findings: list[Finding]) -> dict[str, Finding]:
    return {f.code: f for f in findings}


def test_clean_template_has_no_findings() -> None:
    # Tall enough for lint's long Arabic name too (three lines of Noto Sans Arabic, whose
    # lines are taller than Latin ones).
    assert lint(template(rect(content="{{name}}", height=150)), OFFER) == []


def test_clean_example_has_no_findings() -> None:
    inputs = load_inputs(EXAMPLES / "lint-clean.json")
    assert lint_template(renderer(), inputs.template, inputs.samples) == []


def test_platform_sample_family_not_in_stylesheet() -> None:
    inputs = load_inputs(EXAMPLES / "platform-sample.json")
    found = codes(lint_template(renderer(), inputs.template, inputs.samples))
    f = found["family_not_in_stylesheet"]
    assert f.severity == "error"
    assert (f.rectangle, f.index) == ("Title", 0)
    assert "Playfair Display" in f.message
    # The sample's box also sticks out of its 100 px canvas, which cuts the text.
    assert found["outside_canvas"].severity == "warning"
    assert "right edge by 15px" in found["outside_canvas"].message
    assert found["text_off_canvas"].severity == "error"


def test_white_on_white_is_low_contrast() -> None:
    found = codes(lint(template(rect(color="#FFFFFF")), OFFER))
    f = found["low_contrast"]
    assert f.severity == "error"
    assert f.rectangle == "Box"
    assert "1.00:1" in f.message
    assert "4.5:1" in f.message


def test_contrast_is_measured_on_the_background_pixels(tmp_path: Path) -> None:
    # Left half black, right half white: white text passes on the left only.
    bg = Image.new("RGB", (300, 200), (255, 255, 255))
    bg.paste((0, 0, 0), (0, 0, 150, 200))
    bg.save(tmp_path / "half.png")
    tmpl = template(
        rect(name="OnBlack", color="#FFFFFF", width=120, offset_left=10),
        rect(name="OnWhite", color="#FFFFFF", width=120, offset_left=170),
        background_url=str(tmp_path / "half.png"),
    )
    found = [f for f in lint(tmpl, OFFER) if f.code == "low_contrast"]
    assert [f.rectangle for f in found] == ["OnWhite"]


def test_large_text_needs_only_3_to_1() -> None:
    grey = "#949494"  # 3.03:1 on white: fails for body text, passes for large text
    assert 3 < contrast_ratio((0x94, 0x94, 0x94), (255, 255, 255)) < 4.5
    small = codes(lint(template(rect(color=grey, font_size=16)), OFFER))
    large = codes(lint(template(rect(color=grey, font_size=28)), OFFER))
    assert "low_contrast" in small
    assert "low_contrast" not in large
    assert is_large_text(18.66, 700)
    assert not is_large_text(18.66, 400)


def test_translucent_text_counts_as_drawn() -> None:
    found = codes(lint(template(rect(color="#00000030")), OFFER))
    assert "low_contrast" in found


def test_platform_limits() -> None:
    rects = [rect(name=f"R{i}", offset_top=20 + 30 * i, height=28, font_size=12)
             for i in range(5)]
    rects[1]["text_align"] = "justify"
    tmpl = {"width": 2500, "height": 200, "rectangles": rects}
    found = lint(tmpl, OFFER)
    by_code = codes(found)
    assert by_code["canvas_width"].severity == "error"
    assert "2500" in by_code["canvas_width"].message
    assert "canvas_height" not in by_code
    assert by_code["too_many_rectangles"].rectangle is None
    assert "at most 4" in by_code["too_many_rectangles"].message
    assert (by_code["text_align"].rectangle, by_code["text_align"].index) == ("R1", 1)


def test_overlapping_rectangles() -> None:
    tmpl = template(rect(name="Back"), rect(name="Front", offset_left=200, offset_top=60))
    f = codes(lint(tmpl, OFFER))["overlap"]
    assert (f.rectangle, f.severity) == ("Front", "warning")
    assert "'Back' by 80x20 px" in f.message


def test_rectangle_outside_the_canvas() -> None:
    found = lint(template(rect(name="Gone", offset_left=400)), OFFER)
    f = codes(found)["outside_canvas"]
    assert (f.rectangle, f.severity) == ("Gone", "error")
    assert "wholly outside" in f.message


def test_long_text_in_a_tiny_box_is_clipped() -> None:
    long = "A long sentence that cannot possibly fit in such a tiny box"
    f = codes(lint(template(rect(width=60, height=24, padding=2, content=long)), OFFER))[
        "text_clipped"]
    assert f.severity == "error"
    assert f.cases[0] == "42 · en"


def test_max_lines_cut() -> None:
    long = "one two three four five six seven eight nine ten eleven twelve thirteen"
    f = codes(lint(template(rect(width=120, height=100, content=long, max_lines=2)), OFFER))[
        "text_cut"]
    assert f.severity == "error"


def test_unknown_placeholder() -> None:
    f = codes(lint(template(rect(content="{{nope}} {{name}}")), OFFER))["unknown_placeholder"]
    assert f.severity == "error"
    assert "{{nope}}" in f.message


def test_unknown_key_is_a_warning() -> None:
    f = codes(lint(template(rect(font_sise=12)), OFFER))["unknown_key"]
    assert f.severity == "warning"
    assert "font_size" in f.message


def test_missing_glyphs_for_a_locale_script() -> None:
    # The bundled fallback fonts cover Arabic, Hebrew, the Indic scripts, Thai and CJK,
    # so Hindi and Thai draw; no bundled font covers Tibetan or Thaana (Dhivehi).
    offer = {**OFFER, "name": {"en": "Coffee week", "hi": "कॉफ़ी सप्ताह", "th": "สัปดาห์กาแฟ",
                               "bo": "བོད་ཡིག", "dv": "ދިވެހި"}}
    f = codes(lint(template(rect(content="{{name}}")), offer))["missing_glyphs"]
    assert f.severity == "error"
    assert "42 · bo" in f.cases
    assert "42 · dv" in f.cases
    assert not {"42 · en", "42 · hi", "42 · th"} & set(f.cases)
    assert "Tibetan" in f.message or "Thaana" in f.message


def test_worst_case_data_finds_what_the_samples_hide() -> None:
    # The sample's one short store fits; lint's long store names do not.
    tmpl = template(rect(name="Stores", content="{{stores}}", width=200, height=36))
    assert lint(tmpl, OFFER, worst_case=False) == []
    f = codes(lint(tmpl, OFFER))["text_clipped"]
    assert f.severity == "warning"  # found only with made-up data
    assert all(c.startswith("worst case") for c in f.cases)


def test_worst_cases_cover_longest_texts_rtl_and_emoji() -> None:
    other = {**OFFER, "id": 43, "name": {"en": "A much longer name for the coffee week"},
             "stores": ["Tiny"]}
    cases = worst_cases([Sample("42", OFFER), Sample("43", other)], ["en", "pl"])
    labels = [c.label for c in cases]
    assert labels == ["worst case: longest texts · en", "worst case: longest texts · pl",
                      "worst case: RTL · ar", "worst case: emoji · en"]
    en = cases[0].offer
    assert en is not None
    assert en["name"] == {"en": "A much longer name for the coffee week"}
    assert en["stores"] == list(LONG_STORES)  # longer than any sample's store
    assert en["id"] == 42  # built on the first sample, so its fields still resolve
    assert cases[1].offer is not None
    assert cases[1].offer["name"] == {"pl": "Tydzień kawy"}
    assert cases[2].locale == "ar"
    emoji = cases[3].offer
    assert emoji is not None
    assert "🎉" in emoji["name"]["en"]


def test_invalid_template_raises() -> None:
    with pytest.raises(InvalidInputError, match="width"):
        lint({"width": 0, "height": 10}, OFFER)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OFFER_RENDER_DEBUG": ""}
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env)


def test_cli_clean_exits_0(tmp_path: Path) -> None:
    done = run("lint", str(EXAMPLES / "lint-clean.json"), "--offline", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "clean" in done.stderr


def test_cli_problems_exit_1_one_line_each(tmp_path: Path) -> None:
    done = run("lint", str(EXAMPLES / "platform-sample.json"), "--offline", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("error Title family_not_in_stylesheet: font family 'Playfair")
    assert all(line.split()[0] in ("error", "warning") for line in lines)
    assert "errors" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_fetches_fonts_from_an_allowed_host(http_server: LocalServer, tmp_path: Path) -> None:
    offer = served_offer("platform-sample.json", http_server.base_url)
    (tmp_path / "sample.json").write_text(json.dumps(offer))
    done = run("lint", "sample.json", "--json", "--allow-host", "127.0.0.1", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    found = {f["code"]: f for f in json.loads(done.stdout)}
    assert http_server.base_url in found["family_not_in_stylesheet"]["message"]
    assert http_server.requested("/fonts/raleway.css")


def test_cli_json_shape(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps(template(rect(content="{{nope}}"))))
    (tmp_path / "o.json").write_text(json.dumps(OFFER))
    done = run("lint", "t.json", "--offer", "o.json", "--json", "--locales", "en",
               "--no-worst-case", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data == [{
        "code": "unknown_placeholder", "severity": "error", "rectangle": "Box", "index": 0,
        "message": "rectangle 'Box': unknown placeholder {{nope}} [42 · en]",
        "cases": ["42 · en"],
    }]


@pytest.mark.parametrize(("args", "needle"), [
    (["nothing.json"], "nothing.json: file not found"),
    (["bad.json"], "bad.json: is not valid JSON"),
    (["t.json", "--offer", "list.json"], "list.json: must hold a JSON object"),
    (["t.json", "--locales", "en,,/"], "--locales"),
])
def test_cli_invalid_input_exits_2(tmp_path: Path, args: list[str], needle: str) -> None:
    (tmp_path / "t.json").write_text(json.dumps(template(rect())))
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "list.json").write_text("[]")
    done = run("lint", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr
    assert done.stderr.strip().count("\n") == 0

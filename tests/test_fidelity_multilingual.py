"""The multilingual check: real text in 86 languages and 35 scripts, as Chromium on Noto draws it.

Runs every text of ``fixtures/fidelity/multilingual/`` through the engine (its font
source a local server of Debian's Noto fonts in the Google Fonts CSS API's shape) and
through Debian's Chromium choosing its own fallbacks among the same fonts installed as
system fonts, and holds the totals to issue 12's targets. Also checks the parts the
measurement rests on: the corpus, the font source server, the fontconfig file, the
reading of the engine's warnings. ``python -m tests.fidelity.run --multilingual``
prints the same figures per rectangle, script and language, and writes sheets.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from offer_render import NetworkPolicy, Renderer, RendererConfig
from offer_render.diagnostics import RenderWarning
from tests.fidelity import browser, fontsource
from tests.fidelity.compare import normalize_lines
from tests.fidelity.corpus import WEB_FONTS, build_template, load_texts
from tests.fidelity.coverage import (
    fontconfig_coverage,
    is_default_ignorable,
    missing_chars,
    parse_charset,
    tofu_chromium_avoids,
)
from tests.fidelity.fontsource import google_family, parse_families, unicode_range
from tests.fidelity.multilingual import (
    FONTCONFIG,
    TARGET_LINES,
    TARGET_TOFU_RECTS,
    TARGET_WORST_IOU,
    Result,
    Summary,
    print_summary,
    run_suite,
)
from tests.fidelity.page import build_page

needs_fonts = pytest.mark.skipif(
    not fontsource.available() and not os.environ.get("CI"),
    reason="Debian's fonts-noto-core, fonts-noto-cjk and fonts-noto-color-emoji are not "
           "installed (CI installs them and runs this)",
)
needs_browser = pytest.mark.skipif(
    not (browser.available() and fontsource.available()) and not os.environ.get("CI"),
    reason="Debian's chromium or Noto fonts are not installed (CI installs them and runs this)",
)
@pytest.fixture(scope="module")
def summary() -> Summary:
    result = run_suite()
    print_summary(result)
    return result


@pytest.fixture(scope="module")
def source() -> Iterator[fontsource.FontSource]:
    with fontsource.serve_font_source() as served:
        yield served


def _get(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


# -- the corpus ------------------------------------------------------------------------


def test_the_corpus_has_60_languages_and_25_scripts() -> None:
    texts = load_texts()
    udhr = [t for t in texts if t.kind == "udhr"]
    assert len({t.lang for t in udhr}) >= 60
    scripts = {t.script for t in texts} - {"Zyyy", "Zsye"}
    assert len(scripts) >= 25, sorted(scripts)
    for lang in ("pl", "de", "ko", "th", "ar", "he", "hi", "bn", "ta", "te", "zh-Hans",
                 "zh-Hant", "ja", "ru", "el", "ka", "hy", "am", "km", "lo", "my", "si", "gu",
                 "pa", "kn", "ml", "bo", "ur", "fa", "vi", "tr"):
        assert lang in {t.lang for t in udhr}, lang
    assert "Orya" in {t.script for t in texts}  # Odia: a hand-made case
    assert all(t.text and "{" not in t.text for t in texts)  # literal text, no merge fields


def test_the_cases_cover_urls_breaks_and_emoji_sequences() -> None:
    text = " ".join(t.text for t in load_texts() if t.kind == "case")
    for needle in ("www.example.com/deals/2026/summer-sale?code=X", "https://", "@example",
                   "\u00ad", "\u00a0", "\u200b", "\u2060",
                   "\U0001F1F5\U0001F1F1",  # a flag
                   "\U0001F468\u200d\U0001F469\u200d\U0001F467",  # a ZWJ family
                   "\U0001F44D\U0001F3FD",  # a skin tone
                   "1\ufe0f\u20e3",  # a keycap
                   "\u00a9\ufe0f", "\u00ae\ufe0f", "\u2122\ufe0f", "\u2764\ufe0f",  # VS16
                   "\u00a9\ufe0e"):  # VS15
        assert needle in text, repr(needle)


def test_templates_vary_size_width_alignment_and_family() -> None:
    templates = [build_template(t, i, "http://x/fixtures") for i, t in enumerate(load_texts())]
    rects = [r for t in templates for r in t["rectangles"]]
    assert {r["font_size"] for r in rects} >= {12, 24, 40}
    assert {r["text_align"] for r in rects} == {"left", "center", "right", "justify"}
    families = {r["font_family"] for r in rects}
    assert {"sans-serif", "serif"} | {f for f, _ in WEB_FONTS} <= families
    assert all(r["font_url"] for r in rects if r["font_family"] not in ("sans-serif", "serif"))
    assert any(r.get("font_weight") == 700 for r in rects)
    for t in templates:  # stacked, never overlapping, inside a canvas the engine accepts
        boxes = sorted((r["offset_top"], r["offset_top"] + r["height"]) for r in t["rectangles"])
        assert all(a[1] <= b[0] for a, b in zip(boxes, boxes[1:], strict=False))
        assert boxes[-1][1] <= t["height"] <= 4096
        assert t["width"] <= 4096


# -- the font source ---------------------------------------------------------------------


def test_google_family_names_come_from_the_name_table() -> None:
    assert google_family("Noto Sans CJK KR") == "Noto Sans KR"
    assert google_family("Noto Serif CJK TC") == "Noto Serif TC"
    assert google_family("Noto Sans Mono CJK JP") is None
    assert google_family("Noto Sans Symbols2") == "Noto Sans Symbols 2"
    assert google_family("Noto Sans Devanagari") == "Noto Sans Devanagari"


def test_unicode_range_compresses_consecutive_code_points() -> None:
    assert unicode_range([0x41, 0x42, 0x43, 0x131, 0x20, 0x1F600]) == \
        "U+0020, U+0041-0043, U+0131, U+1F600"


def test_css2_families_and_axes_are_parsed_as_google_takes_them() -> None:
    q = "family=Noto+Sans+KR:wght@400&family=Noto+Sans:ital,wght@0,400;1,700&family=Noto+Sans+KR"
    assert parse_families(q) == ["Noto Sans KR", "Noto Sans"]
    assert parse_families("family=Noto+Sans+JP:wght@100..900&display=swap") == ["Noto Sans JP"]
    for bad in ("", "display=swap", "family=Noto+Sans:wght@bold", "family=:wght@400"):
        with pytest.raises(fontsource.BadRequest):
            parse_families(bad)


@needs_fonts
def test_font_source_answers_every_static_face_with_its_cmap(
    source: fontsource.FontSource,
) -> None:
    status, body, headers = _get(f"{source.base_url}/css2?family=Noto+Sans+KR:wght@400")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    css = body.decode()
    assert css.count("@font-face") == 2  # Regular and Bold, whatever weight was asked
    assert "font-family: 'Noto Sans KR';" in css
    assert "font-weight: 700;" in css
    assert "format('opentype')" in css
    url = re.search(r"url\((\S+?)\)", css)
    assert url is not None
    ranges = re.search(r"unicode-range: ([^;]+);", css)
    assert ranges is not None
    assert "U+AC00-D7A3" in ranges[1]
    status, font, headers = _get(url[1])
    assert status == 200
    assert headers["Content-Type"] == "font/otf"
    path = source.cache_dir / url[1].rsplit("/", 1)[1]
    assert path.read_bytes() == font  # extracted from the collection once, then served
    face = TTFont(path, lazy=True)
    assert face["name"].getDebugName(1) == "Noto Sans CJK KR"
    assert 0xD55C in face.getBestCmap()


@needs_fonts
def test_font_source_serves_several_families_and_refuses_unknown_ones(
    source: fontsource.FontSource,
) -> None:
    status, body, _ = _get(f"{source.base_url}/css2?family=Noto+Serif+Tibetan"
                           "&family=Noto+Sans+Symbols+2&family=Noto+Color+Emoji&display=swap")
    css = body.decode()
    assert status == 200
    for family in ("Noto Serif Tibetan", "Noto Sans Symbols 2", "Noto Color Emoji"):
        assert f"font-family: '{family}';" in css
    assert "format('truetype')" in css
    assert "font-display: swap;" in css
    url = re.search(r"url\((\S+NotoColorEmoji\S*?)\)", css)
    assert url is not None
    status, font, _ = _get(url[1])
    assert status == 200
    assert font == Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
                                          ).read_bytes()
    status, body, _ = _get(f"{source.base_url}/css2?family=Noto+Sans+Klingon")
    assert status == 400
    assert body == b"Font family not found: Noto Sans Klingon\n"
    status, body, _ = _get(f"{source.base_url}/css2?family=Noto+Sans:wght@heavy")
    assert status == 400
    assert b"wght@heavy" in body
    assert b"\n" not in body[:-1]
    assert _get(f"{source.base_url}/fonts/NotoSansKlingon-400.ttf")[0] == 404


@needs_fonts
def test_the_engine_reads_the_font_sources_stylesheets(
    source: fontsource.FontSource, tmp_path: Path,
) -> None:
    # Whatever way the engine comes to ask the font source, its answer is a stylesheet
    # the engine's own @font-face reading takes: here named by a template's font_url.
    config = RendererConfig(network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                            cache_dir=tmp_path)
    rect = {"name": "t", "width": 300, "height": 60, "padding": 4, "offset_left": 0,
            "offset_top": 0, "color": "#000", "font_size": 20, "text_align": "left",
            "font_family": "'Noto Serif Tibetan', sans-serif",
            "font_url": f"{source.base_url}/css2?family=Noto+Serif+Tibetan:wght@700",
            "content": "\u0f56\u0f7c\u0f51\u0f0b\u0f61\u0f72\u0f42"}
    result = Renderer(config).render({"width": 300, "height": 60, "rectangles": [rect]},
                                     locale="bo")
    faces = result.report["rectangles"][0]["faces"]
    # Asked for 700, answered every face: CSS matching picks the 400 of normal text.
    assert [(f["family"], f["weight"]) for f in faces] == [("Noto Serif Tibetan", 400)]
    assert not result.warnings


# -- fontconfig and coverage -------------------------------------------------------------


@needs_fonts
def test_fontconfig_leaves_noto_sans_per_script_and_rejects_the_rest() -> None:
    env = {**os.environ, "FONTCONFIG_FILE": str(FONTCONFIG)}
    listed = subprocess.run(["fc-list", "--format", "%{family[0]}\n"], env=env, check=True,
                            capture_output=True, text=True).stdout.splitlines()
    families = set(listed)
    for kept in ("Noto Sans", "Noto Serif", "Noto Sans Arabic", "Noto Sans CJK KR",
                 "Noto Color Emoji", "Noto Serif Tibetan", "Noto Sans Mono CJK SC"):
        assert kept in families, kept
    twins = {f for f in families if f.startswith("Noto Serif ")
             and "Noto Sans " + f.removeprefix("Noto Serif ") in families}
    assert not twins, twins  # every Serif face with a Sans twin is rejected
    for gone in ("DejaVu Sans", "DejaVu Sans Mono", "Liberation Sans", "Noto Kufi Arabic",
                 "Noto Nastaliq Urdu", "Noto Looped Thai"):
        assert gone not in families, gone
    for generic, face in (("sans-serif", "Noto Sans"), ("serif", "Noto Serif"),
                          ("monospace", "Noto Sans Mono CJK SC"),
                          ("sans-serif:lang=zh-hant", "Noto Sans CJK TC")):
        matched = subprocess.run(["fc-match", "--format", "%{family[0]}", generic], env=env,
                                 check=True, capture_output=True, text=True).stdout
        assert matched == face, (generic, matched)


@needs_fonts
def test_coverage_is_what_fontconfig_can_draw() -> None:
    covered = fontconfig_coverage(FONTCONFIG)
    assert {0xAC00, 0x0B13, 0x0F40, 0x1F600, 0x41} <= covered  # Hangul, Odia, Tibetan, emoji
    assert 0xE000 not in covered  # private use: tofu in Chromium too
    assert parse_charset("20-22 41\n") == {0x20, 0x21, 0x22, 0x41}


def test_tofu_counts_only_where_chromium_has_no_tofu() -> None:
    covered = frozenset({0xAC00})
    assert tofu_chromium_avoids("\uac00\ue000\ufe0f", covered) == "\uac00\ufe0f"
    assert is_default_ignorable("\u200b")
    assert not is_default_ignorable("a")


def test_missing_characters_are_read_from_the_engines_warning() -> None:
    warnings = [
        RenderWarning("missing_glyphs", "no available face has '\\ue000한'; drawn as missing "
                      "glyphs", "rectangles[1].content", 1, "\ue000한"),
        RenderWarning("font_fallback", "'x' drawn with ...", "", 1),
        RenderWarning("missing_glyphs", "no available face has 'z'; drawn as missing glyphs",
                      "", 0, "z"),
    ]
    assert missing_chars(warnings, 1) == "\ue000한"
    assert missing_chars(warnings, 0) == "z"
    assert missing_chars(warnings, 2) == ""


# -- the page and the browser ------------------------------------------------------------


def test_the_page_leaves_fonts_to_the_system_and_names_the_language() -> None:
    template = build_template(load_texts()[0], 2, "http://127.0.0.1:1/fixtures")
    texts = [r["content"] for r in template["rectangles"]]
    html = build_page(template, texts, "http://127.0.0.1:1", lang="zh-Hant", system_fonts=True)
    assert '<html lang="zh-Hant">' in html
    assert "@font-face" not in html  # only the template's stylesheet declares fonts
    assert '<link rel="stylesheet" href="http://127.0.0.1:1/fixtures/fonts/' in html
    assert "font-family: sans-serif;" in html
    assert "font-family: serif;" in html
    bundled = build_page(template, texts, "http://127.0.0.1:1")
    assert "@font-face" in bundled
    assert "font-family: sans-serif;" not in bundled


@needs_browser
def test_lines_after_a_soft_hyphen_break_are_read_where_chromium_draws_them() -> None:
    with browser.chromium(FONTCONFIG) as chromium:
        page = chromium.new_page()
        page.set_content('<div id="r0" style="width: 38px; font: 12px sans-serif">'
                         "every\u00adone abc</div>")
        # The range of the "o" also returns the box of the hyphen drawn on line one.
        assert browser.lines_of(page, 0) == ["every\u00ad", "one ", "abc"]


# -- the run -----------------------------------------------------------------------------


@needs_browser
def test_chromium_falls_back_to_noto_sans_per_script(summary: Summary) -> None:
    faces: dict[str, dict[str, int]] = {}
    for r in summary.results:
        faces.setdefault(f"{r.page}/{r.rect}", r.chromium_faces)
    expected = {
        "udhr-en/v0": "Noto Sans", "udhr-en/v1": "Noto Serif",
        "udhr-ko/v0": "Noto Sans CJK KR", "udhr-ja/v0": "Noto Sans CJK JP",
        "udhr-zh-Hans/v1": "Noto Sans CJK SC", "udhr-zh-Hant/v0": "Noto Sans CJK TC",
        "udhr-ar/v1": "Noto Sans Arabic", "udhr-ur/v0": "Noto Sans Arabic",
        "udhr-hi/v1": "Noto Sans Devanagari", "udhr-he/v1": "Noto Sans Hebrew",
        "udhr-ka/v1": "Noto Sans Georgian", "udhr-bo/v0": "Noto Serif Tibetan",
        "case-odia/v0": "Noto Sans Oriya", "case-vs16-vs15/v0": "Noto Color Emoji",
        "case-emoji-default/v0": "Noto Sans Symbols2",  # stars and arrows: not a CJK face
    }
    for rect, face in expected.items():
        assert face in faces[rect], (rect, faces[rect])
    used = {f for fs in faces.values() for f in fs}
    assert not any(f.startswith(("DejaVu", "Liberation")) for f in used), used


@needs_browser
def test_the_run_covers_every_text_and_writes_its_sheets(summary: Summary) -> None:
    texts = load_texts()
    assert len(summary.results) == 3 * len(texts)
    out = Path(__file__).resolve().parent / "output" / "fidelity" / "multilingual"
    assert all((out / f"{t.id}.png").is_file() for t in texts)
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(data["results"]) == len(summary.results)


@needs_browser
def test_lines_match_chromium(summary: Summary) -> None:
    assert summary.lines_ratio >= TARGET_LINES, [
        (r.page, r.rect, r.engine_lines, r.chromium_lines)
        for r in summary.results if not r.lines_match
    ]


@needs_browser
def test_no_missing_glyphs_where_chromium_drew_the_glyph(summary: Summary) -> None:
    assert len(summary.tofu_rects) <= TARGET_TOFU_RECTS, [
        (r.page, r.rect, r.tofu) for r in summary.tofu_rects
    ]


@needs_browser
def test_ink_boxes_match_chromium(summary: Summary) -> None:
    worst = summary.worst
    assert worst.iou >= TARGET_WORST_IOU, (worst.page, worst.rect, worst.iou)


def test_lines_compare_across_soft_hyphens_but_not_across_hard_ones() -> None:
    engine = ["Super\u2010", "market chain"]  # the engine drops U+00AD, draws U+2010
    chromium = ["Super\u00ad", "mar\u00adket chain"]  # Chromium keeps the text's U+00AD
    assert normalize_lines(engine) == normalize_lines(chromium) == ["Super", "market chain"]
    assert normalize_lines(["summer-", "sale"]) != normalize_lines(["summer", "-sale"])
    assert normalize_lines(["  a  b ", "", " "]) == ["a b"]


def test_a_summary_counts_what_it_says() -> None:
    def result(rect: str, same: bool, iou: float, tofu: str) -> Result:
        return Result(page="p", rect=rect, lang="en", script="Latn", kind="case",
                      font_family="serif", font_size=12, width=100, text_align="left",
                      engine_lines=["a b"], chromium_lines=["a b"] if same else ["a", "b"],
                      iou=iou, match=iou, engine_missing=tofu, tofu=tofu,
                      engine_faces=[], chromium_faces={})

    s = Summary([result("v0", True, 0.9, ""), result("v1", False, 0.5, "x"),
                 result("v2", True, 1.0, "")])
    assert s.lines_ratio == pytest.approx(2 / 3)
    assert [r.rect for r in s.tofu_rects] == ["v1"]
    assert s.worst.rect == "v1"
    assert s.median_iou == 0.9
    assert not s.passed()
    assert Summary([result("v0", True, 0.9, "")]).passed()

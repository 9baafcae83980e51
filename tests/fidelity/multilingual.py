"""Run the multilingual check: corpus texts through the engine and Chromium on system Noto fonts.

Usage: ``python -m tests.fidelity.run --multilingual [--only ID ...] [--all]`` (or
``python -m tests.fidelity.multilingual``). Renders every text of
``fixtures/fidelity/multilingual/`` (:mod:`tests.fidelity.corpus`) with the engine,
its font source pointed at a local server of Debian's Noto fonts
(:mod:`tests.fidelity.fontsource`), and with headless Chromium choosing its own
fallbacks among the same fonts installed as system fonts (``tests/fidelity/fonts.conf``).
Prints the rectangles that miss a target (all of them with ``--all``), the totals,
and per-script and per-language breakdowns; writes engine | Chromium | difference
sheets, the generated templates and ``results.json`` to
``tests/output/fidelity/multilingual/``. Exits 1 when the totals miss the targets of
issue 12 (the same lines in >= 97% of rectangles, no rectangle with missing glyphs
where Chromium drew the glyph, worst ink-box IoU >= 0.85).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fontTools import unicodedata as ucd
from playwright.sync_api import Browser, BrowserContext, Page

from offer_render import NetworkPolicy, Renderer, RendererConfig
from tests.fidelity import browser, fontsource
from tests.fidelity.compare import ink_box, ink_match, iou, normalize_lines, side_by_side
from tests.fidelity.corpus import Text, build_template, load_texts
from tests.fidelity.coverage import (
    font_coverage,
    fontconfig_coverage,
    missing_chars,
    tofu_chromium_avoids,
)
from tests.fidelity.page import write_page
from tests.fidelity.server import REPO_ROOT, serve

FONTCONFIG = Path(__file__).resolve().with_name("fonts.conf")
OUTPUT_DIR = REPO_ROOT / "tests" / "output" / "fidelity" / "multilingual"
WEB_FONT_FILES = sorted((REPO_ROOT / "fixtures" / "fonts").glob("*.ttf"))
TARGET_LINES = 0.97
TARGET_TOFU_RECTS = 0
TARGET_WORST_IOU = 0.85


@dataclass(frozen=True)
class Result:
    """How one rectangle of one text compares."""

    page: str
    rect: str
    lang: str
    script: str
    kind: str
    font_family: str
    font_size: int
    width: int
    text_align: str
    engine_lines: list[str]
    chromium_lines: list[str]
    iou: float
    match: float
    engine_missing: str
    """Characters the engine drew as missing glyphs (its ``missing_glyphs`` warning)."""
    tofu: str
    """Of those, the ones Chromium drew without tofu (see :mod:`tests.fidelity.coverage`)."""
    engine_faces: list[str]
    """The engine's faces: family, weight and synthetic styles, as its report gives them."""
    chromium_faces: dict[str, int]
    """Chromium's faces: family -> glyphs drawn."""
    chromium_postscript: list[str] = field(default_factory=list)
    """Chromium's faces by PostScript name (which face of the family)."""

    @property
    def lines_match(self) -> bool:
        """Return whether both broke the text into the same lines."""
        return normalize_lines(self.engine_lines) == normalize_lines(self.chromium_lines)


@dataclass
class Summary:
    """Totals over every rectangle of the run, and how the run went."""

    results: list[Result]
    font_source_used: bool = False
    """Whether this engine takes ``RendererConfig.font_source`` (issue 12's engine does)."""
    font_requests: list[str] = field(default_factory=list)
    engine_seconds: float = 0.0
    chromium_seconds: float = 0.0

    @property
    def lines_ratio(self) -> float:
        return sum(r.lines_match for r in self.results) / len(self.results)

    @property
    def tofu_rects(self) -> list[Result]:
        return [r for r in self.results if r.tofu]

    @property
    def median_iou(self) -> float:
        return statistics.median(r.iou for r in self.results)

    @property
    def worst(self) -> Result:
        return min(self.results, key=lambda r: r.iou)

    @property
    def worst_match(self) -> Result:
        return min(self.results, key=lambda r: r.match)

    def passed(self) -> bool:
        """Return whether the run meets issue 12's targets."""
        return (self.lines_ratio >= TARGET_LINES and len(self.tofu_rects) <= TARGET_TOFU_RECTS
                and self.worst.iou >= TARGET_WORST_IOU)

    def by(self, key: Callable[[Result], str]) -> dict[str, list[Result]]:
        """Return the results grouped by ``key``, groups in order of first appearance."""
        groups: dict[str, list[Result]] = {}
        for r in self.results:
            groups.setdefault(key(r), []).append(r)
        return groups


def engine_config(font_source: str, cache_dir: Path) -> RendererConfig:
    """Return the engine's configuration for the check: the local font source, its host
    allowed, a disk cache of the run's own."""
    return RendererConfig(
        network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})), cache_dir=cache_dir,
        font_source=font_source,
    )


HAN_SCRIPTS = frozenset({"Hani", "Hira", "Kana", "Hang", "Bopo"})


class Pages:
    """Hand out Chromium pages: one shared, and a fresh one for each text with Han in it.

    Chromium keeps the fallback face it chose for a character per renderer process:
    after a Korean page drew Han with Noto Sans CJK KR, a Japanese page would get KR
    too. A fresh browser context (its own process) costs about 0.35 s, so only texts
    with Han, kana, Hangul or Bopomofo get one.
    """

    def __init__(self, chromium: Browser) -> None:
        self.chromium = chromium
        self.shared: BrowserContext | None = None
        self.fresh: BrowserContext | None = None

    def page(self, text: Text) -> Page:
        """Return the page to draw ``text`` on."""
        if self.fresh is not None:
            self.fresh.close()
            self.fresh = None
        if any(ucd.script(c) in HAN_SCRIPTS for c in text.text):
            self.fresh = self.chromium.new_context(device_scale_factor=1)
            return self.fresh.new_page()
        if self.shared is None:
            self.shared = self.chromium.new_context(device_scale_factor=1)
            self.shared.new_page()
        return self.shared.pages[0]

    def close(self) -> None:
        for context in (self.shared, self.fresh):
            if context is not None:
                context.close()


def describe(face: dict[str, object]) -> str:
    """Return a face of the engine's report as one phrase: ``Noto Sans 700 synthetic bold``."""
    extra = [k.replace("_", " ") for k in ("synthetic_bold", "synthetic_italic") if face.get(k)]
    return " ".join([str(face["family"]), str(face["weight"]), *extra])


def chromium_faces(fonts: list[browser.PlatformFont]) -> dict[str, int]:
    """Return Chromium's faces of one rectangle as family -> glyphs drawn."""
    out: dict[str, int] = {}
    for font in fonts:
        out[font.family] = out.get(font.family, 0) + font.glyphs
    return out


def compare_text(
    text: Text, index: int, renderer: Renderer, pages: Pages, base_url: str,
    pages_dir: Path, out_dir: Path, coverage: frozenset[int], times: list[float],
) -> list[Result]:
    """Render one text's template both ways; return one result per rectangle.

    Writes the sheet and the template to ``out_dir`` (render it with the text's
    language as the locale: ``results.json`` gives it per rectangle). ``times`` gets
    the engine's and Chromium's seconds added.
    """
    template = build_template(text, index, f"{base_url}/fixtures")
    width, height = template["width"], template["height"]
    t0 = time.perf_counter()
    painted = renderer.paint(template, locale=text.lang)
    engine_image = painted.image.convert("RGBA")
    t1 = time.perf_counter()
    by_index = {r.index: r for r in painted.tree.rects}
    rects = template["rectangles"]
    write_page(pages_dir / f"{text.id}.html", template,
               [by_index[i].text for i in range(len(rects))], base_url,
               lang=text.lang, system_fonts=True)
    page = pages.page(text)
    browser.load(page, f"{base_url}/__pages/{text.id}.html", width, height)
    shot = browser.screenshot(page, width, height)
    faces = browser.platform_fonts(page, len(rects))
    lines = [browser.lines_of(page, i) for i in range(len(rects))]
    t2 = time.perf_counter()
    times[0] += t1 - t0
    times[1] += t2 - t1
    results = []
    for i, rect in enumerate(rects):
        box = (rect["offset_left"], rect["offset_top"],
               rect["offset_left"] + rect["width"], rect["offset_top"] + rect["height"])
        engine, chrome = engine_image.crop(box), shot.crop(box)
        missing = missing_chars(painted.warnings, i)
        results.append(Result(
            page=text.id, rect=rect["name"], lang=text.lang, script=text.script,
            kind=text.kind, font_family=rect["font_family"], font_size=rect["font_size"],
            width=rect["width"], text_align=rect["text_align"],
            engine_lines=[line.text for line in by_index[i].lines],
            chromium_lines=lines[i],
            iou=iou(ink_box(engine), ink_box(chrome)),
            match=ink_match(engine, chrome),
            engine_missing=missing,
            tofu=tofu_chromium_avoids(missing, coverage),
            engine_faces=[describe(f.describe()) for f in by_index[i].faces],
            chromium_faces=chromium_faces(faces[i]),
            chromium_postscript=list(dict.fromkeys(f.postscript for f in faces[i])),
        ))
    out_dir.mkdir(parents=True, exist_ok=True)
    side_by_side(painted.image, shot).save(out_dir / f"{text.id}.png", compress_level=1)
    (out_dir / "templates").mkdir(exist_ok=True)
    (out_dir / "templates" / f"{text.id}.json").write_text(
        json.dumps(template, ensure_ascii=False, indent=1),
        encoding="utf-8")
    return results


def run_suite(only: list[str] | None = None, out_dir: Path = OUTPUT_DIR) -> Summary:
    """Compare every text of the corpus (or those whose id is in ``only``); return the totals."""
    texts = list(enumerate(load_texts()))
    if only:
        texts = [(i, t) for i, t in texts if t.id in only]
    coverage = fontconfig_coverage(FONTCONFIG) | font_coverage(WEB_FONT_FILES)
    times = [0.0, 0.0]
    results: list[Result] = []
    # Pages have names of their own and the web fonts never change during a run, so
    # Chromium may keep what it fetched (the default no-store would refetch each font).
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp), "max-age=3600") as base_url, \
            fontsource.serve_font_source(Path(tmp)) as source, \
            browser.chromium(FONTCONFIG) as chromium:
        config = engine_config(source.base_url, Path(tmp) / "cache")
        renderer = Renderer(config)
        pages = Pages(chromium)
        try:
            for index, text in texts:
                results.extend(compare_text(text, index, renderer, pages, base_url, Path(tmp),
                                            out_dir, coverage, times))
        finally:
            pages.close()
        requests = list(source.requests)
    summary = Summary(results, font_source_used=True, font_requests=requests,
                      engine_seconds=times[0], chromium_seconds=times[1])
    write_results(summary, out_dir / "results.json")
    return summary


def write_results(summary: Summary, path: Path) -> None:
    """Write every rectangle's figures, and the font source's requests, as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "font_source_used": summary.font_source_used,
        "font_requests": summary.font_requests,
        "results": [{**dataclasses.asdict(r), "lines_match": r.lines_match}
                    for r in summary.results],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _row(r: Result) -> str:
    flags = []
    if not r.lines_match:
        flags.append("lines")
    if r.iou < TARGET_WORST_IOU:
        flags.append("IoU")
    if r.tofu:
        flags.append("tofu " + " ".join(f"U+{ord(c):04X}" for c in r.tofu))
    return (f"{r.page + '/' + r.rect:<30}{r.script:<6}{r.font_size:>4}px {r.width:>5}px "
            f"{r.text_align:<8}{'same' if r.lines_match else 'DIFF':<6}{r.iou:>6.3f}{r.match:>7.3f}"
            f"  {', '.join(flags)}")


def _group_row(name: str, rs: list[Result]) -> str:
    same = sum(r.lines_match for r in rs) / len(rs)
    return (f"{name:<22}{len(rs):>4}{same:>8.0%}{statistics.median(r.iou for r in rs):>9.3f}"
            f"{min(r.iou for r in rs):>8.3f}{min(r.match for r in rs):>8.3f}"
            f"{sum(bool(r.tofu) for r in rs):>6}")


def print_summary(summary: Summary, every: bool = False) -> None:
    """Print the rectangles that miss a target (or all), the totals, then the breakdowns."""
    print(f"{'text/rect':<30}{'script':<6}{'size':>6} {'width':>7} {'align':<8}{'lines':<6}"
          f"{'IoU':>6}{'match':>7}")
    for r in summary.results:
        if every or not r.lines_match or r.iou < TARGET_WORST_IOU or r.tofu:
            print(_row(r))
            if not r.lines_match:
                print(f"    engine:   {normalize_lines(r.engine_lines)}")
                print(f"    chromium: {normalize_lines(r.chromium_lines)}")
            if r.tofu or every or not r.lines_match:
                print(f"    engine faces: {r.engine_faces}; Chromium's: {r.chromium_postscript}")
    header = f"{'':<22}{'rects':>4}{'same':>8}{'median':>9}{'worst':>8}{'match':>8}{'tofu':>6}"
    print(f"\nper script\n{header}")
    for name, rs in sorted(summary.by(lambda r: r.script).items()):
        print(_group_row(name, rs))
    print(f"\nper language / case\n{header}")
    for name, rs in summary.by(lambda r: r.page).items():
        print(_group_row(name, rs))
    worst, match = summary.worst, summary.worst_match
    texts = summary.by(lambda r: r.page)
    langs = {r.lang for r in summary.results if r.kind == "udhr"}
    scripts = {r.script for r in summary.results if r.script not in ("Zyyy", "Zsye")}
    css = sum(1 for q in summary.font_requests if q.startswith("/css2"))
    print(
        f"\n{len(summary.results)} rectangles in {len(texts)} texts ({len(langs)} UDHR languages,"
        f" {len(scripts)} scripts): same lines {summary.lines_ratio:.1%}"
        f" (target >= {TARGET_LINES:.0%}),"
        f" rectangles with missing glyphs where Chromium drew the glyph"
        f" {len(summary.tofu_rects)} (target {TARGET_TOFU_RECTS}),"
        f" median IoU {summary.median_iou:.3f}, worst IoU {worst.iou:.3f} in"
        f" {worst.page}/{worst.rect} (target >= {TARGET_WORST_IOU}),"
        f" worst ink match {match.match:.3f} in {match.page}/{match.rect}"
    )
    given = ("given to the engine" if summary.font_source_used
             else "not taken by this engine (no RendererConfig.font_source)")
    print(f"font source: {given};"
          f" {css} stylesheet and {len(summary.font_requests) - css} font requests;"
          f" engine {summary.engine_seconds:.1f} s, Chromium {summary.chromium_seconds:.1f} s")
    print(f"side-by-side sheets, templates and results.json: {OUTPUT_DIR}")


def main(argv: list[str] | None = None) -> None:
    """Run the check from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="text ids to run (udhr-ko, case-flags, ...)")
    parser.add_argument("--all", action="store_true", help="print every rectangle")
    args = parser.parse_args(argv)
    if not browser.available():
        print(f"Chromium not found at {browser.CHROMIUM}; install Debian's chromium package")
        sys.exit(2)
    if not fontsource.available():
        print("Debian's Noto fonts are missing; install fonts-noto-core, fonts-noto-cjk and "
              "fonts-noto-color-emoji")
        sys.exit(2)
    summary = run_suite(args.only)
    print_summary(summary, every=args.all)
    sys.exit(0 if summary.passed() else 1)


if __name__ == "__main__":
    main()

"""The browser check: the engine breaks and places text as headless Chromium does.

Runs every sample of ``fixtures/fidelity/`` through the engine and Debian's
Chromium (fonts served from a local HTTP server) and holds the totals to the
targets of issue 3. ``python -m tests.fidelity.run`` prints the same numbers
per rectangle and writes side-by-side sheets.
"""

from __future__ import annotations

import os

import pytest

from tests.fidelity import browser
from tests.fidelity.compare import ink_match, iou, normalize_lines
from tests.fidelity.run import (
    SAMPLES_DIR,
    TARGET_LINES,
    TARGET_MEDIAN_IOU,
    TARGET_WORST_IOU,
    TARGET_WORST_MATCH,
    Summary,
    print_summary,
    run_suite,
)

pytestmark = pytest.mark.skipif(
    not browser.available() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (CI installs it and runs this)",
)


@pytest.fixture(scope="module")
def summary() -> Summary:
    result = run_suite()
    print_summary(result)
    return result


def test_the_sample_set_covers_the_cases_of_issue_3() -> None:
    names = {p.stem for p in SAMPLES_DIR.glob("*.json")}
    assert len(names) >= 20
    for case in ("wrap-left", "align-right", "justify-serif", "weight-300", "weight-600",
                 "italic-real", "decorations", "clipping", "polish", "german", "cyrillic",
                 "arabic", "mixed-latin-arabic", "chinese", "japanese", "emoji",
                 "missing-glyphs", "newlines", "tiny-8px", "huge-200px", "overlapping"):
        assert case in names


def test_lines_match_chromium(summary: Summary) -> None:
    assert summary.lines_ratio >= TARGET_LINES, [
        (r.sample, r.rect, normalize_lines(r.engine_lines), normalize_lines(r.chromium_lines))
        for r in summary.results if not r.lines_match
    ]


def test_ink_boxes_match_chromium(summary: Summary) -> None:
    assert summary.median_iou >= TARGET_MEDIAN_IOU
    worst = summary.worst
    assert worst.iou >= TARGET_WORST_IOU, (worst.sample, worst.rect, worst.iou)


def test_iou_and_line_normalisation() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou(None, None) == 1.0
    assert iou(None, (0, 0, 1, 1)) == 0.0
    assert normalize_lines(["  a  b ", "", " "]) == ["a b"]


def test_ink_lands_where_chromium_puts_it(summary: Summary) -> None:
    worst = summary.worst_match
    assert worst.match >= TARGET_WORST_MATCH, (worst.sample, worst.rect, worst.match)


def test_ink_match_forgives_a_pixel_and_not_a_misplaced_letter() -> None:
    from PIL import Image

    def bar(x: int) -> Image.Image:
        image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
        image.paste((0, 0, 0, 255), (x, 5, x + 2, 15))
        return image

    assert ink_match(bar(10), bar(10)) == 1.0
    assert ink_match(bar(10), bar(11)) == 1.0  # a hinting-sized shift
    assert ink_match(bar(10), bar(15)) == 0.0  # the letter is somewhere else
    empty = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    assert ink_match(empty, empty) == 1.0
    assert ink_match(empty, bar(3)) == 0.0

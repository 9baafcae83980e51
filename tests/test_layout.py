"""Geometry of the layout tree on the box font: lines, boxes, alignment, fitting, order."""

from __future__ import annotations

import pytest

from offer_render.diagnostics import Diagnostics
from offer_render.layout.linebreak import Paragraph
from offer_render.layout.script import cursive_graphemes
from offer_render.layout.segment import break_opportunities, grapheme_boundaries
from offer_render.layout.whitespace import pre_line_paragraphs
from tests.helpers.stacks import box_face, lay, stack_of


def lines_of(text: str, width: float = 60, **rect: object) -> list[str]:
    tree = lay((200, 200), [{"width": width, "height": 100, "content": text, **rect}])
    return [line.text for line in tree.rects[0].lines]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   ", []),
        ("a", ["a"]),
        ("a\n", ["a"]),
        ("a\n\nb", ["a", "", "b"]),
        ("a\n\n", ["a", ""]),
        ("\na", ["", "a"]),
        ("  a   b  ", ["a b"]),
        ("a \n b", ["a", "b"]),
        ("a\tb", ["a b"]),
        ("a\r\nb", ["a", "b"]),
    ],
)
def test_pre_line_paragraphs(text: str, expected: list[str]) -> None:
    assert pre_line_paragraphs(text) == expected


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("AB CD EF", 60, ["AB CD", "EF"]),  # 'AB CD' is 50 px; the space after it hangs
        ("ABCDEF", 60, ["ABCDEF"]),  # exactly fits
        ("ABCDEFGHIJ", 40, ["ABCD", "EFGH", "IJ"]),  # overflow-wrap: anywhere
        ("AB CDEFGHIJ", 40, ["AB", "CDEF", "GHIJ"]),  # the word moves down before breaking
        ("AB   CD", 50, ["AB CD"]),
        ("ii ii ii", 30, ["ii ii", "ii"]),  # narrow glyphs are 5 px, spaces 10
        ("A-B", 20, ["A-", "B"]),  # UAX #14: break after a hyphen
    ],
)
def test_line_breaking(text: str, width: float, expected: list[str]) -> None:
    assert lines_of(text, width) == expected


def test_unicode_break_opportunities_keep_closing_marks() -> None:
    text = "中文。测试"
    ops = break_opportunities(text)
    assert 2 not in ops  # never break before the ideographic full stop
    assert 1 in ops
    assert 3 in ops


def test_graphemes_keep_combining_marks_and_emoji_sequences() -> None:
    assert grapheme_boundaries("e\u0301x") == [0, 2, 3]
    assert grapheme_boundaries("\U0001f44d\U0001f3fdx") == [0, 2, 3]


@pytest.mark.parametrize(
    ("align", "xs"),
    [("left", [0, 0]), ("center", [5, 25]), ("right", [10, 50])],
)
def test_horizontal_alignment(align: str, xs: list[float]) -> None:
    tree = lay((60, 40), [{"width": 60, "height": 40, "content": "ABCDE F", "text_align": align}])
    assert [line.box.x for line in tree.rects[0].lines] == xs


def test_justify_spreads_spaces_except_on_the_last_line() -> None:
    tree = lay((80, 40), [{"width": 80, "height": 40, "content": "AB C D EFGHI",
                           "text_align": "justify"}])
    first, last = tree.rects[0].lines
    assert first.text == "AB C D"
    assert first.box.right == pytest.approx(80)  # stretched to the full width
    assert [run.x for run in first.runs] == pytest.approx([0, 40, 70])  # +10 after each space
    assert last.box.x == 0
    assert last.box.width == 50


@pytest.mark.parametrize(("valign", "top"), [("top", 5), ("middle", 15), ("bottom", 25)])
def test_vertical_alignment_in_the_content_box(valign: str, top: float) -> None:
    tree = lay((50, 50), [{"width": 50, "height": 50, "padding": 5, "content": "A\nB",
                           "vertical_align": valign}])
    rect = tree.rects[0]
    assert rect.content.y == 5
    assert rect.content.height == 40
    assert rect.lines[0].box.y == top
    assert rect.lines[0].baseline == top + 8


def test_border_box_padding_and_offsets() -> None:
    tree = lay((100, 100), [{"width": 50, "height": 30, "padding": 4, "offset_left": 10,
                             "offset_top": 20, "content": "A"}])
    rect = tree.rects[0]
    assert (rect.box.x, rect.box.y, rect.box.width, rect.box.height) == (10, 20, 50, 30)
    assert (rect.content.x, rect.content.y, rect.content.width) == (14, 24, 42)
    assert rect.lines[0].runs[0].x == 14


def test_overflow_and_clipping_are_reported() -> None:
    diag = Diagnostics()
    tree = lay((100, 100), [{"width": 40, "height": 25, "padding": 2, "content": "AB CD EF"}],
               diag=diag)
    rect = tree.rects[0]
    assert len(rect.lines) == 3  # 30 px of lines in a 21 px content box
    assert rect.overflow_px == pytest.approx(9)
    assert rect.clipped  # 32 > 25: the third line reaches past the border box
    assert [w.code for w in diag.warnings] == ["text_clipped"]


def test_overflow_into_padding_is_not_clipped() -> None:
    tree = lay((100, 100), [{"width": 40, "height": 24, "padding": 4, "content": "AB CD"}])
    rect = tree.rects[0]
    assert rect.overflow_px == pytest.approx(4)
    assert not rect.clipped


def test_max_lines_cuts_with_an_ellipsis() -> None:
    tree = lay((100, 100), [{"width": 60, "height": 60, "content": "AB CD EF GH IJ KL",
                             "max_lines": 2}])
    rect = tree.rects[0]
    assert [line.text for line in rect.lines] == ["AB CD", "EF GH\u2026"]
    assert rect.cut
    assert rect.lines[1].box.width <= 60


def test_fit_shrink_finds_the_largest_size_that_fits() -> None:
    tree = lay((200, 200), [{"width": 100, "height": 10, "content": "ABCDEFGHIJKLMNOPQRST",
                             "font_size": 40, "fit": "shrink", "min_font_size": 2}])
    rect = tree.rects[0]
    # At 5.5 px the ascent rounds to 4 and the descent to 1, so two 5 px lines fit
    # the 10 px box; at 5.75 px they round to 5 + 1 and two lines need 12 px.
    assert rect.font_size == pytest.approx(5.5)
    assert [line.text for line in rect.lines] == ["ABCDEFGHIJKLMNOPQR", "ST"]
    assert rect.overflow_px == 0
    bigger = lay((200, 200), [{"width": 100, "height": 10, "content": "ABCDEFGHIJKLMNOPQRST",
                               "font_size": 5.75}])
    assert bigger.rects[0].overflow_px > 0


def test_fit_shrink_stops_at_min_font_size() -> None:
    tree = lay((200, 200), [{"width": 20, "height": 10, "content": "ABCDEFGHIJ" * 5,
                             "font_size": 30, "fit": "shrink", "min_font_size": 8}])
    assert tree.rects[0].font_size == 8
    assert tree.rects[0].overflow_px > 0


def test_letter_spacing_adds_after_every_grapheme() -> None:
    tree = lay((200, 40), [{"width": 200, "height": 40, "content": "ABC", "letter_spacing": 2}])
    line = tree.rects[0].lines[0]
    assert [run.x for run in line.runs] == [0, 12, 24]
    assert line.box.width == 36


def test_line_height_multiplies_the_normal_line_height() -> None:
    tree = lay((100, 100), [{"width": 100, "height": 100, "content": "A\nB", "line_height": 2}])
    first, second = tree.rects[0].lines
    assert first.box.height == 20
    assert second.box.y == 20
    assert first.baseline == 13  # 5 px of half-leading above an 8 px ascent


def test_drawing_order_follows_number_then_list_order() -> None:
    rects = [{"name": n, "width": 10, "height": 10, "content": "A", **extra}
             for n, extra in [("a", {}), ("b", {"number": 2}), ("c", {"number": 1}),
                              ("d", {"number": 2}), ("e", {})]]
    tree = lay((20, 20), rects)
    assert [r.name for r in tree.rects] == ["c", "b", "d", "a", "e"]


def test_fallback_face_draws_what_the_primary_lacks_and_sets_line_height() -> None:
    narrow = box_face("Digits Only")
    tall = box_face("Tall Fallback")
    digits_only = type(narrow)(**{**narrow.__dict__, "coverage": frozenset(map(ord, "0123456789"))})
    taller_metrics = type(tall.metrics)(**{**tall.metrics.__dict__, "ascender": 1200})
    tall = type(tall)(**{**tall.__dict__, "metrics": taller_metrics})
    tree = lay((100, 100), [{"width": 100, "height": 100, "content": "12AB\n12"}],
               stack=stack_of(digits_only, tall))
    rect = tree.rects[0]
    first, second = rect.lines
    assert [(run.text, run.face.family) for run in first.runs] == [
        ("12", "Digits Only"), ("AB", "Tall Fallback")]
    assert first.box.height == 14  # the fallback's 12 px ascent makes the line taller
    assert second.box.height == 10
    assert rect.fallbacks == (("AB", tall),)


def test_scale_doubles_every_length_but_reports_css_sizes() -> None:
    tree = lay((60, 40), [{"width": 60, "height": 40, "padding": 2, "content": "AB CD EF"}],
               scale=2)
    rect = tree.rects[0]
    assert (tree.width, tree.height) == (120, 80)
    assert rect.font_size == 20
    assert [line.text for line in rect.lines] == ["AB CD", "EF"]
    assert rect.lines[1].box.y == 24


def test_decorations_sit_where_chromium_puts_them() -> None:
    tree = lay((100, 40), [{"width": 100, "height": 40, "content": "AB", "font_size": 20,
                            "text_decoration": "underline overline line-through"}])
    line = tree.rects[0].lines[0]
    decos = {d.kind: d.box for d in line.decorations}
    assert line.baseline == 16
    assert decos["underline"].y == 17
    assert decos["underline"].height == 2
    assert decos["overline"].y == -2  # resting on the 16 px ascent: 2 px above the line
    assert decos["line-through"].y == pytest.approx(16 - 16 / 3 - 1)
    assert all(box.x == 0 and box.width == 40 for box in decos.values())


def test_justify_spreads_cjk_text_between_characters() -> None:
    # The box font has no ideographs, so each is drawn as its 6 px .notdef box; a face
    # that claims them keeps fallback out of the way. Twelve in a 50 px line: eight fit
    # (48 px), and the first line is spread by 2 px over its seven gaps.
    face = box_face("CJK Box")
    ideographs = "\u6bcf\u5929\u65e9\u4e0a\u90fd\u6709\u65b0\u9c9c\u7684\u5496\u5561\u548c"
    cjk = type(face)(**{**face.__dict__,
                        "coverage": face.coverage | frozenset(map(ord, ideographs))})
    tree = lay((50, 40), [{"width": 50, "height": 40, "content": ideographs,
                           "text_align": "justify"}], stack=stack_of(cjk))
    first, last = tree.rects[0].lines
    assert len(first.runs) == 8
    assert first.box.right == pytest.approx(50)  # edge to edge
    xs = [run.x for run in first.runs]
    assert [b - a for a, b in zip(xs, xs[1:], strict=False)] == pytest.approx([6 + 2 / 7] * 7)
    assert last.box.x == 0  # the last line is not spread
    assert last.box.width == pytest.approx(24)


@pytest.mark.parametrize(
    ("text", "spaced"),
    [
        # Measured in Chromium 156 with 10 px letter spacing (extra width / 10).
        ("كتاب", 0),
        ("كتاب كتاب", 1),  # the space is spaced, the Arabic letters are not
        ("كتاب\u00a0كتاب", 1),
        ("كتاب\u2009كتاب", 0),  # a thin space is not
        ("كتاب.", 0),
        ("كتاب 123", 1),  # digits after Arabic stay in the Arabic run, across the space
        ("كتاب abc", 4),
        ("abc كتاب", 4),
        (". كتاب", 1),  # a leading full stop takes the script that follows
        ("«كتاب»", 0),
        ("كتاب-abc", 3),
        ("abc-كتاب", 4),
        ("١٢٣ كتاب", 1),
        ("ܫܠܡܐ", 0),  # Syriac
        ("abc", 3),
    ],
)
def test_letter_spacing_skips_cursive_scripts_as_chromium_does(text: str, spaced: int) -> None:
    graphemes = grapheme_boundaries(text, None)
    assert sum(not c for c in cursive_graphemes(text, graphemes)) == spaced


def test_unspaced_graphemes_stay_one_stretch_so_letters_join() -> None:
    text = "ab كتاب"
    graphemes = grapheme_boundaries(text, None)
    par = Paragraph(text, [], graphemes, [], [1.0] * len(text), 10.0,
                    cursive_graphemes(text, graphemes))
    assert par.width(0, len(text)) == len(text) + 30  # a, b and the space
    assert [(s, e) for s, e, _ in par.clusters(0, len(text))] == [(0, 1), (1, 2), (2, 3), (3, 7)]


def test_letter_spacing_turns_common_ligatures_off_as_chromium_does() -> None:
    from pathlib import Path

    from offer_render.layout.shaping import em_advances
    from offer_render.resources.fontfile import load_font, make_face

    data = (Path(__file__).resolve().parents[1] / "fixtures" / "fonts"
            / "PlayfairDisplay-VF.ttf").read_bytes()
    face = make_face(load_font(data), family="Playfair Display", weight=(400, 900),
                     style="normal", source="s", origin="stylesheet", unicode_ranges=None,
                     requested_weight=400, requested_style="normal")
    joined = em_advances("office", 0, 6, face, "ltr", "en")
    apart = em_advances("office", 0, 6, face, "ltr", "en", ligatures=False)
    assert 0.0 in joined  # "ffi" is one ligature glyph: its advance sits on the first f
    assert 0.0 not in apart  # each letter its own glyph, so spacing goes between them

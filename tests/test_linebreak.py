"""Line breaks as Chromium makes them: Blink's tailoring of ICU, soft hyphens that show."""

from __future__ import annotations

import pytest

from offer_render.layout.breakrules import fast_pair
from offer_render.layout.segment import break_opportunities
from tests.helpers.stacks import lay


def pieces(text: str) -> list[str]:
    """Return ``text`` cut at every break opportunity."""
    ops = [0, *break_opportunities(text)]
    return [text[a:b] for a, b in zip(ops, ops[1:], strict=False)]


@pytest.mark.parametrize(("text", "expected"), [
    # URLs and paths: never after "/", ":" or ".", but after "-" and "?" (Blink's table)
    ("www.example.com/deals/2026/summer-sale?code=X",
     ["www.example.com/deals/2026/summer-", "sale?", "code=X"]),
    ("https://example.com/a/b", ["https://example.com/a/b"]),
    ("see example.com/x, then", ["see ", "example.com/x, ", "then"]),
    # e-mail addresses break only at their hyphens
    ("first-name@mall.example.com", ["first-", "name@mall.example.com"]),
    # "-" before a digit: a break in ABCD-1234 or 1234-5678, none for a minus sign
    ("ABCD-1234", ["ABCD-", "1234"]),
    ("1234-5678", ["1234-", "5678"]),
    ("from -5 to +5", ["from ", "-5 ", "to ", "+5"]),
    # before opening brackets after some punctuation, not after letters
    ("!(a) foo(b)", ["!", "(a) ", "foo(b)"]),
    ("Really?Yes!", ["Really?", "Yes!"]),
    # spaces: a break after a run of them, never before
    ("a   b", ["a   ", "b"]),
    # NBSP and WORD JOINER hold, ZWSP and the soft hyphen allow a break
    ("50\u00a0zł off", ["50\u00a0zł ", "off"]),
    ("x\u2060y", ["x\u2060y"]),
    ("long\u200bword", ["long\u200b", "word"]),
    ("Super\u00admarket", ["Super\u00ad", "market"]),
    # CJK keeps ICU's rules: between ideographs, never before a closing mark
    ("价格。真的", ["价", "格。", "真", "的"]),
])
def test_break_opportunities_follow_chromium(text: str, expected: list[str]) -> None:
    assert pieces(text) == expected


def test_the_pair_table_for_latin_1_asks_icu_about_the_pair() -> None:
    # "é" is Latin-1: the pair table takes ICU's answer for the pair alone
    assert not fast_pair(ord("a"), ord("é"))
    assert fast_pair(0xAD, ord("m"))  # a soft hyphen is a break after (BA)
    assert not fast_pair(ord("a"), 0xA0)  # NBSP glues (GL)


def lines(text: str, width: float) -> list[str]:
    tree = lay((300, 200), [{"width": width, "height": 200, "content": text}])
    return [line.text for line in tree.rects[0].lines]


def test_a_soft_hyphen_shows_a_hyphen_only_where_the_line_breaks() -> None:
    # Arrange: box font, 10 px per letter; "ABCDEF" is 60 px, the hyphen 10 px
    text = "ABC\u00adDEF\u00adGHI"
    # Act / Assert: at 70 px, "ABCDEF-" fits; at 65, only "ABC-"
    assert lines(text, 70) == ["ABCDEF-", "GHI"]
    assert lines(text, 65) == ["ABC-", "DEFGHI"]
    assert lines(text, 200) == ["ABCDEFGHI"]


def test_the_hyphen_is_drawn_as_a_run_of_its_own_after_the_line() -> None:
    tree = lay((300, 200), [{"width": 35, "height": 200, "content": "AB\u00adCD"}])
    first = tree.rects[0].lines[0]
    assert [run.text for run in first.runs] == ["AB\u00ad", "-"]
    assert first.runs[1].x == pytest.approx(first.runs[0].x + 20)
    assert first.box.width == pytest.approx(30)


def test_soft_hyphens_are_never_missing_glyphs() -> None:
    # the box font has no U+00AD glyph; it is default-ignorable, so nothing is missing
    from offer_render.diagnostics import Diagnostics

    diag = Diagnostics()
    lay((300, 200), [{"width": 300, "height": 50, "content": "AB\u00adCD"}], diag=diag)
    assert [w.code for w in diag.warnings] == []

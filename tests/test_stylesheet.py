"""Parse @font-face stylesheets: both Google Fonts forms, descriptors, src lists, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics
from offer_render.resources.stylesheet import FontFaceRule, FontSource, parse_stylesheet

FIXTURE_FONTS = Path(__file__).resolve().parent.parent / "fixtures" / "fonts"
BASE = "https://fonts.googleapis.com/css?family=Raleway:400,700"

# What fonts.googleapis.com/css?family=Raleway:400,700italic|Lato answers a non-browser client.
GOOGLE_V1 = """
@font-face {
  font-family: 'Lato';
  font-style: normal;
  font-weight: 400;
  src: url(https://fonts.gstatic.com/s/lato/v24/S6uyw4BMUTPHvxk.ttf) format('truetype');
}
@font-face {
  font-family: 'Raleway';
  font-style: italic;
  font-weight: 700;
  src: url(https://fonts.gstatic.com/s/raleway/v34/1Ptsg8zYS_SKggPNyCg4QIFqPfE.ttf) format('truetype');
}
@font-face {
  font-family: 'Raleway';
  font-style: normal;
  font-weight: 400;
  src: url(https://fonts.gstatic.com/s/raleway/v34/1Ptxg8zYS_SKggPN4iEgvnHyvveLxVvaorCIPrQ.ttf) format('truetype');
}
"""  # noqa: E501

# What fonts.googleapis.com/css2?family=Raleway:ital,wght@0,400..700 answers a browser:
# WOFF2 split by unicode-range, each subset introduced by a comment.
GOOGLE_V2 = """
/* cyrillic */
@font-face {
  font-family: 'Raleway';
  font-style: normal;
  font-weight: 400 700;
  font-display: swap;
  src: url(https://fonts.gstatic.com/s/raleway/v34/1Ptug8zYS_SKggPNyCMIT5lu.woff2) format('woff2');
  unicode-range: U+0301, U+0400-045F, U+0490-0491, U+04B0-04B1, U+2116;
}
/* latin-ext */
@font-face {
  font-family: 'Raleway';
  font-style: normal;
  font-weight: 400 700;
  font-display: swap;
  src: url(https://fonts.gstatic.com/s/raleway/v34/1Ptug8zYS_SKggPNyCIIT5lu.woff2) format('woff2');
  unicode-range: U+0100-02AF, U+0304, U+0308, U+0329, U+1E00-1E9F, U+1EF2-1EFF, U+2020, U+20A0-20AB, U+20AD-20C0, U+2113, U+2C60-2C7F, U+A720-A7FF;
}
/* latin */
@font-face {
  font-family: 'Raleway';
  font-style: normal;
  font-weight: 400 700;
  font-display: swap;
  src: url(https://fonts.gstatic.com/s/raleway/v34/1Ptug8zYS_SKggPNyC0IT4ttDfA.woff2) format('woff2');
  unicode-range: U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+0304, U+0308, U+0329, U+2000-206F, U+2074, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD;
}
"""  # noqa: E501


def _parse(css: str, *, base: str = BASE, limits: Limits | None = None,
           diag: Diagnostics | None = None) -> tuple[FontFaceRule, ...]:
    return parse_stylesheet(css, base, limits=limits or Limits(), diag=diag)


def _one(body: str, base: str = BASE) -> FontFaceRule:
    rules = _parse("@font-face { font-family: X; src: url(x.ttf); " + body + " }", base=base)
    assert len(rules) == 1
    return rules[0]


def test_google_v1_one_ttf_per_face() -> None:
    # Arrange / Act
    rules = _parse(GOOGLE_V1)
    # Assert
    assert [(r.family, r.weight_min, r.weight_max, r.style) for r in rules] == [
        ("Lato", 400, 400, "normal"), ("Raleway", 700, 700, "italic"),
        ("Raleway", 400, 400, "normal")]
    assert all(r.unicode_ranges is None and len(r.sources) == 1 for r in rules)
    assert rules[2].sources[0] == FontSource(
        "https://fonts.gstatic.com/s/raleway/v34/1Ptxg8zYS_SKggPN4iEgvnHyvveLxVvaorCIPrQ.ttf",
        "truetype")


def test_google_v2_woff2_split_by_unicode_range() -> None:
    # Arrange / Act
    rules = _parse(GOOGLE_V2)
    # Assert
    assert len(rules) == 3
    assert {(r.family, r.weight_min, r.weight_max, r.style) for r in rules} == {
        ("Raleway", 400, 700, "normal")}
    assert all(r.sources[0].format == "woff2" for r in rules)
    cyrillic, _, latin = rules
    assert cyrillic.unicode_ranges == (
        (0x301, 0x301), (0x400, 0x45F), (0x490, 0x491), (0x4B0, 0x4B1), (0x2116, 0x2116))
    assert latin.unicode_ranges is not None
    assert latin.unicode_ranges[0] == (0, 0xFF)
    assert latin.intersects([ord("A")])
    assert not cyrillic.intersects([ord(" "), ord("A"), 0x1F600])
    assert cyrillic.intersects([ord("A"), ord("Ж")])
    assert cyrillic.intersects([0x2116])
    assert not cyrillic.intersects([])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", (400, 400)),
        ("font-weight: bold;", (700, 700)),
        ("font-weight: normal;", (400, 400)),
        ("font-weight: 300;", (300, 300)),
        ("font-weight: 100 900;", (100, 900)),
        ("font-weight: 900 100;", (100, 900)),  # decreasing range swapped
        ("font-weight: 450.6;", (451, 451)),
        ("font-weight: auto;", (400, 400)),
        ("font-weight: 0;", (400, 400)),  # out of 1..1000: invalid, initial value
        ("font-weight: 100 200 300;", (400, 400)),
        ("font-weight: heavy;", (400, 400)),
    ],
)
def test_font_weight_descriptor(body: str, expected: tuple[int, int]) -> None:
    # Arrange / Act
    rule = _one(body)
    # Assert
    assert (rule.weight_min, rule.weight_max) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "normal"),
        ("font-style: italic;", "italic"),
        ("font-style: OBLIQUE;", "oblique"),
        ("font-style: oblique 10deg;", "oblique"),
        ("font-style: oblique 10deg 20deg;", "oblique"),
        ("font-style: italic 10deg;", "normal"),  # invalid: initial value
        ("font-style: slanted;", "normal"),
    ],
)
def test_font_style_descriptor(body: str, expected: str) -> None:
    # Arrange / Act
    rule = _one(body)
    # Assert
    assert rule.style == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", None),
        ("unicode-range: U+0000-00FF;", ((0, 0xFF),)),
        ("unicode-range: U+4??;", ((0x400, 0x4FF),)),
        ("unicode-range: u+1f600;", ((0x1F600, 0x1F600),)),
        ("unicode-range: U+0-7F, U+0100-017F , U+20AC;",
         ((0, 0x7F), (0x100, 0x17F), (0x20AC, 0x20AC))),
        ("unicode-range: U+0100-0010;", None),  # decreasing: invalid, whole descriptor dropped
        ("unicode-range: U+0-7F U+80;", None),  # missing comma
        ("unicode-range: latin;", None),
    ],
)
def test_unicode_range_descriptor(
    body: str, expected: tuple[tuple[int, int], ...] | None
) -> None:
    # Arrange / Act
    rule = _one(body)
    # Assert
    assert rule.unicode_ranges == expected


@pytest.mark.parametrize(
    ("src", "sources", "local_names", "order"),
    [
        ("url(a.woff2) format('woff2')", (FontSource(f"{'https://h/f/'}a.woff2", "woff2"),),
         (), ("url",)),
        ('url("a b.ttf") format(truetype)', (FontSource("https://h/f/a b.ttf", "truetype"),),
         (), ("url",)),
        ("url('/abs.otf')", (FontSource("https://h/abs.otf"),), (), ("url",)),
        ("url(//cdn.example/x.woff) format('woff')",
         (FontSource("https://cdn.example/x.woff", "woff"),), (), ("url",)),
        ("local('Raleway Regular'), local(Raleway-Regular), url(r.ttf) format('truetype')",
         (FontSource("https://h/f/r.ttf", "truetype"),), ("Raleway Regular", "Raleway-Regular"),
         ("local", "local", "url")),
        ("url(v.ttf) format('truetype') tech(variations), url(c.ttf) tech(color-colrv1)",
         (FontSource("https://h/f/v.ttf", "truetype", ("variations",)),
          FontSource("https://h/f/c.ttf", None, ("color-colrv1",))), (), ("url", "url")),
        ("url(a.eot) format('embedded-opentype'), url(a.ttf)",
         (FontSource("https://h/f/a.eot", "embedded-opentype"), FontSource("https://h/f/a.ttf")),
         (), ("url", "url")),
        ("url(a.ttf) bogus, url(b.ttf)", (FontSource("https://h/f/b.ttf"),), (), ("url",)),
        ("url(a.ttf) format('woff2', 'woff'), url(b.ttf)", (FontSource("https://h/f/b.ttf"),), (),
         ("url",)),
    ],
)
def test_src_descriptor(
    src: str, sources: tuple[FontSource, ...], local_names: tuple[str, ...],
    order: tuple[str, ...],
) -> None:
    # Arrange
    css = f"@font-face {{ font-family: X; src: {src}; }}"
    # Act
    (rule,) = _parse(css, base="https://h/f/sheet.css")
    # Assert
    assert (rule.sources, rule.local_names, rule.src_order) == (sources, local_names, order)


@pytest.mark.parametrize(
    ("source", "supported"),
    [
        (FontSource("u", "woff2"), True), (FontSource("u"), True),
        (FontSource("u", "opentype"), True), (FontSource("u", "embedded-opentype"), False),
        (FontSource("u", "svg"), False), (FontSource("u", None, ("variations",)), True),
        (FontSource("u", None, ("incremental",)), False),
    ],
)
def test_source_support(source: FontSource, supported: bool) -> None:
    # Arrange / Act / Assert
    assert source.supported is supported


def test_import_is_ignored_and_other_rules_skipped() -> None:
    # Arrange
    css = """
    @import url(https://evil.example/more-fonts.css);
    @charset "utf-8";
    body { font-family: Raleway; }
    @media screen { @font-face { font-family: Inner; src: url(i.ttf); } }
    @font-face { font-family: Kept; src: url(k.ttf); }
    """
    # Act
    rules = _parse(css)
    # Assert
    assert [r.family for r in rules] == ["Kept"]


@pytest.mark.parametrize(
    ("css", "reason"),
    [
        ("@font-face { src: url(a.ttf); }", "no font-family descriptor"),
        ("@font-face { font-family: X; }", "no usable src"),
        ("@font-face { font-family: X; src: bogus; }", "no usable src"),
        ("@font-face { font-family: A, B; src: url(a.ttf); }", "exactly one family"),
        ("@font-face { font-family: serif; src: url(a.ttf); }", "exactly one family"),
        ("@font-face { font-family: 3; src: url(a.ttf); }", "bad font-family"),
    ],
)
def test_invalid_rule_dropped_with_warning(css: str, reason: str) -> None:
    # Arrange
    diag = Diagnostics()
    # Act
    rules = _parse(css + "@font-face { font-family: Ok; src: url(ok.ttf); }", diag=diag)
    # Assert
    assert [r.family for r in rules] == ["Ok"]
    assert [w.code for w in diag.warnings] == ["font_face_ignored"]
    assert reason in diag.warnings[0].message


def test_rule_count_capped_with_warning() -> None:
    # Arrange
    css = "".join(f"@font-face {{ font-family: F{i}; src: url(f{i}.ttf); }}" for i in range(5))
    diag = Diagnostics()
    # Act
    rules = _parse(css, limits=Limits(max_font_face_rules=3), diag=diag)
    # Assert
    assert [r.family for r in rules] == ["F0", "F1", "F2"]
    assert [w.code for w in diag.warnings] == ["stylesheet_truncated"]


def test_garbage_css_gives_no_rules() -> None:
    # Arrange / Act / Assert
    assert _parse("\x00\x01 }}}{{{ @font-face { font-family: 'x") == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("raleway.css", [("Raleway", 400, 400, "normal", "Raleway-VF.ttf"),
                         ("Raleway", 700, 700, "normal", "Raleway-VF.ttf")]),
        ("playfair.css", [("Playfair Display", 400, 900, "normal", "PlayfairDisplay-VF.ttf"),
                          ("Playfair Display", 400, 900, "italic",
                           "PlayfairDisplay-Italic-VF.ttf")]),
    ],
)
def test_fixture_stylesheets(name: str, expected: list[tuple[str, int, int, str, str]]) -> None:
    # Arrange
    path = FIXTURE_FONTS / name
    # Act
    rules = _parse(path.read_text(), base=path.as_uri())
    # Assert
    assert [(r.family, r.weight_min, r.weight_max, r.style, Path(r.sources[0].url).name)
            for r in rules] == expected
    assert all(r.sources[0].url == (FIXTURE_FONTS / e[4]).as_uri()
               for r, e in zip(rules, expected, strict=True))

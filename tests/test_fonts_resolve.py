"""Resolve font stacks (stylesheet faces, installed fonts, generics, fallbacks) and the font db."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from fontTools.ttLib import TTFont

from offer_render.config import GenericFamilies, Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import ResourceError
from offer_render.resources.fallback import FontProviders
from offer_render.resources.fetch import Fetched, Fetcher
from offer_render.resources.fontdb import LAST_RESORT_FAMILIES, FontDatabase
from offer_render.resources.fonts import resolve_font_stack
from offer_render.resources.types import FontStack
from offer_render.resources.webfonts import FontCache
from offer_render.template.models import Rectangle

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "fonts"
RALEWAY_CSS = (FIXTURES / "raleway.css").as_uri()
PLAYFAIR_CSS = (FIXTURES / "playfair.css").as_uri()


class DiskFetcher:
    """Serve ``file://`` URLs from disk and other URLs from a dict; record every fetch."""

    def __init__(self, pages: dict[str, bytes] | None = None) -> None:
        self.pages = pages or {}
        self.calls: list[tuple[str, str]] = []

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        self.calls.append((url, what))
        if url in self.pages:
            data = self.pages[url]
        elif url.startswith("file://"):
            try:
                data = Path(unquote(urlsplit(url).path)).read_bytes()
            except OSError as exc:
                raise ResourceError(url, f"cannot read ({exc.strerror})") from None
        else:
            raise ResourceError(url, "HTTP 404")
        if len(data) > max_bytes:
            raise ResourceError(url, f"{what} larger than {max_bytes} bytes")
        return Fetched(url, data)

    def fetched(self, what: str) -> list[str]:
        return [u for u, w in self.calls if w == what]


def _rect(**kw: Any) -> Rectangle:
    base: dict[str, Any] = {
        "name": "Title", "width": 100, "height": 200, "padding": 5, "offset_left": 15,
        "offset_top": 5, "text_align": "center", "color": "#FF00FF", "font_size": 15,
        "font_style": "normal", "font_weight": "normal", "font_url": None,
        "font_family": "serif",
    }
    return Rectangle.model_validate(base | kw)


def _resolve(rect: Rectangle, text: str = "Hello", *, fetcher: Fetcher | None = None,
             fontdb: FontDatabase | None = None, diag: Diagnostics | None = None,
             limits: Limits | None = None) -> FontStack:
    return resolve_font_stack(
        rect, text, fetcher=fetcher or DiskFetcher(), fontdb=fontdb or FontDatabase(),
        limits=limits or Limits(), diag=diag or Diagnostics(), rect_index=0, cache=FontCache())


def _summary(stack: FontStack) -> list[tuple[str, str, int, str]]:
    return [(f.family, f.origin, f.weight, f.style) for f in stack.faces]


def test_platform_sample_falls_back_to_serif_with_a_warning() -> None:
    # Arrange: the platform docs' sample: font_url loads Raleway, font_family asks Playfair
    rect = _rect(font_url=RALEWAY_CSS, font_family="'Playfair Display', serif")
    diag = Diagnostics()
    fetcher = DiskFetcher()
    # Act
    stack = _resolve(rect, "Store A, Store B", fetcher=fetcher, diag=diag)
    # Assert
    assert (stack.primary.family, stack.primary.origin) == ("Noto Serif", "generic")
    assert _summary(stack) == [("Noto Serif", "generic", 400, "normal")]  # no fallback needed
    assert stack.requested_families == ("Playfair Display", "serif")
    (warning,) = diag.warnings
    assert warning.code == "family_not_in_stylesheet"
    assert warning.path == "rectangles[0].font_family"
    assert warning.rect == 0
    assert "'Playfair Display'" in warning.message
    assert "next family 'serif' (Noto Serif" in warning.message
    assert fetcher.fetched("font") == []  # Raleway is not asked for: not downloaded


@pytest.mark.parametrize(
    ("weight", "style", "expected"),
    [
        ("bold", "normal", (700, (("wght", 700.0),), False, False)),
        ("normal", "normal", (400, (("wght", 400.0),), False, False)),
        (900, "normal", (700, (("wght", 700.0),), False, False)),  # nearest rule: 700
        (300, "normal", (400, (("wght", 400.0),), False, False)),
        ("bold", "italic", (700, (("wght", 700.0),), False, True)),  # no italic rule: skewed
    ],
)
def test_raleway_from_the_stylesheet(
    weight: str | int, style: str, expected: tuple[int, tuple[Any, ...], bool, bool]
) -> None:
    # Arrange
    rect = _rect(font_url=RALEWAY_CSS, font_family="Raleway", font_weight=weight,
                 font_style=style)
    diag = Diagnostics()
    # Act
    stack = _resolve(rect, diag=diag)
    # Assert
    face = stack.primary
    assert (face.family, face.origin, face.source) == (
        "Raleway", "stylesheet", (FIXTURES / "Raleway-VF.ttf").as_uri())
    assert (face.weight, face.variation, face.synthetic_bold, face.synthetic_italic) == expected
    assert [f.origin for f in stack.faces] == ["stylesheet", "generic"]
    assert diag.warnings == []


def test_playfair_stylesheet_weight_range_and_italic() -> None:
    # Arrange
    rect = _rect(font_url=PLAYFAIR_CSS, font_family="'Playfair Display', sans-serif",
                 font_weight=800, font_style="italic")
    # Act
    stack = _resolve(rect)
    # Assert
    face = stack.primary
    assert face.source.endswith("PlayfairDisplay-Italic-VF.ttf")
    assert (face.style, face.weight, face.variation) == ("italic", 800, (("wght", 800.0),))
    assert not face.synthetic_italic
    assert not face.synthetic_bold
    # sans-serif was named: no default serif is added
    assert [(f.family, f.origin) for f in stack.faces[1:]] == [("Noto Sans", "generic")]


def test_family_installed_in_a_configured_folder(tmp_path: Path) -> None:
    # Arrange
    shutil.copy(FIXTURES / "PlayfairDisplay-VF.ttf", tmp_path)
    shutil.copy(FIXTURES / "PlayfairDisplay-Italic-VF.ttf", tmp_path)
    rect = _rect(font_url=RALEWAY_CSS, font_family="'Playfair Display', serif",
                 font_weight="bold")
    diag = Diagnostics()
    # Act
    stack = _resolve(rect, fontdb=FontDatabase([tmp_path]), diag=diag)
    # Assert
    face = stack.primary
    assert (face.family, face.origin, face.variation) == (
        "Playfair Display", "installed", (("wght", 700.0),))
    assert face.source == str(tmp_path / "PlayfairDisplay-VF.ttf")
    (warning,) = diag.warnings
    assert warning.code == "family_not_in_stylesheet"
    assert "using the installed font 'Playfair Display'" in warning.message


def test_installed_family_without_stylesheet_gives_no_warning(tmp_path: Path) -> None:
    # Arrange
    shutil.copy(FIXTURES / "Raleway-VF.ttf", tmp_path)
    diag = Diagnostics()
    # Act
    stack = _resolve(_rect(font_family="raleway"), fontdb=FontDatabase([tmp_path]), diag=diag)
    # Assert
    assert (stack.primary.family, stack.primary.origin) == ("Raleway", "installed")
    assert diag.warnings == []


@pytest.mark.parametrize(
    ("family", "codes", "primary"),
    [
        ("Nope, monospace", ["family_not_found"], "Noto Sans Mono"),
        ("Nope", ["family_not_found"], "Noto Serif"),
        ("cursive", [], "Noto Sans"),
        ("system-ui", [], "Noto Sans"),
        ("inherit", [], "Noto Serif"),
        ("'Broken", ["font_family_invalid"], "Noto Serif"),
    ],
)
def test_families_without_stylesheet(family: str, codes: list[str], primary: str) -> None:
    # Arrange
    diag = Diagnostics()
    # Act
    stack = _resolve(_rect(font_family=family), diag=diag)
    # Assert
    assert [w.code for w in diag.warnings] == codes
    assert stack.primary.family == primary


def test_fallback_face_already_in_the_stack_is_not_repeated() -> None:
    # Arrange / Act: "Noto Sans" (sans-serif) is also the family fallback names for Greek
    stack = _resolve(_rect(font_family="sans-serif, serif"), "Hello αβ")
    # Assert
    assert _summary(stack) == [("Noto Sans", "generic", 400, "normal"),
                               ("Noto Serif", "generic", 400, "normal")]


def test_bundled_bold_faces_are_used_for_bold() -> None:
    # Arrange / Act
    stack = _resolve(_rect(font_family="serif", font_weight="bold"), "Hello \u2615")
    # Assert: Noto Serif lacks U+2615 (an emoji), so the colour emoji face joins; it has
    # no bold, so it is marked for synthesis (which leaves colour bitmaps as they are)
    assert [(f.family, f.weight, f.synthetic_bold) for f in stack.faces] == [
        ("Noto Serif", 700, False), ("Noto Color Emoji", 400, True)]


@pytest.mark.parametrize(
    ("text", "families"),
    [
        ("Hello", ["Noto Serif"]),
        ("Cze\u015b\u0107 \u0416", ["Noto Serif"]),
        ("\u0634\u0643\u0631\u0627 \u05e9\u05dc\u05d5\u05dd",
         ["Noto Serif", "Noto Sans Arabic", "Noto Sans Hebrew"]),  # each script its face
        # no font source here: Noto Sans JP cannot be had, the last-resort CJK face draws
        ("\u4e2d\u6587 \u3042", ["Noto Serif", "Droid Sans Fallback"]),
        ("cake \U0001f370", ["Noto Serif", "Noto Color Emoji"]),
        ("\ufdfd", ["Noto Serif", "Noto Sans Arabic"]),
    ],
)
def test_fallback_faces_join_only_for_characters_earlier_faces_lack(
    text: str, families: list[str]
) -> None:
    stack = _resolve(_rect(font_family="serif"), text)
    assert [f.family for f in stack.faces] == families
    assert all(f.origin == "fallback" for f in stack.faces[1:])


def test_only_the_needed_unicode_range_subsets_are_fetched(tmp_path: Path) -> None:
    # Arrange: a v2-style stylesheet split into latin and cyrillic subsets (WOFF2 copies)
    font = TTFont(str(FIXTURES / "Raleway-VF.ttf"))
    font.flavor = "woff2"
    font.save(str(tmp_path / "r.woff2"))
    css = f"""
    /* cyrillic */
    @font-face {{ font-family: 'Raleway'; font-weight: 100 900;
      src: url({(tmp_path / 'r.woff2').as_uri()}?cyr) format('woff2');
      unicode-range: U+0400-045F; }}
    /* latin */
    @font-face {{ font-family: 'Raleway'; font-weight: 100 900;
      src: url(https://fonts.example/latin.woff2) format('woff2');
      unicode-range: U+0000-00FF; }}
    """
    data = (tmp_path / "r.woff2").read_bytes()
    fetcher = DiskFetcher({
        "https://css.example/s.css": css.encode(),
        "https://fonts.example/latin.woff2": data,
        (tmp_path / "r.woff2").as_uri() + "?cyr": data,
    })
    rect = _rect(font_url="https://css.example/s.css", font_family="Raleway")
    # Act
    stack = _resolve(rect, "Hello", fetcher=fetcher)
    # Assert
    assert fetcher.fetched("font") == ["https://fonts.example/latin.woff2"]
    assert stack.primary.source == "https://fonts.example/latin.woff2"
    assert stack.primary.covers(ord("H"))
    assert not stack.primary.covers(ord("Ж"))
    # Act: Cyrillic text needs both subsets (latin still gives the primary: U+0020)
    stack = _resolve(rect, "Жук", fetcher=fetcher)
    # Assert
    assert [f.source.rsplit("/", 1)[-1] for f in stack.faces[:2]] == ["latin.woff2", "r.woff2?cyr"]
    assert stack.primary.source == "https://fonts.example/latin.woff2"


def _segmented(tmp_path: Path, order: tuple[str, ...]) -> DiskFetcher:
    """Serve a stylesheet of Raleway segments (``latin``: U+0000-00FF, ``cyrillic``)."""
    ranges = {"latin": "U+0000-00FF", "cyrillic": "U+0400-045F"}
    css = "".join(
        f"@font-face {{ font-family: Seg; src: url({name}.ttf); unicode-range: {ranges[name]}; }}"
        for name in order)
    raw = (FIXTURES / "Raleway-VF.ttf").read_bytes()
    return DiskFetcher({"https://css.example/s.css": css.encode(),
                        **{f"https://css.example/{name}.ttf": raw for name in ranges}})


@pytest.mark.parametrize(
    ("order", "text", "fetched", "primary"),
    [
        # empty text: the U+0020 segment is still loaded, it is the primary font
        (("latin", "cyrillic"), "", ["latin"], ("Seg", "latin")),
        # Cyrillic text with no space: its segment, plus the U+0020 one for the primary
        (("latin", "cyrillic"), "Жук", ["cyrillic", "latin"], ("Seg", "latin")),
        (("cyrillic", "latin"), "Жук", ["latin", "cyrillic"], ("Seg", "latin")),
        # no segment holds U+0020: the family is used for its characters, but CSS's
        # "first available font" (the primary) comes from the next family
        (("cyrillic",), "Жук", ["cyrillic"], ("Noto Serif", "NotoSerif-Regular")),
        (("cyrillic",), "", [], ("Noto Serif", "NotoSerif-Regular")),
    ],
)
def test_primary_is_the_face_whose_range_holds_the_space(
    tmp_path: Path, order: tuple[str, ...], text: str, fetched: list[str],
    primary: tuple[str, str],
) -> None:
    # Arrange
    fetcher = _segmented(tmp_path, order)
    rect = _rect(font_url="https://css.example/s.css", font_family="Seg, serif")
    # Act
    stack = _resolve(rect, text, fetcher=fetcher)
    # Assert
    assert [Path(u).stem for u in fetcher.fetched("font")] == fetched
    assert (stack.primary.family, Path(stack.primary.source).stem) == primary


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ({}, "HTTP 404"),
        ({"https://css.example/f.ttf": b"<html>oops</html>"}, "not a font"),
    ],
)
def test_unavailable_font_warns_and_falls_back(pages: dict[str, bytes], message: str) -> None:
    # Arrange
    css = b"@font-face { font-family: Web; src: url(f.ttf) format('truetype'); }"
    fetcher = DiskFetcher({"https://css.example/s.css": css, **pages})
    rect = _rect(font_url="https://css.example/s.css", font_family="Web, monospace")
    diag = Diagnostics()
    # Act
    stack = _resolve(rect, fetcher=fetcher, diag=diag)
    # Assert
    (warning,) = diag.warnings
    assert warning.code == "font_unavailable"
    assert message in warning.message
    assert "'Web' 400 normal" in warning.message
    assert stack.primary.family == "Noto Sans Mono"


def test_next_src_is_tried_after_a_failure() -> None:
    # Arrange
    css = (b"@font-face { font-family: Web; src: url(bad.eot) format('embedded-opentype'),"
           b" url(missing.woff2) format('woff2'), url(ok.ttf) format('truetype'); }")
    ok = (FIXTURES / "Raleway-VF.ttf").read_bytes()
    fetcher = DiskFetcher({"https://css.example/s.css": css, "https://css.example/ok.ttf": ok})
    diag = Diagnostics()
    # Act
    stack = _resolve(_rect(font_url="https://css.example/s.css", font_family="Web"),
                     fetcher=fetcher, diag=diag)
    # Assert
    assert stack.primary.source == "https://css.example/ok.ttf"
    assert fetcher.fetched("font") == ["https://css.example/missing.woff2",
                                       "https://css.example/ok.ttf"]
    assert diag.warnings == []


def test_local_source_uses_an_installed_face() -> None:
    # Arrange
    css = b"@font-face { font-family: Mine; src: local('DejaVu Sans Mono'), url(x.ttf); }"
    fetcher = DiskFetcher({"https://css.example/s.css": css})
    # Act
    stack = _resolve(_rect(font_url="https://css.example/s.css", font_family="Mine"),
                     fetcher=fetcher)
    # Assert
    assert (stack.primary.family, stack.primary.origin) == ("Mine", "stylesheet")
    assert stack.primary.source.endswith("DejaVuSansMono.ttf")
    assert fetcher.fetched("font") == []


def test_unavailable_stylesheet_warns_and_goes_on() -> None:
    # Arrange
    diag = Diagnostics()
    rect = _rect(font_url="https://css.example/missing.css", font_family="Raleway, serif")
    # Act
    stack = _resolve(rect, diag=diag)
    # Assert
    assert [w.code for w in diag.warnings] == ["font_unavailable", "family_not_found"]
    assert diag.warnings[0].path == "rectangles[0].font_url"
    assert stack.primary.family == "Noto Serif"


def test_stylesheet_warnings_are_reported_on_every_use() -> None:
    # Arrange: two rules, a limit of one, a shared cache
    css = (b"@font-face { font-family: A; src: url(a.ttf); }"
           b"@font-face { font-family: B; src: url(b.ttf); }")
    fetcher = DiskFetcher({"https://css.example/s.css": css})
    rect = _rect(font_url="https://css.example/s.css", font_family="serif")
    cache = FontCache()
    diags = [Diagnostics(), Diagnostics()]
    # Act
    for diag in diags:
        resolve_font_stack(rect, "x", fetcher=fetcher, fontdb=FontDatabase(),
                           limits=Limits(max_font_face_rules=1), diag=diag, rect_index=3,
                           cache=cache)
    # Assert
    for diag in diags:
        (warning,) = diag.warnings
        assert (warning.code, warning.path, warning.rect) == (
            "stylesheet_truncated", "rectangles[3].font_url", 3)


def test_strict_mode_turns_a_missing_font_into_an_error() -> None:
    # Arrange
    rect = _rect(font_url=RALEWAY_CSS, font_family="'Playfair Display', serif")
    # Act / Assert
    with pytest.raises(ResourceError, match="Playfair Display"):
        _resolve(rect, diag=Diagnostics(strict=True))


def test_stylesheets_and_fonts_are_parsed_once_per_content() -> None:
    # Arrange: every use asks the fetcher (its own cache decides freshness)
    css = b"@font-face { font-family: Web; src: url(f.ttf); }"
    files = {"https://css.example/s.css": css,
             "https://css.example/f.ttf": (FIXTURES / "Raleway-VF.ttf").read_bytes()}
    fetcher = DiskFetcher(files)
    cache = FontCache()
    rect = _rect(font_url="https://css.example/s.css", font_family="Web")

    def stack() -> FontStack:
        return resolve_font_stack(rect, "x", fetcher=fetcher, fontdb=FontDatabase(),
                                  limits=Limits(), diag=Diagnostics(), rect_index=0, cache=cache)

    # Act
    stacks = [stack() for _ in range(3)]
    files["https://css.example/f.ttf"] = (FIXTURES / "PlayfairDisplay-VF.ttf").read_bytes()
    changed = stack()
    # Assert: the same bytes give the same parsed face; new bytes at the URL a new one
    assert len(fetcher.calls) == 8
    assert stacks[0].primary is stacks[2].primary
    assert changed.primary is not stacks[0].primary
    assert changed.primary.key != stacks[0].primary.key


def test_over_http_with_the_policy_fetcher(http_server: Any, fetcher: Fetcher) -> None:
    # Arrange: the real fetcher against the local test server
    rect = _rect(font_url=http_server.url("/fonts/raleway.css"), font_family="Raleway",
                 font_weight="bold")
    # Act
    stack = _resolve(rect, fetcher=fetcher)
    # Assert
    assert stack.primary.source == http_server.url("/fonts/Raleway-VF.ttf")
    assert stack.primary.variation == (("wght", 700.0),)


# -- the font database ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("generic", "weight", "family", "file"),
    [
        ("serif", 400, "Noto Serif", "NotoSerif-Regular.ttf"),
        ("serif", 700, "Noto Serif", "NotoSerif-Bold.ttf"),
        ("sans-serif", 400, "Noto Sans", "NotoSans-Regular.ttf"),
        ("SANS-SERIF", 800, "Noto Sans", "NotoSans-Bold.ttf"),
        ("system-ui", 400, "Noto Sans", "NotoSans-Regular.ttf"),
        ("cursive", 400, "Noto Sans", "NotoSans-Regular.ttf"),
        ("fantasy", 400, "Noto Sans", "NotoSans-Regular.ttf"),
        ("monospace", 700, "Noto Sans Mono", "NotoSansMono-Bold.ttf"),
    ],
)
def test_generic_mapping(generic: str, weight: int, family: str, file: str) -> None:
    # Arrange
    stack = _resolve(_rect(font_family=generic, font_weight=weight))
    # Act
    face = stack.primary
    # Assert: the bundled Noto face, by default
    assert (face.family, Path(face.source).name, face.origin) == (family, file, "generic")


def test_the_generic_map_is_configurable() -> None:
    # Arrange: serif drawn with DejaVu Serif, as Chromium with only DejaVu installed does
    providers = FontProviders(FontDatabase(), generics=GenericFamilies(serif="DejaVu Serif"))
    # Act
    stack = resolve_font_stack(
        _rect(font_family="serif"), "Hi", fetcher=DiskFetcher(), fontdb=FontDatabase(),
        limits=Limits(), diag=Diagnostics(), rect_index=0, providers=providers)
    # Assert
    assert (stack.primary.family, stack.primary.provider) == ("DejaVu Serif", "bundled")


def test_database_index_and_lookups(tmp_path: Path) -> None:
    # Arrange: a configured folder with a WOFF2 font, a subfolder and a file that is no font
    font = TTFont(str(FIXTURES / "Raleway-Italic-VF.ttf"))
    font.flavor = "woff2"
    (tmp_path / "sub").mkdir()
    font.save(str(tmp_path / "sub" / "RalewayItalic.woff2"))
    (tmp_path / "junk.ttf").write_bytes(b"not a font at all")
    db = FontDatabase([tmp_path])
    # Act
    italic = db.match("Raleway", 500, "italic")
    upright = db.match("RALEWAY", 500, "normal")  # only italic installed: CSS takes it
    # Assert
    assert italic is not None
    assert italic.path.name == "RalewayItalic.woff2"
    assert (italic.weight_min, italic.weight_max, italic.style) == (100, 900, "italic")
    assert upright is italic
    assert db.match("Raleway Thin", 400, "normal") is italic  # legacy family name works too
    assert db.match("Nope", 400, "normal") is None
    assert [p.name for p, _ in db.skipped] == ["junk.ttf"]
    assert db.families()[:3] == ["DejaVu Sans", "DejaVu Sans Mono", "DejaVu Serif"]
    assert [f.family for f in db.last_resort_faces()] == list(LAST_RESORT_FAMILIES)
    assert db.match_loose("noto sans-symbols", 400, "normal") is None
    loose = db.match_loose("notosans DEVANAGARI", 400, "normal")
    assert loose is not None
    assert loose.family == "Noto Sans Devanagari"
    local = db.find_local("dejavusans-bold")
    assert local is not None
    assert local.path.name == "DejaVuSans-Bold.ttf"
    assert db.load(italic).flavor == "woff2"


def test_bundled_folder_wins_over_configured_duplicates(tmp_path: Path) -> None:
    # Arrange
    shutil.copy(ROOT / "fonts" / "DejaVuSans.ttf", tmp_path / "Copy.ttf")
    # Act
    face = FontDatabase([tmp_path]).match("DejaVu Sans", 400, "normal")
    # Assert
    assert face is not None
    assert face.path == (ROOT / "fonts" / "DejaVuSans.ttf").resolve()

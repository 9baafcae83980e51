"""The fallback chain: Noto faces per script, from bundled fonts, a font source or the system."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from offer_render import NetworkPolicy, Renderer, RendererConfig
from offer_render.resources.scripts import (
    cjk_family,
    emoji_presentation,
    fallback_families,
    families_for_code,
)
from tests.conftest import LocalServer
from tests.helpers.boxfont import box_font_bytes
from tests.test_cli import CLI

HANGUL = "한국어 안녕하세요"
KANA = "ありがとう"
HAN = "中文漢字"
SOURCE_FAMILIES = {
    # family -> characters its box font draws; JP in two unicode-range subsets
    "Noto Sans KR": HANGUL + HAN,
    "Noto Sans JP": KANA + HAN,
    "Noto Sans SC": HAN,
    "Noto Sans TC": HAN,
    "Noto Serif Tibetan": "བོད་ཡིག",
}


def _rule(family: str, url: str, chars: str | None = None) -> str:
    unicode_range = ""
    if chars is not None:
        unicode_range = "unicode-range: " + ", ".join(f"U+{ord(c):X}" for c in sorted(set(chars)))
        unicode_range += ";"
    return (f"@font-face {{ font-family: '{family}'; font-style: normal; font-weight: 400; "
            f"src: url({url}) format('truetype'); {unicode_range} }}\n")


@pytest.fixture(scope="module")
def font_source(http_server: LocalServer) -> str:
    """Serve box fonts for the fallback families at ``/fontsource/css2``; return its base URL."""
    folder = http_server.served_tmp / "fontsource"
    folder.mkdir(exist_ok=True)
    for family, chars in SOURCE_FAMILIES.items():
        slug = family.replace(" ", "")
        (folder / f"{slug}.ttf").write_bytes(box_font_bytes(family, chars=chars))
        url = http_server.url(f"/tmp/fontsource/{slug}.ttf")
        if family == "Noto Sans JP":  # two subsets: kana, Han
            css = _rule(family, url, KANA) + _rule(family, url + "?han", HAN)
        else:
            css = _rule(family, url)
        (folder / f"{family}.css").write_text(css, encoding="utf-8")
    return http_server.url("/fontsource")


def _template(content: str, family: str = "sans-serif") -> dict[str, Any]:
    return {"width": 400, "height": 120, "rectangles": [{
        "name": "t", "width": 400, "height": 120, "padding": 4, "offset_left": 0,
        "offset_top": 0, "text_align": "left", "color": "#000", "font_size": 20,
        "font_family": family, "font_url": None, "content": content}]}


def _render(content: str, *, source: str | None, locale: str = "en", **config: Any
            ) -> dict[str, Any]:
    renderer = Renderer(RendererConfig(
        network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})), font_source=source,
        **config))
    return renderer.render(_template(content), locale=locale).report


def _faces(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["family"], f.get("provider", "")) for f in report["rectangles"][0]["faces"]]


def _codes(report: dict[str, Any]) -> set[str]:
    return {w["code"] for w in report["rectangles"][0]["warnings"]}


# -- which family a character asks for ----------------------------------------------------


@pytest.mark.parametrize(("language", "text", "family"), [
    ("ko", HAN, "Noto Sans KR"), ("ja", HAN, "Noto Sans JP"), ("zh-Hant", HAN, "Noto Sans TC"),
    ("zh_TW", HAN, "Noto Sans TC"), ("zh-HK", HAN, "Noto Sans TC"), ("zh", HAN, "Noto Sans SC"),
    ("zh-Hans-CN", HAN, "Noto Sans SC"),
    # no CJK locale: the text decides
    ("en", HAN + KANA, "Noto Sans JP"), ("pl", HAN + HANGUL, "Noto Sans KR"),
    ("en", HAN, "Noto Sans SC"), (None, HAN, "Noto Sans SC"),
])
def test_han_takes_the_cjk_face_of_the_locale_then_of_the_text(
    language: str | None, text: str, family: str
) -> None:
    assert cjk_family(language, text) == family


@pytest.mark.parametrize(("cluster", "families"), [
    ("한", ("Noto Sans KR",)), ("あ", ("Noto Sans JP",)), ("ㄅ", ("Noto Sans TC",)),
    ("ก", ("Noto Sans Thai",)), ("ଓ", ("Noto Sans Oriya",)), ("བ", ("Noto Serif Tibetan",)),
    ("ߊ", ("Noto Sans NKo",)), ("Ж", ("Noto Sans",)), ("中", ("Noto Sans SC",)),
    # emoji presentation: the colour face first; U+FE0E: text faces first
    ("😀", ("Noto Color Emoji", "Noto Sans Symbols", "Noto Sans Symbols 2", "Noto Sans Math")),
    ("©\ufe0f", ("Noto Color Emoji", "Noto Sans Symbols", "Noto Sans Symbols 2",
                 "Noto Sans Math")),
    ("❤\ufe0e", ("Noto Sans", "Noto Sans Symbols", "Noto Sans Symbols 2", "Noto Sans Math",
                 "Noto Color Emoji")),
    ("→", ("Noto Sans", "Noto Sans Symbols", "Noto Sans Symbols 2", "Noto Sans Math")),
    # punctuation of several scripts: the major script first, in Android's fallback order
    ("\u060c", ("Noto Sans Arabic", "Noto Sans Thaana", "Noto Sans Garay", "Noto Sans NKo",
                 "Noto Sans Hanifi Rohingya", "Noto Sans Syriac", "Noto Serif Yezidi",
                 "Noto Sans", "Noto Sans Symbols", "Noto Sans Symbols 2", "Noto Sans Math")),
    # CJK punctuation shared by several scripts takes the CJK face of the locale first
    ("、", ("Noto Sans SC", "Noto Sans TC", "Noto Sans KR", "Noto Sans JP", "Noto Sans Mongolian",
           "Noto Sans Yi",
           "Noto Sans", "Noto Sans Symbols", "Noto Sans Symbols 2", "Noto Sans Math")),
])
def test_each_script_asks_for_its_noto_family(cluster: str, families: tuple[str, ...]) -> None:
    assert fallback_families(cluster, han="Noto Sans SC") == families


@pytest.mark.parametrize(("cluster", "emoji"), [
    ("😀", True), ("☕", True), ("©", False), ("©\ufe0f", True), ("❤", False),
    ("❤\ufe0f", True), ("😀\ufe0e", False), ("1\ufe0f\u20e3", True), ("🇵🇱", True),
    ("👍🏽", True), ("👩\u200d👩\u200d👧", True), ("a", None), ("1", None), ("→", None),
])
def test_emoji_presentation_follows_uts_51(cluster: str, emoji: bool | None) -> None:
    assert emoji_presentation(cluster) is emoji


def test_pinned_codes_name_languages_or_scripts() -> None:
    assert families_for_code("ko") == ("Noto Sans KR",)
    assert families_for_code("zh-Hant") == ("Noto Sans TC",)
    assert families_for_code("Deva") == ("Noto Sans Devanagari",)
    assert families_for_code("bo") == ("Noto Serif Tibetan",)
    with pytest.raises(ValueError, match="'qq' is neither a language"):
        families_for_code("qq")


# -- where faces come from -----------------------------------------------------------------


def test_korean_comes_from_the_font_source_not_as_tofu(
    http_server: LocalServer, font_source: str
) -> None:
    # Arrange / Act
    report = _render(HANGUL, source=font_source, locale="ko")
    # Assert
    assert ("Noto Sans KR", "font_source") in _faces(report)
    assert "missing_glyphs" not in _codes(report)
    assert http_server.requested("/fontsource/css2")


def test_without_a_font_source_the_last_resort_draws_what_it_can() -> None:
    # Arrange / Act: Droid Sans Fallback has Han but almost no Hangul
    han = _render(HAN, source=None)
    hangul = _render(HANGUL, source=None)
    # Assert
    assert ("Droid Sans Fallback", "bundled") in _faces(han)
    assert "missing_glyphs" in _codes(hangul)


def test_only_the_subsets_the_text_needs_are_fetched(
    http_server: LocalServer, font_source: str
) -> None:
    # Arrange
    before = len(http_server.requests)
    # Act: kana only (Japanese locale): the Han subset of Noto Sans JP is not downloaded
    report = _render(KANA, source=font_source, locale="ja")
    # Assert
    asked = http_server.requests[before:]
    assert ("Noto Sans JP", "font_source") in _faces(report)
    assert any(p == "/tmp/fontsource/NotoSansJP.ttf" for p in asked)
    assert not any(p.endswith("?han") for p in asked)


def test_han_next_to_hangul_takes_the_korean_face(font_source: str) -> None:
    report = _render(HANGUL + " " + HAN, source=font_source, locale="en")
    runs = report["rectangles"][0]["fallbacks"]
    families = {f["family"] for f in runs}
    assert families == {"Noto Sans KR"}


def test_a_family_the_source_lacks_is_asked_once_then_remembered(
    http_server: LocalServer, font_source: str
) -> None:
    # Arrange: Noto Sans Thai is not in this source (HTTP 400)
    renderer = Renderer(RendererConfig(
        network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})), font_source=font_source))
    before = len(http_server.requests)
    # Act
    for _ in range(3):
        report = renderer.render(_template("สวัสดี")).report
    # Assert: the bundled Noto Sans Thai draws it; the source was asked once
    asked = [p for p in http_server.requests[before:] if "Noto+Sans+Thai" in p]
    assert asked == []  # bundled first: the source is not asked for what is installed
    assert ("Noto Sans Thai", "bundled") in _faces(report)
    for _ in range(2):
        renderer.render(_template("ꦧꦱ"))  # Javanese: neither bundled nor in the source
    javanese = [p for p in http_server.requests[before:] if "Javanese" in p]
    assert len(javanese) == 1


def test_color_emoji_for_vs16_and_text_for_vs15(font_source: str) -> None:
    # Arrange / Act: Noto Sans has (c) but not its emoji glyph
    plain = _render("\u00a9", source=font_source)
    emoji = _render("\u00a9\ufe0f", source=font_source)
    # Assert
    assert [f for f, _ in _faces(plain)] == ["Noto Sans"]
    assert "Noto Color Emoji" in [f for f, _ in _faces(emoji)]


def test_system_fonts_only_when_configured(tmp_path: Path) -> None:
    # Arrange: a "system" folder with a face of a script nothing else has (Javanese)
    from offer_render.resources.fallback import FontProviders
    from offer_render.resources.fontdb import FontDatabase
    from offer_render.resources.fonts import resolve_font_stack
    from offer_render.template.models import Rectangle

    (tmp_path / "jv.ttf").write_bytes(box_font_bytes("Noto Sans Javanese", chars="ꦧꦱ"))
    rect = Rectangle.model_validate(_template("ꦧꦱ")["rectangles"][0])

    def stack(system: FontDatabase | None) -> list[tuple[str, str]]:
        from offer_render.config import Limits
        from offer_render.diagnostics import Diagnostics
        from tests.test_fonts_resolve import DiskFetcher

        providers = FontProviders(FontDatabase(), system=system)
        found = resolve_font_stack(rect, "ꦧꦱ", fetcher=DiskFetcher(), fontdb=FontDatabase(),
                                   limits=Limits(), diag=Diagnostics(), rect_index=0,
                                   providers=providers)
        return [(f.family, f.provider) for f in found.faces]

    # Act / Assert
    assert ("Noto Sans Javanese", "system") in stack(
        FontDatabase([tmp_path], bundled_dir=None, system=True))
    assert all(family != "Noto Sans Javanese" for family, _ in stack(None))


def test_fonts_pull_pins_a_script_for_offline_renders(
    http_server: LocalServer, font_source: str, tmp_path: Path
) -> None:
    # Arrange
    cache = tmp_path / "cache"
    template = tmp_path / "t.json"
    template.write_text(json.dumps(_template(HANGUL)), encoding="utf-8")
    env_args = ["--allow-host", "127.0.0.1", "--font-source", font_source]
    # Act
    pulled = subprocess.run([*CLI, "fonts", "pull", "--scripts", "ko", "--cache-dir",
                             str(cache), *env_args], capture_output=True, text=True,
                            timeout=120, check=False)
    offline = subprocess.run(
        [*CLI, "render", str(template), "-o", str(tmp_path / "t.png"), "--report",
         str(tmp_path / "r.json"), "--offline", *env_args],
        capture_output=True, text=True, timeout=120, check=False,
        env={**__import__("os").environ, "OFFER_RENDER_CACHE_DIR": str(cache)})
    # Assert
    assert pulled.returncode == 0, pulled.stderr
    assert offline.returncode == 0, offline.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert ("Noto Sans KR", "font_source") in _faces(report)


def test_pulling_an_unknown_script_is_an_error_naming_it(tmp_path: Path) -> None:
    done = subprocess.run([*CLI, "fonts", "pull", "--scripts", "ko,qq", "--font-source",
                           "http://127.0.0.1:9"], capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path)
    assert done.returncode == 2
    assert "--scripts: 'qq' is neither a language nor an ISO 15924 script code" in done.stderr


@pytest.mark.parametrize(("by_style", "expected"), [
    (False, ("NotoSansThai-Regular.ttf", True)),  # Chromium on Linux: regular, emboldened
    (True, ("NotoSansThai-Bold.ttf", False)),  # Android: the Bold face
])
def test_bold_fallback_takes_the_regular_face_as_chromium_on_linux(
    by_style: bool, expected: tuple[str, bool]
) -> None:
    # Arrange
    template = _template("สวัสดี")
    template["rectangles"][0]["font_weight"] = "bold"
    renderer = Renderer(RendererConfig(font_source=None, fallback_by_style=by_style))
    # Act
    report = renderer.render(template).report
    # Assert
    thai = next(f for f in report["rectangles"][0]["faces"] if f["family"] == "Noto Sans Thai")
    assert (Path(thai["source"]).name, thai.get("synthetic_bold", False)) == expected

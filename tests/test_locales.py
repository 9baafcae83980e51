"""Render one offer in several locales, through the API and the command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from offer_render import Renderer, RendererConfig
from offer_render.errors import InvalidInputError
from offer_render.resources.fetch import Fetched, PolicyFetcher
from tests.conftest import LocalServer
from tests.test_cli import run

OFFER: dict[str, Any] = {
    "id": 7,
    "name": {"en": "Spring sale", "pl": "Wiosenna wyprzedaż", "de": "Frühlingsverkauf"},
    "usable_until": "2030-05-05T13:00:00.000000Z",
    "stores": ["Arkadia"],
}


def rect(content: str, **extra: Any) -> dict[str, Any]:
    return {"name": "Text", "width": 300, "height": 60, "padding": 4, "offset_left": 0,
            "offset_top": 0, "text_align": "left", "color": "#000", "font_size": 14,
            "font_family": "sans-serif", "font_url": None, "content": content, **extra}


TEMPLATE: dict[str, Any] = {
    "width": 300, "height": 120,
    "rectangles": [
        rect("{{ name }}"),
        rect("{{ offer.usable_until|date('long') }} · {{ 1234.5|currency('EUR') }}",
             name="Until", offset_top=60),
    ],
}

TEXTS = {
    "en": ["Spring sale", "May 5, 2030 · €1,234.50"],
    "pl": ["Wiosenna wyprzedaż", "5 maja 2030 · 1\xa0234,50\xa0€"],
    "de": ["Frühlingsverkauf", "5. Mai 2030 · 1.234,50\xa0€"],
}


def texts(report: dict[str, Any]) -> list[str]:
    return [r["text"] for r in report["rectangles"]]


class CountingFetcher:
    """A fetcher that counts what it is asked for."""

    def __init__(self, inner: PolicyFetcher) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        self.calls.append((what, url))
        return self.inner.fetch(url, max_bytes=max_bytes, what=what)


# ---------------------------------------------------------------- API

def test_render_locales_gives_one_result_per_locale_in_order() -> None:
    results = Renderer().render_locales(TEMPLATE, OFFER, locales=["pl", "en", "de"])
    assert list(results) == ["pl", "en", "de"]
    for locale, result in results.items():
        assert result.report["locale"] == locale
        assert texts(result.report) == TEXTS[locale]
        assert (result.width, result.height, result.format) == (300, 120, "png")
    assert len({r.data for r in results.values()}) == 3


def test_each_result_matches_a_single_render() -> None:
    renderer = Renderer()
    results = renderer.render_locales(TEMPLATE, OFFER, locales=["en", "pl"], format="webp",
                                      quality=80, scale=2)
    for locale, result in results.items():
        single = renderer.render(TEMPLATE, OFFER, locale=locale, format="webp", quality=80,
                                 scale=2)
        assert result.data == single.data
        assert result.report == single.report
        assert (result.width, result.format) == (600, "webp")


def test_each_report_has_its_own_warnings() -> None:
    template = dict(TEMPLATE, colour="red")  # an unknown key: a template warning
    template["rectangles"] = [rect("{{ name }}{{ offer.extras.pl_only }} {{ 1|number }}")]
    offer = dict(OFFER, extras={"pl_only": "!"})
    results = Renderer().render_locales(template, offer, locales=["en", "xx"])
    codes = {loc: [w["code"] for w in r.report["warnings"]] for loc, r in results.items()}
    assert codes == {"en": ["unknown_key"], "xx": ["unknown_key", "unknown_locale"]}
    assert [texts(r.report) for r in results.values()] == [["Spring sale! 1"], ["Spring sale! 1"]]


def test_unknown_locale_reports_its_fallback() -> None:
    results = Renderer().render_locales(TEMPLATE, OFFER, locales=["xx", "en"])
    assert texts(results["xx"].report) == TEXTS["en"]
    codes = [w["code"] for w in results["xx"].report["warnings"]]
    assert codes == ["unknown_locale"]
    assert results["en"].report["warnings"] == []


def test_a_locale_named_twice_renders_once() -> None:
    results = Renderer().render_locales(TEMPLATE, OFFER, locales=["en", "pl", "en"])
    assert list(results) == ["en", "pl"]


@pytest.mark.parametrize(("kwargs", "path"), [
    ({"locales": []}, "locales"),
    ({"locales": "en,pl"}, "locales"),
    ({"locales": ["en", ""]}, "locales[1]"),
    ({"locales": ["en", "../x"]}, "locales[1]"),
])
def test_bad_locales_argument(kwargs: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        Renderer().render_locales(TEMPLATE, OFFER, **kwargs)
    assert [p for p, _ in err.value.problems] == [path]


def test_render_locales_takes_no_single_locale() -> None:
    # the options are spelled out, so a stray locale= is refused by the signature itself
    kwargs: dict[str, Any] = {"locales": ["en"], "locale": "pl"}
    with pytest.raises(TypeError, match="'locale'"):
        Renderer().render_locales(TEMPLATE, OFFER, **kwargs)


def test_a_failing_locale_raises() -> None:
    template = dict(TEMPLATE, rectangles=[rect("{{ offer.extras.when|date }}")])
    offer = dict(OFFER, extras={"when": "soon"})
    with pytest.raises(InvalidInputError, match="filter 'date': cannot read 'soon'"):
        Renderer().render_locales(template, offer, locales=["en", "pl"])


def test_strict_mode_applies_to_every_locale() -> None:
    template = dict(TEMPLATE, rectangles=[rect("{{ nope }}")])
    with pytest.raises(InvalidInputError, match="unknown placeholder"):
        Renderer().render_locales(template, OFFER, locales=["en", "pl"], strict=True)


def test_background_is_fetched_once_for_all_locales(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    counting = CountingFetcher(fetcher)
    renderer = Renderer(RendererConfig(), fetcher=counting)
    template = dict(TEMPLATE, background_url=http_server.url("/backgrounds/chelsea.png"))
    results = renderer.render_locales(template, OFFER, locales=["en", "pl", "de", "ja"])
    assert len(results) == 4
    assert [what for what, _ in counting.calls] == ["background"]


# ---------------------------------------------------------------- CLI

@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "t.json").write_text(json.dumps(TEMPLATE))
    (tmp_path / "o.json").write_text(json.dumps(OFFER))
    return tmp_path


def test_cli_writes_one_image_and_report_per_locale(files: Path) -> None:
    done = run("render", "t.json", "--offer", "o.json", "--locales", "en, pl,de", "-o",
               "out/card.png", "--report", "out/card.json", cwd=files)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (files / "out").iterdir()) == [
        "card-de.json", "card-de.png", "card-en.json", "card-en.png", "card-pl.json",
        "card-pl.png"]
    for locale in ("en", "pl", "de"):
        report = json.loads((files / "out" / f"card-{locale}.json").read_text())
        assert report["locale"] == locale
        assert texts(report) == TEXTS[locale]
        assert (files / "out" / f"card-{locale}.png").read_bytes().startswith(b"\x89PNG")
    assert done.stdout.splitlines() == [
        f"out/card-{loc}.png 300x120 png" for loc in ("en", "pl", "de")]


def test_cli_default_output_names_per_locale(files: Path) -> None:
    done = run("render", "t.json", "--offer", "o.json", "--locales", "pl,en", "--format",
               "jpeg", cwd=files)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in files.glob("t-*")) == ["t-en.jpg", "t-pl.jpg"]


def test_cli_single_locale_still_writes_one_file(files: Path) -> None:
    done = run("render", "t.json", "--offer", "o.json", "--locale", "pl", "-o", "one.png",
               "--report", "one.json", cwd=files)
    assert done.returncode == 0, done.stderr
    assert texts(json.loads((files / "one.json").read_text())) == TEXTS["pl"]
    assert not list(files.glob("one-*"))


@pytest.mark.parametrize(("args", "message"), [
    (["--locale", "en", "--locales", "en,pl"], "--locale and --locales cannot be used together"),
    (["--locales", " , "], "--locales: give at least one locale name, such as en, pl or pt-BR"),
    (["--locales", "en,../../x"], "--locales: '../../x' is not a locale name: BCP 47 wants"),
])
def test_cli_bad_locales_are_usage_errors(files: Path, args: list[str], message: str) -> None:
    done = run("render", "t.json", "--offer", "o.json", *args, "-o", "x.png", cwd=files)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(files.glob("x*"))


def test_cli_failing_locale_writes_nothing(files: Path) -> None:
    template = dict(TEMPLATE, rectangles=[rect("{{ name }}"), rect("{{ 'soon'|date }}")])
    (files / "bad.json").write_text(json.dumps(template))
    done = run("render", "bad.json", "--offer", "o.json", "--locales", "en,pl", "-o", "x.png",
               cwd=files)
    assert done.returncode == 2
    assert "rectangles[1].content: rectangle 'Text': filter 'date': cannot read 'soon'" in (
        done.stderr)
    assert not list(files.glob("x*"))


def test_cli_sandbox_refusal_is_one_line_exit_2(files: Path) -> None:
    template = dict(TEMPLATE, rectangles=[rect("{{ ''.__class__.__mro__ }}")])
    (files / "evil.json").write_text(json.dumps(template))
    done: subprocess.CompletedProcess[str] = run("render", "evil.json", cwd=files)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "refused by the template sandbox: access to attribute '__class__'" in done.stderr

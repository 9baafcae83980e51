"""The studio's routes over real HTTP, the render route's debug overlay, and the page rules.

The page itself is driven in a browser by test_studio.py; here: what ``/studio`` and its
files answer, ``POST /studio/page`` (the Browser view), ``POST /v1/render?debug=1``, the
samples (kept equal to ``fixtures/``), the one implementation of the page rules the
fidelity check and the studio share, and that the wheel ships it all.
"""

from __future__ import annotations

import fnmatch
import io
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from offer_render.config import BUNDLED_FONTS_DIR
from offer_render.preview.overlay import OUTLINE
from offer_render.service.studio import page as studio_page
from offer_render.service.studio.samples import SAMPLES_DIR, sample_offers
from tests.conftest import LocalServer, RunningService, running_service
from tests.helpers.servicedata import small_template

REPO = Path(__file__).resolve().parents[1]
STUDIO = REPO / "offer_render" / "service" / "studio"


def template(base: str, **changes: Any) -> dict[str, Any]:
    """Return the service tests' small template with a smaller title box."""
    return small_template(base, rect={
        "width": 200, "height": 80, "offset_left": 30, "offset_top": 40, "font_size": 24,
        "font_family": "Raleway, sans-serif"}, **changes)


OFFER = {"id": 7, "name": {"en": "Coffee", "pl": "Kawa"}, "stores": ["Arkadia"]}


def post(service: RunningService, path: str, body: Any, **headers: str) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(service.url(path), data=data, timeout=30,
                         headers={"Content-Type": "application/json", **headers})


# -- the page and its files --------------------------------------------------------------


def test_the_page_is_served_with_a_policy_that_runs_only_its_own_scripts(
    render_service: RunningService
) -> None:
    got = requests.get(render_service.url("/studio"), timeout=10)
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("text/html")
    policy = got.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "default-src 'none'" in policy
    for name in ('<label for="template">Template JSON</label>',
                 '<label for="offer">Offer JSON</label>', '<label for="locale">Locale</label>',
                 'alt="Preview"', '<label for="debug">Debug overlay</label>',
                 'aria-labelledby="lint-heading"', 'role="alert"'):
        assert name in got.text
    # Nothing is loaded from another host: every script and stylesheet is the package's.
    assert "http" not in got.text.replace('content="width=device-width', "")


@pytest.mark.parametrize("name", ["main.js", "api.js", "stage.js", "history.js", "offers.js",
                                  "jsonerror.js", "messages.js", "studio.css"])
def test_the_pages_files_come_from_the_package(render_service: RunningService, name: str
                                               ) -> None:
    got = requests.get(render_service.url(f"/studio/static/{name}"), timeout=10)
    assert got.status_code == 200
    assert got.content == (STUDIO / "static" / name).read_bytes()
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    assert got.headers["Content-Type"].startswith(kind)


def test_the_bundled_fonts_are_served_for_the_browser_view(render_service: RunningService
                                                           ) -> None:
    got = requests.get(render_service.url("/studio/fonts/NotoSans-Regular.ttf"), timeout=10)
    assert got.status_code == 200
    assert got.content == (BUNDLED_FONTS_DIR / "NotoSans-Regular.ttf").read_bytes()
    missing = requests.get(render_service.url("/studio/fonts/nope.ttf"), timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"] == "no such endpoint: /studio/fonts/nope.ttf (see /docs)"


@pytest.mark.parametrize("path", ["/studio/fonts/..%2f..%2fpyproject.toml",
                                  "/studio/samples/..%2f..%2fservice%2fapp.py",
                                  "/studio/static/..%2fpage.py"])
def test_the_files_are_served_from_their_folders_only(render_service: RunningService,
                                                      path: str) -> None:
    got = requests.get(render_service.url(path), timeout=10)
    assert got.status_code == 404
    assert got.json()["error"].startswith("no such endpoint")


def test_the_page_with_a_trailing_slash_redirects_to_it(render_service: RunningService
                                                      ) -> None:
    got = requests.get(render_service.url("/studio/"), timeout=10, allow_redirects=False)
    assert got.status_code == 307
    assert got.headers["Location"].endswith("/studio")


def test_the_samples_are_listed_and_served(render_service: RunningService) -> None:
    listed = requests.get(render_service.url("/studio/samples.json"), timeout=10).json()
    assert [s["name"] for s in listed] == ["cat-cafe", "coffee-week", "lint-clean",
                                           "platform-sample", "sticker"]
    platform = next(s for s in listed if s["name"] == "platform-sample")
    assert platform["title"] == "Great Offer!"
    assert platform["offer"]["image_template"]["rectangles"][0]["font_family"] == (
        "'Playfair Display', serif")
    css = requests.get(render_service.url("/studio/samples/fonts/raleway.css"), timeout=10)
    assert css.status_code == 200
    assert b"@font-face" in css.content


def test_the_samples_are_the_fixtures_and_hold_every_file_they_name() -> None:
    files = sorted(p for p in SAMPLES_DIR.rglob("*") if p.is_file())
    assert files
    for path in files:
        rel = path.relative_to(SAMPLES_DIR)
        assert path.read_bytes() == (REPO / "fixtures" / rel).read_bytes(), rel
    for sample in sample_offers():
        tpl = sample["offer"]["image_template"]
        urls = [tpl.get("background_url")] + [r.get("font_url") for r in tpl["rectangles"]]
        folder = SAMPLES_DIR / "examples"
        for url in filter(None, urls):
            css = (folder / url).resolve()
            assert css.is_file(), (sample["name"], url)
            if css.suffix == ".css":  # and the fonts the stylesheet names
                for line in css.read_text().splitlines():
                    if "url(" in line:
                        name = line.split("url(", 1)[1].split(")", 1)[0]
                        assert (css.parent / name).is_file(), (css.name, name)


def test_the_wheel_takes_every_file_of_the_studio() -> None:
    # setuptools' package data: the globs of pyproject.toml for the studio package
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["offer_render.service.studio"]
    files = [p.relative_to(STUDIO).as_posix() for p in STUDIO.rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert "static/index.html" in files
    uncovered = [f for f in files if not any(fnmatch.fnmatch(f, g) and
                                             f.count("/") == g.count("/") for g in globs)]
    assert uncovered == []


# -- POST /studio/page ------------------------------------------------------------------


def test_the_browser_view_is_the_page_with_the_merged_texts(
    render_service: RunningService, http_server: LocalServer
) -> None:
    # Arrange
    tpl = template(http_server.base_url)
    # Act
    got = post(render_service, "/studio/page", {"template": tpl, "offer": OFFER,
                                                  "locale": "pl"})
    # Assert
    assert got.status_code == 200
    answer = got.json()
    assert (answer["width"], answer["height"]) == (320, 160)
    html = answer["html"]
    assert html.startswith("<!doctype html>\n<html lang=\"pl\">")
    assert '<div class="r" id="r0" style="left: 30.0px; top: 40.0px;' in html
    assert ">Kawa -20%</div>" in html
    assert '@font-face { font-family: "Noto Sans"; src: url("/studio/fonts/NotoSans-' in html
    assert f'<link rel="stylesheet" href="{http_server.base_url}/fonts/raleway.css">' in html
    assert "font-family: &quot;Raleway&quot;, &quot;Noto Sans&quot;" in html
    assert "body { width: 320px; height: 160px; }" in html


def test_the_browser_view_escapes_what_the_template_says(
    render_service: RunningService, http_server: LocalServer
) -> None:
    tpl = template(http_server.base_url, background_url=f'{http_server.base_url}/a".png')
    tpl["rectangles"][0]["content"] = "<script>alert(1)</script> & {{stores}}"
    answer = post(render_service, "/studio/page", {"template": tpl, "offer": OFFER}).json()
    assert "<script>" not in answer["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Arkadia</div>" in answer["html"]
    assert 'background-image: url(&quot;' in answer["html"]
    assert '/a\\22 .png&quot;)' in answer["html"]


@pytest.mark.parametrize(("body", "status", "problem"), [
    (b"{nope", 400, "body"),
    ({"template": {"width": 10}, "offer": None}, 422, "height"),
    ({"template": {"width": 10, "height": 10, "rectangles": []}, "locale": "p/l"}, 422,
     "locale"),
    ({"templat": {}}, 422, "templat"),
])
def test_a_bad_browser_view_request_names_the_field(
    render_service: RunningService, body: Any, status: int, problem: str
) -> None:
    got = post(render_service, "/studio/page", body)
    assert got.status_code == status
    assert problem in [p["path"] for p in got.json()["problems"]]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """A service whose calls need a token."""
    tokens = tmp_path_factory.mktemp("tokens") / "tokens"
    tokens.write_text("studio-token\n")
    with running_service(workers=1, token_file=tokens) as service:
        yield service


def test_with_tokens_the_page_is_open_and_its_calls_need_one(guarded: RunningService) -> None:
    assert requests.get(guarded.url("/studio"), timeout=10).status_code == 200
    assert requests.get(guarded.url("/studio/static/main.js"), timeout=10).status_code == 200
    body = {"template": {"width": 10, "height": 10, "rectangles": []}}
    refused = post(guarded, "/studio/page", body)
    assert refused.status_code == 401
    assert refused.json()["error"] == "missing bearer token: send Authorization: Bearer <token>"
    let_through = post(guarded, "/studio/page", body, Authorization="Bearer studio-token")
    assert let_through.status_code == 200


# -- POST /v1/render?debug=1 -------------------------------------------------------------


def test_debug_renders_the_overlay_and_has_its_own_etag(
    render_service: RunningService, http_server: LocalServer
) -> None:
    # Arrange
    body = {"template": template(http_server.base_url), "offer": OFFER}
    # Act
    plain = post(render_service, "/v1/render", body)
    debug = post(render_service, "/v1/render?debug=1", body)
    explicit = post(render_service, "/v1/render?debug=0", body)
    # Assert
    assert (plain.status_code, debug.status_code) == (200, 200)
    assert debug.headers["Content-Type"] == "image/png"
    assert explicit.headers["ETag"] == plain.headers["ETag"]  # a plain render's hash stays
    assert debug.headers["ETag"] != plain.headers["ETag"]
    assert debug.headers["X-Offer-Render-Warnings"] == plain.headers["X-Offer-Render-Warnings"]
    with Image.open(io.BytesIO(plain.content)) as a, Image.open(io.BytesIO(debug.content)) as b:
        assert a.size == b.size == (320, 160)
        assert b.mode == "RGB"  # an opaque canvas stays opaque
        edge = (30, 80)  # the border box's left edge, halfway down
        assert a.getpixel(edge) != OUTLINE[:3]
        assert b.getpixel(edge) == OUTLINE[:3]


def test_debug_with_the_report_gives_the_plain_renders_report(
    render_service: RunningService, http_server: LocalServer
) -> None:
    body = {"template": template(http_server.base_url), "offer": OFFER, "format": "jpeg"}
    plain = post(render_service, "/v1/render?report=1", body).json()
    debug = post(render_service, "/v1/render?report=1&debug=1", body).json()
    assert debug["report"] == plain["report"]
    assert debug["image"] != plain["image"]


def test_debug_must_be_1_or_0(render_service: RunningService) -> None:
    got = post(render_service, "/v1/render?debug=maybe", {"template": {}})
    assert got.status_code == 422
    assert got.json()["error"] == "debug: must be 1 or 0 (got 'maybe')"


def test_the_openapi_document_names_the_debug_parameter(render_service: RunningService
                                                        ) -> None:
    spec = requests.get(render_service.url("/openapi.json"), timeout=10).json()
    names = [p["name"] for p in spec["paths"]["/v1/render"]["post"]["parameters"]]
    assert names == ["report", "debug"]
    assert "/studio/page" in spec["paths"]


# -- the page rules: one implementation --------------------------------------------------


def test_the_fidelity_check_draws_the_studios_page() -> None:
    from tests.fidelity import page as fidelity_page

    for name in ("build_page", "rect_style", "css_families", "fallback_families",
                 "font_face_rules", "BASE_CSS"):
        assert getattr(fidelity_page, name) is getattr(studio_page, name)


@pytest.mark.parametrize(("url", "css"), [
    ("http://h/a.png", 'url("http://h/a.png")'),
    ('http://h/a".png', 'url("http://h/a\\22 .png")'),
    ("http://h/a\\b\n.png", 'url("http://h/a\\5c b\\a .png")'),
])
def test_css_url_escapes_what_would_end_the_string(url: str, css: str) -> None:
    assert studio_page.css_url(url) == css

"""Strict mode turns a font that could not be had into an error that keeps what the fetch
said: its URL, and whether the network policy refused it (the render service answers a
refused URL 422, like a refused background, and a failed fetch 502).

The fetcher is the real one, against the local test server; the policy refuses private
addresses before any connection is made.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import ResourceError
from offer_render.resources.fetch import Fetcher
from offer_render.resources.fontdb import FontDatabase
from offer_render.resources.fonts import resolve_font_stack
from offer_render.resources.webfonts import FontCache
from offer_render.template.models import Rectangle
from tests.conftest import LocalServer, RunningService
from tests.helpers.servicedata import small_template

PRIVATE = "http://10.1.2.3"


def _rect(**kw: Any) -> Rectangle:
    base: dict[str, Any] = {
        "name": "Title", "width": 100, "height": 200, "padding": 5, "offset_left": 15,
        "offset_top": 5, "text_align": "center", "color": "#FF00FF", "font_size": 15,
        "font_family": "Raleway",
    }
    return Rectangle.model_validate(base | kw)


def _strict_error(rect: Rectangle, fetcher: Fetcher) -> ResourceError:
    with pytest.raises(ResourceError) as info:
        resolve_font_stack(rect, "Hello", fetcher=fetcher, fontdb=FontDatabase(),
                           limits=Limits(), diag=Diagnostics(strict=True), rect_index=2,
                           cache=FontCache())
    return info.value


def test_a_refused_stylesheet_url_stays_refused(fetcher: Fetcher) -> None:
    # Arrange
    url = f"{PRIVATE}/css2?family=Raleway"
    # Act
    error = _strict_error(_rect(font_url=url), fetcher)
    # Assert
    assert (error.url, error.field, error.refused) == (url, "rectangles[2].font_url", True)
    assert str(error) == (f"rectangles[2].font_url: {url}: address 10.1.2.3 (private) of host "
                          "10.1.2.3 is not allowed by the network policy (strict mode)")


def test_a_refused_font_file_url_stays_refused(
    http_server: LocalServer, fetcher: Fetcher
) -> None:
    # Arrange: an allowed stylesheet whose face lives at a private address
    face = f"{PRIVATE}/raleway.woff2"
    (http_server.served_tmp / "refused.css").write_text(
        f"@font-face {{ font-family: Raleway; src: url({face}) format('woff2'); }}")
    rect = _rect(font_url=http_server.url("/tmp/refused.css"))
    # Act
    error = _strict_error(rect, fetcher)
    # Assert
    assert (error.url, error.field, error.refused) == (face, "rectangles[2].font_family", True)


def test_a_stylesheet_that_fails_is_not_a_refusal(
    http_server: LocalServer, fetcher: Fetcher
) -> None:
    # Arrange
    url = http_server.url("/fonts/none.css")
    # Act
    error = _strict_error(_rect(font_url=url), fetcher)
    # Assert
    assert (error.url, error.refused, error.transient) == (url, False, False)
    assert error.reason == "HTTP 404 File not found (strict mode)"


def test_the_service_answers_a_refused_font_url_in_strict_mode_422(
    render_service: RunningService, http_server: LocalServer
) -> None:
    # Arrange
    url = f"{PRIVATE}/css2?family=Raleway"
    body = {"template": small_template(http_server.base_url, rect={"font_url": url}),
            "strict": True}
    # Act
    got = requests.post(render_service.url("/v1/render"), json=body, timeout=30)
    # Assert
    assert got.status_code == 422
    answer = got.json()
    assert (answer["url"], answer["problems"][0]["path"]) == (url, "rectangles[0].font_url")
    assert "10.1.2.3 (private)" in answer["reason"]

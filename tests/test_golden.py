"""Golden renders of the demo examples, fonts and backgrounds served over local HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from offer_render import NetworkPolicy, Renderer, RendererConfig
from tests.conftest import LocalServer
from tests.helpers.examples import demo_entries, served_offer
from tests.helpers.golden import assert_golden


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(RendererConfig(network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}))))


@pytest.mark.parametrize("entry", demo_entries(), ids=lambda e: e["name"])
def test_demo_example_matches_its_golden_png(
    entry: dict[str, Any], http_server: LocalServer, renderer: Renderer
) -> None:
    offer = served_offer(entry["file"], http_server.base_url)
    result = renderer.render(
        None, offer, locale=entry.get("locale"), format="png", scale=entry.get("scale", 1)
    )
    assert_golden(entry["name"], result.data)


def test_goldens_cover_every_rectangle_property() -> None:
    used: dict[str, set[str]] = {}
    for entry in demo_entries():
        offer = served_offer(entry["file"], "http://x")
        for rect in offer["image_template"]["rectangles"]:
            for key, value in rect.items():
                used.setdefault(key, set()).add(str(value))
    spec_keys = {
        "name", "width", "height", "padding", "offset_left", "offset_top", "text_align",
        "color", "font_size", "font_family", "font_url", "content", "number",
        "text_decoration", "font_style", "font_weight", "vertical_align", "line_height",
        "letter_spacing", "max_lines", "fit", "min_font_size",
    }
    assert spec_keys <= used.keys()
    assert {"left", "center", "right", "justify"} <= used["text_align"]
    assert {"top", "middle", "bottom"} <= used["vertical_align"] | {"top"}
    assert {"underline", "overline", "line-through"} <= used["text_decoration"]
    assert {"italic", "oblique"} <= used["font_style"]
    assert {"bold", "bolder", "lighter", "300", "600"} <= used["font_weight"]
    assert {"clip", "shrink"} <= used["fit"] | {"clip"}
    colors = used["color"]
    assert any(len(c) == 4 for c in colors)
    assert any(len(c) == 7 for c in colors)
    assert any(len(c) == 9 for c in colors)

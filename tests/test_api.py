"""The library's surface: what it exports, how its options are spelled, what a result carries."""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any

import pytest

import offer_render
from offer_render import RenderWarning, render
from offer_render.api import Renderer
from offer_render.config import RendererConfig
from offer_render.version import __version__

TEMPLATE: dict[str, Any] = {
    "width": 200, "height": 60, "font_sise": 3,  # an unknown key: a template warning
    "rectangles": [{
        "name": "t", "width": 200, "height": 60, "padding": 2, "offset_left": 0,
        "offset_top": 0, "text_align": "left", "color": "#000", "font_size": 16,
        "font_family": "serif", "font_url": None, "content": "{{ nope }} ok",
    }],
}


@pytest.mark.parametrize("name", ["Renderer", "RenderResult", "Painted", "RendererConfig",
                                  "CacheLimits", "Limits", "NetworkPolicy", "RenderWarning",
                                  "render", "__version__"])
def test_the_public_names_are_exported(name: str) -> None:
    assert name in offer_render.__all__
    assert getattr(offer_render, name) is not None


@pytest.mark.parametrize("func", [render, Renderer.render, Renderer.render_locales,
                                  Renderer.paint])
def test_options_are_spelled_out_for_type_checkers(func: Any) -> None:
    # Arrange / Act
    params = inspect.signature(func).parameters.values()
    # Assert: no **options, and every keyword option has an annotation
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    options = [p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert {"scale", "strict", "context", "collections", "deadline"} <= {p.name for p in options}
    assert all(p.annotation is not inspect.Parameter.empty for p in options)


def test_warnings_are_typed_objects_on_the_result() -> None:
    # Arrange / Act
    result = Renderer(RendererConfig(cache_dir=None)).render(TEMPLATE, format="png")
    # Assert: the same warnings as the report, as RenderWarning objects
    assert all(isinstance(w, RenderWarning) for w in result.warnings)
    listed = result.report["warnings"] + [
        w for rect in result.report["rectangles"] for w in rect["warnings"]]
    assert sorted(w.to_json()["code"] for w in result.warnings) == sorted(
        w["code"] for w in listed)
    codes = {(w.code, w.rect) for w in result.warnings}
    assert {("unknown_key", None), ("unknown_placeholder", 0)} <= codes


def test_the_raster_front_door_is_a_function_beside_its_modules() -> None:
    # compose() is the stage's entry; no module of the same name hides behind it
    assert callable(offer_render.raster.compose)
    assert importlib.util.find_spec("offer_render.raster.compose") is None
    assert importlib.util.find_spec("offer_render.raster.composition") is not None
    assert importlib.util.find_spec("offer_render.raster.freetype") is not None
    assert importlib.util.find_spec("offer_render.resources.freetype") is None


def test_the_user_agent_carries_the_one_version() -> None:
    assert RendererConfig().user_agent == f"offer-render/{__version__}"
    assert offer_render.__version__ == __version__

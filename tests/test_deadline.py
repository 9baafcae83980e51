"""A render's deadline bounds its fetches; a stored copy stands in when its host fails."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from offer_render import NetworkPolicy, Renderer, RendererConfig
from offer_render.config import Limits
from offer_render.errors import InvalidInputError, ResourceError
from offer_render.resources.deadline import render_deadline, time_left
from offer_render.resources.fetch import DiskFetchCache, LayeredFetchCache, MemoryFetchCache
from tests.conftest import LocalServer
from tests.test_fetchcache import MB, count, fetcher, served

LOCAL = NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}))


def renderer(**config: Any) -> Renderer:
    return Renderer(RendererConfig(network=LOCAL, cache_dir=None, **config))


def template(font_urls: list[str], background: str | None = None) -> dict[str, Any]:
    rects = [{"name": f"r{i}", "content": "Coffee", "width": 200, "height": 40, "padding": 0,
              "offset_left": 0, "offset_top": 40 * i, "text_align": "left", "color": "#000",
              "font_size": 20, "font_family": f"Web{i}, sans-serif", "font_url": url}
             for i, url in enumerate(font_urls)]
    out: dict[str, Any] = {"width": 200, "height": 40 * max(1, len(rects)), "rectangles": rects}
    if background:
        out["background_url"] = background
    return out


def warnings_of(result: Any) -> list[dict[str, Any]]:
    return [w for r in result.report["rectangles"] for w in r["warnings"]]


def test_slow_font_hosts_cost_the_deadline_not_a_timeout_each(http_server: LocalServer) -> None:
    r = renderer(limits=Limits(fetch_timeout=10))
    tpl = template([http_server.url("/slow?a"), http_server.url("/slow?b")])
    start = time.monotonic()
    result = r.render(tpl, format="png", deadline=1.0)
    elapsed = time.monotonic() - start
    assert elapsed < 5  # one second of budget, not 2 x 10 s of per-fetch timeouts
    messages = [w["message"] for w in warnings_of(result) if w["code"] == "font_unavailable"]
    assert len(messages) == 2
    assert "the render's deadline" in messages[0]
    assert "deadline has passed" in messages[1]


def test_the_configured_deadline_applies_and_a_late_background_is_an_error(
    http_server: LocalServer,
) -> None:
    r = renderer(limits=Limits(fetch_timeout=10), render_deadline=0.5)
    start = time.monotonic()
    with pytest.raises(ResourceError, match="background_url.*render's deadline"):
        r.render(template([], background=http_server.url("/slow?bg")), format="png")
    assert time.monotonic() - start < 5


def test_what_is_cached_and_fresh_needs_no_time(http_server: LocalServer) -> None:
    r = renderer()
    tpl = template([http_server.url("/fonts/raleway.css")])
    first = r.render(tpl, format="png")
    again = r.render(tpl, format="png", deadline=1e-6)
    assert again.data == first.data
    assert not [w for w in warnings_of(again) if w["code"] == "font_unavailable"]


@pytest.mark.parametrize("bad", [0, -1, "soon", True])
def test_a_deadline_must_be_positive_seconds(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="deadline: must be a number of seconds"):
        renderer().render(template([]), deadline=bad)


def test_budgets_nest_and_stay_in_their_thread() -> None:
    assert time_left() is None
    with render_deadline(10):
        outer = time_left()
        with render_deadline(60):
            inner = time_left()
        with render_deadline(0.5):
            short = time_left()
    assert outer is not None
    assert inner is not None
    assert short is not None
    assert inner <= outer <= 10  # the earlier end wins
    assert short <= 0.5
    assert time_left() is None


@pytest.mark.parametrize(("status", "kept"), [(503, True), (500, True), (404, False)])
def test_a_stored_copy_stands_in_when_its_host_fails(
    http_server: LocalServer, tmp_path: Path, status: int, kept: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = f"flaky{status}.bin"
    url = served(http_server, name, b"stored", max_age=0) + f"&missing={status}"
    cache = LayeredFetchCache(MemoryFetchCache(), DiskFetchCache(tmp_path))
    f = fetcher(cache, max_age=0)
    assert f.fetch(url, max_bytes=MB, what="font").data == b"stored"
    (http_server.served_tmp / name).unlink()  # the host now answers `status`
    with caplog.at_level(logging.WARNING, logger="offer_render"):
        if kept:
            assert f.fetch(url, max_bytes=MB, what="font").data == b"stored"
        else:
            with pytest.raises(ResourceError, match="HTTP 404"):
                f.fetch(url, max_bytes=MB, what="font")
    assert count(http_server, name) == 2
    fallback = f"using the stored copy of {url}: HTTP {status}"
    assert (fallback in caplog.text) is kept

"""The render turn: one thread at a time computes a render, and another renders while one
waits on a fetch, the network's or a fetcher's of the caller's."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from offer_render import NetworkPolicy, Renderer, RendererConfig
from offer_render.gil import outside_turn, render_turn
from offer_render.resources.fetch import Fetched

WAIT = 30.0  # seconds a step may take before the test calls it stuck


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def template(background_url: str | None = None) -> dict[str, Any]:
    return {"width": 40, "height": 30, "background_url": background_url, "rectangles": [{
        "name": "t", "width": 40, "height": 30, "offset_left": 0, "offset_top": 0,
        "padding": 0, "text_align": "left", "font_family": "Noto Sans", "font_url": None,
        "font_size": 12, "color": "#000000", "content": "Hi"}]}


def test_a_turn_keeps_other_threads_out_until_its_holder_gives_it_up() -> None:
    entered = threading.Event()

    def other() -> None:
        with render_turn():
            entered.set()

    with render_turn():
        thread = threading.Thread(target=other)
        thread.start()
        assert not entered.wait(0.2)  # held here: the other thread waits
        with outside_turn():
            assert entered.wait(WAIT)  # given up: it gets in
        with render_turn():  # taken again inside the turn: nothing to wait for
            pass
    thread.join(WAIT)
    assert not thread.is_alive()


def test_giving_up_a_turn_not_held_does_nothing() -> None:
    with outside_turn():
        pass
    with render_turn():
        pass


class GatedFetcher:
    """A caller's fetcher whose answer waits for the test to open the gate."""

    def __init__(self) -> None:
        self.waiting = threading.Event()
        self.gate = threading.Event()

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        self.waiting.set()
        assert self.gate.wait(WAIT)
        return Fetched(url=url, data=png(), content_type="image/png")


def render_while_another_waits(renderer: Renderer, url: str,
                               waiting: threading.Event, gate: threading.Event) -> None:
    """Render ``url``'s background on a thread, and while its fetch waits, render another
    template on this renderer from another thread: that render must finish first."""
    results: dict[str, bytes] = {}

    def waiter() -> None:
        results["waiter"] = renderer.render(template(url)).data

    def other() -> None:
        results["other"] = renderer.render(template()).data

    slow = threading.Thread(target=waiter)
    slow.start()
    assert waiting.wait(WAIT)
    quick = threading.Thread(target=other)
    quick.start()
    quick.join(WAIT)
    finished_first = not quick.is_alive()
    gate.set()
    slow.join(WAIT)
    quick.join(WAIT)
    assert finished_first, "a render waited for another render's fetch"
    assert set(results) == {"waiter", "other"}


def test_a_render_waiting_on_a_callers_fetcher_lets_another_thread_render() -> None:
    fetcher = GatedFetcher()
    renderer = Renderer(RendererConfig(cache_dir=None), fetcher=fetcher)
    render_while_another_waits(renderer, "https://example.test/bg.png", fetcher.waiting,
                               fetcher.gate)


@pytest.fixture
def gated_server() -> Iterator[tuple[str, threading.Event, threading.Event]]:
    """Serve one PNG whose answer waits for the test to open the gate."""
    waiting, gate = threading.Event(), threading.Event()
    body = png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            waiting.set()
            gate.wait(WAIT)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/bg.png", waiting, gate
    finally:
        gate.set()
        httpd.shutdown()
        httpd.server_close()


def test_a_render_waiting_on_the_network_lets_another_thread_render(
    gated_server: tuple[str, threading.Event, threading.Event],
) -> None:
    url, waiting, gate = gated_server
    policy = NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}))
    renderer = Renderer(RendererConfig(network=policy, cache_dir=None))
    render_while_another_waits(renderer, url, waiting, gate)

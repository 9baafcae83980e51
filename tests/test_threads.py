"""One Renderer shared by 8 threads gives the same bytes as serial calls."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from offer_render import NetworkPolicy, Renderer, RendererConfig
from offer_render.cache import clear_process_caches

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "examples"
CASES = [("coffee-week.json", "en", "jpeg"), ("coffee-week.json", "pl", "png"),
         ("cat-cafe.json", "pl", "webp"), ("sticker.json", "en", "png"),
         ("platform-sample.json", "en", "jpeg")]


def renderer() -> Renderer:
    policy = NetworkPolicy(offline=True, allow_local_files=True, base_dir=EXAMPLES)
    return Renderer(RendererConfig(network=policy, cache_dir=None))


def render(r: Renderer, case: tuple[str, str, str]) -> bytes:
    file, locale, fmt = case
    offer = json.loads((EXAMPLES / file).read_text(encoding="utf-8"))
    return r.render(None, offer, locale=locale, format=fmt).data


def test_eight_threads_on_one_cold_renderer_match_serial_renders() -> None:
    serial = {case: render(renderer(), case) for case in CASES}
    clear_process_caches()  # the threads start cold and race to fill every cache
    shared = renderer()
    jobs = [case for _ in range(6) for case in CASES]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda case: (case, render(shared, case)), jobs))
    assert len(results) == len(jobs)
    for case, data in results:
        assert data == serial[case], case

"""Print renders per second from 1, 2 and 4 threads sharing one Renderer, and from a RenderPool
of 1 and 2 processes, on the same offers, in one run.

    .venv/bin/python benchmarks/bench_threads.py [--seconds 5]

The template is the seed-like 1080x1080 JPEG of ``bench_warm.py`` ("paragraph/photo": a
photo, a title in Raleway, a justified paragraph in Playfair Display), its fonts and
photo served from a local HTTP server; every render has its own title and paragraph
(an offer's name and description), so layout and drawing run each time, as they do
when offers differ. Each configuration renders for ``--seconds`` after a warm-up; the
ratios to one thread and to one process are what to read (absolute rates drift on a
shared machine).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_warm import LOREM, make_assets, templates  # noqa: E402

from offer_render import NetworkPolicy, Renderer, RendererConfig  # noqa: E402
from offer_render.pool import RenderPool  # noqa: E402
from tests.fidelity.server import serve  # noqa: E402

WORDS = LOREM.replace(",", "").replace(".", "").split()


def offers(n: int) -> list[dict[str, Any]]:
    """Return ``n`` offers whose names and descriptions all differ."""
    out = []
    for i in range(n):
        words = [WORDS[(i * 7 + k * 5) % len(WORDS)] for k in range(2 + i % 3)]
        body = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(24 + i % 9))
        out.append({"id": i, "name": {"en": " ".join(words).capitalize() + f" {i}"},
                    "description": {"en": body.capitalize() + "."}})
    return out


def template(base: str) -> dict[str, Any]:
    """Return the seed-like template with the offer's name and description as its texts."""
    tmpl: dict[str, Any] = json.loads(json.dumps(templates(base)["paragraph/photo"]).replace(
        f"{base}/tmp/", f"{base}/__pages/"))  # bench_warm's assets are in the pages folder
    tmpl["rectangles"][0]["content"] = "{{ name }}"
    tmpl["rectangles"][1]["content"] = "{{ description }}"
    return tmpl


def threads_rate(renderer: Renderer, tmpl: dict[str, Any], items: list[dict[str, Any]],
                 threads: int, seconds: float) -> float:
    """Return renders per second of ``threads`` threads rendering ``items`` for ``seconds``."""
    source = itertools.cycle(items)
    lock = threading.Lock()
    done = [0]
    stop = time.perf_counter() + seconds

    def work() -> None:
        count = 0
        while time.perf_counter() < stop:
            with lock:
                offer = next(source)
            renderer.render(tmpl, offer, format="jpeg")
            count += 1
        with lock:
            done[0] += count

    start = time.perf_counter()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return done[0] / (time.perf_counter() - start)


def pool_rate(config: RendererConfig, tmpl: dict[str, Any], items: list[dict[str, Any]],
              workers: int, seconds: float) -> float:
    """Return renders per second of a RenderPool of ``workers`` processes kept busy."""
    with RenderPool(config, workers=workers) as pool:
        list(pool.map(items[: 20 * workers], template=tmpl, format="jpeg"))  # warm them all
        source = itertools.cycle(items)
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            batch = [next(source) for _ in range(16 * workers)]
            done += len(list(pool.map(batch, template=tmpl, format="jpeg")))
        return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    items = offers(2000)
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp), "max-age=3600") as base:
        make_assets(Path(tmp))
        config = RendererConfig(network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                                cache_dir=Path(tmp) / "cache", font_source=None,
                                default_max_age=3600)
        tmpl = template(base)
        renderer = Renderer(config)
        for offer in items[:200]:  # warm: fonts, background, coded rows
            renderer.render(tmpl, offer, format="jpeg")
        rates = {n: threads_rate(renderer, tmpl, items, n, args.seconds) for n in (1, 2, 4)}
        procs = {n: pool_rate(config, tmpl, items, n, args.seconds) for n in (1, 2)}
    print("seed-like 1080x1080 JPEG, every offer's texts different")
    for n, r in rates.items():
        print(f"{n} thread{'s' if n > 1 else ' '}:   {r:7.1f} renders/s  ({r / rates[1]:.2f}x one)")
    for n, r in procs.items():
        word = "processes" if n > 1 else "process  "
        print(f"pool, {n} {word}: {r:7.1f} renders/s  ({r / procs[1]:.2f}x one)")


if __name__ == "__main__":
    main()

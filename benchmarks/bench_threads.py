"""Print renders per second from 1, 2 and 4 threads sharing one Renderer, and from a RenderPool
of 1 and 2 processes, on the same offers, in one run.

    .venv/bin/python benchmarks/bench_threads.py [--seconds 5]

The template is the seed-like 1080x1080 JPEG of ``bench_warm.py`` ("paragraph/photo": a
photo, a title in Raleway, a justified paragraph in Playfair Display), its fonts and
photo served from a local HTTP server; every render has its own title and paragraph
(an offer's name and description), so layout and drawing run each time, as they do
when offers differ.

This machine is shared: its speed moves by a fifth or more over a few seconds, so
configurations measured one after the other for seconds each meet different machines.
Each configuration renders for ``--seconds`` (1) at a time, in turn, ``--rounds`` (5)
times; each ratio is taken within a round, between neighbouring windows, and the
median of the rounds' ratios is printed with them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
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


def pool_rate(pool: RenderPool, tmpl: dict[str, Any], items: list[dict[str, Any]],
              seconds: float) -> float:
    """Return renders per second of a RenderPool kept busy for ``seconds``."""
    source = itertools.cycle(items)
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        batch = [next(source) for _ in range(16 * pool.workers)]
        done += len(list(pool.map(batch, template=tmpl, format="jpeg")))
    return done / (time.perf_counter() - start)


def in_turn(measures: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run every measure once per round, in turn; return each one's rates, round by round."""
    rates: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            rates[name].append(measure())
    return rates


def print_ratios(rates: dict[str, list[float]], unit: str) -> None:
    """Print each measure's median rate and its ratios to the first, round by round."""
    first = next(iter(rates.values()))
    for name, values in rates.items():
        ratios = [v / f for v, f in zip(values, first, strict=True)]
        rounds = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"{name:22} {statistics.median(values):7.1f} {unit}  "
              f"median {statistics.median(ratios):.2f}x {next(iter(rates))} (rounds: {rounds})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="seconds each configuration renders in its turn (1)")
    parser.add_argument("--rounds", type=int, default=5, help="turns of every configuration (5)")
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
        threads = in_turn({f"{n} thread{'s' if n > 1 else ''}": partial(
            threads_rate, renderer, tmpl, items, n, args.seconds) for n in (1, 2, 4)},
            args.rounds)
        with RenderPool(config, workers=1) as one, RenderPool(config, workers=2) as two:
            for pool in (one, two):  # warm every worker
                list(pool.map(items[: 20 * pool.workers], template=tmpl, format="jpeg"))
            pools = in_turn({
                "pool, 1 process": partial(pool_rate, one, tmpl, items, args.seconds),
                "pool, 2 processes": partial(pool_rate, two, tmpl, items, args.seconds),
            }, args.rounds)
    print(f"seed-like 1080x1080 JPEG, every offer's texts different; {args.rounds} rounds of "
          f"{args.seconds:g} s per configuration, in turn")
    print_ratios(threads, "renders/s")
    print_ratios(pools, "renders/s")

if __name__ == "__main__":
    main()

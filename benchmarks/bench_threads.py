"""Print renders per second from 1, 2 and 4 threads sharing one Renderer, and from a RenderPool
of 1 and 2 processes, on the same offers, in one run.

    .venv/bin/python benchmarks/bench_threads.py [--renders 1200] [--rounds 3]

The template is the seed-like 1080x1080 JPEG of ``bench_warm.py`` ("paragraph/photo": a
photo, a title in Raleway, a justified paragraph in Playfair Display), its fonts and
photo served from a local HTTP server; every render has its own title and paragraph
(an offer's name and description), so layout and drawing run each time, as they do
when offers differ.

Each configuration runs in a child process that warms up, then renders ``--renders``
offers. The ratios are measured on pairs taken in turns every 50 ms (``turns.py``:
this machine's speed moves by a fifth over a few seconds, so configurations measured
one after the other meet different machines): 2 threads, 4 threads and a pool of 1
process each against 1 thread, a pool of 2 processes against a pool of 1. Each round's
ratios are printed, then their medians, what handing a lock (and the GIL with it) to a
sleeping thread costs on this machine, and each configuration's median rate. The
pool's side drops each result once received, as the threads' side does.
"""

from __future__ import annotations

import argparse
import json
import statistics
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
from turns import child_done, child_ready, take_turns  # noqa: E402

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


def render_all(renderer: Renderer, tmpl: dict[str, Any], items: list[dict[str, Any]],
               threads: int) -> int:
    """Render every offer of ``items`` from ``threads`` threads sharing ``renderer``."""
    source = iter(items)
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                offer = next(source, None)
            if offer is None:
                return
            renderer.render(tmpl, offer, format="jpeg")

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return len(items)


def handoff_us(handoffs: int = 20000) -> float:
    """Return the wall time, in microseconds, of handing a lock from one thread to another
    that sleeps waiting for it (and the GIL with it): what a render pays each time it lets
    another thread in mid-render."""
    ping, pong = threading.Lock(), threading.Lock()
    ping.acquire()
    pong.acquire()

    def other() -> None:
        for _ in range(handoffs // 2):
            ping.acquire()
            pong.release()

    peer = threading.Thread(target=other)
    peer.start()
    start = time.perf_counter()
    for _ in range(handoffs // 2):
        ping.release()
        pong.acquire()
    elapsed = time.perf_counter() - start
    peer.join()
    return elapsed / handoffs * 1e6


def child(kind: str, base: str, pages: Path, renders: int) -> None:
    """Warm up as ``kind`` (``threads-N`` or ``pool-N``), then render ``renders`` offers."""
    config = RendererConfig(network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                            cache_dir=pages / "cache", font_source=None, default_max_age=3600)
    tmpl = template(base)
    items = offers(200 + renders)
    what, count = kind.split("-")
    if what == "threads":
        renderer = Renderer(config)
        for offer in items[:200]:  # warm: fonts, background, coded rows
            renderer.render(tmpl, offer, format="jpeg")
        child_ready()
        child_done(render_all(renderer, tmpl, items[200:], int(count)), {})
        return
    with RenderPool(config, workers=int(count)) as pool:
        list(pool.map(items[: 20 * pool.workers], template=tmpl, format="jpeg"))
        child_ready()
        # each result is dropped once received, as render_all's threads drop theirs: kept,
        # 1,200 images of 210 KB made the pool's process fault in 250 MB and its garbage
        # collector walk them, CPU time taken from the workers' cores
        done = sum(1 for _ in pool.map(items[200:], template=tmpl, format="jpeg"))
        child_done(done, {})


PAIRS = (("threads-1", "threads-2"), ("threads-1", "threads-4"), ("threads-1", "pool-1"),
         ("pool-1", "pool-2"))
LABELS = {"threads-1": "1 thread", "threads-2": "2 threads", "threads-4": "4 threads",
          "pool-1": "pool, 1 process", "pool-2": "pool, 2 processes"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=1200,
                        help="offers each configuration renders per round (1200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the four pairs (3)")
    parser.add_argument("--slice", type=float, default=0.05,
                        help="seconds each configuration of a pair runs in its turn (0.05)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--pages", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        child(args.one, args.base, Path(args.pages), args.renders)
        return
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp), "max-age=3600") as base:
        make_assets(Path(tmp))

        def pair_in_turns(k: int, pair: tuple[str, str]) -> dict[str, dict[str, Any]]:
            return take_turns(
                {kind: [sys.executable, __file__, "--one", kind, "--base", base, "--pages", tmp,
                        "--renders", str(args.renders)] for kind in pair},
                Path(tmp) / f"round{k}-{'-'.join(pair)}", args.slice)

        rounds = [{pair: pair_in_turns(k, pair) for pair in PAIRS} for k in range(args.rounds)]
    print(f"seed-like 1080x1080 JPEG, every offer's texts different; {args.renders} renders "
          f"per configuration and round, each pair in turns of {args.slice * 1000:.0f} ms")
    for a, b in PAIRS:
        ratios = [r[(a, b)][b]["rate"] / r[(a, b)][a]["rate"] for r in rounds]
        print(f"  {LABELS[b]:18} {statistics.median(ratios):.2f}x {LABELS[a]}  (rounds: "
              + ", ".join(f"{x:.2f}" for x in ratios) + ")")
    print(f"handing a lock (and the GIL) to a waiting thread: "
          f"{statistics.median(handoff_us() for _ in range(3)):.0f} us "
          f"(median of 3 x 20,000 handoffs)")
    print("median rates:")
    for kind in LABELS:
        rates = [r[pair][kind]["rate"] for r in rounds for pair in PAIRS if kind in pair]
        print(f"  {LABELS[kind]:18} {statistics.median(rates):7.1f} renders/s")


if __name__ == "__main__":
    main()

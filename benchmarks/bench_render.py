"""Time warm renders of the demo examples against the encode-only floor, in one run.

Prints, per example and format, the median warm render time, the median time
Pillow takes to encode the finished image with the same settings, and their
ratio (engine/floor). Absolute times drift on a shared machine; ratios measured
in one run hold. Usage: ``python benchmarks/bench_render.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from offer_render import NetworkPolicy, Renderer, RendererConfig
from offer_render.encode import encode

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "examples"


def median_time(func: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of ``func`` over ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print one table row per example and format."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    policy = NetworkPolicy(offline=True, allow_local_files=True, base_dir=EXAMPLES)
    renderer = Renderer(RendererConfig(network=policy))
    print(f"{'example':<18}{'format':<7}{'warm ms':>9}{'floor ms':>10}{'engine/floor':>14}")
    for name in ("platform-sample", "coffee-week", "cat-cafe"):
        offer = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
        for fmt in ("jpeg", "png"):
            renderer.render(None, offer, format=fmt)  # warm the caches
            warm = median_time(partial(renderer.render, None, offer, format=fmt), args.repeat)
            image = renderer.paint(None, offer).image
            floor = median_time(partial(encode, image, fmt), args.repeat)
            print(f"{name:<18}{fmt:<7}{warm * 1e3:>9.2f}{floor * 1e3:>10.2f}{warm / floor:>14.2f}")


if __name__ == "__main__":
    main()

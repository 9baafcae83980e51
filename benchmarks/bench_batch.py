"""Time ``offer-render batch`` with 1 and 2 local jobs on the same offers, in one run.

Generates ``--offers`` offers (default 600) from the bundled examples with
varied names and descriptions, their fonts and backgrounds read from local
files (no network), renders them with ``--jobs 1`` and ``--jobs 2`` into fresh
folders, each timed end to end (pool start, hashing, rendering, writing, the
manifest; the engine is imported before either), and prints images/second for
each and their ratio. Absolute rates drift on a shared machine; the ratio
measured in one run holds, as long as nothing else runs on those cores.
Usage: ``python benchmarks/bench_batch.py [--offers N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import offer_render.api  # noqa: F401 - imported before timing, so neither run pays for it
from offer_render.batch import BatchOptions, run_batch
from offer_render.config import NetworkPolicy, RendererConfig

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "examples"
KINDS = ("coffee-week", "cat-cafe", "platform-sample", "sticker")
WORDS = ("espresso", "croissant", "weekend", "double", "points", "free", "latte", "bagel",
         "breakfast", "happy", "hour", "members", "only", "today", "Kraków", "Łódź")


def make_offers(n: int) -> list[dict[str, Any]]:
    """Return ``n`` offers cycling through the examples, each with its own text."""
    offers = []
    for i in range(n):
        offer = json.loads((EXAMPLES / f"{KINDS[i % len(KINDS)]}.json").read_text("utf-8"))
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(2 + i % 5)]
        offer["id"] = f"bench-{i:05d}"
        offer["name"] = {"en": " ".join(words).capitalize(), "pl": f"Oferta {i}"}
        offer["description"] = {"en": f"Offer {i}: " + " ".join(reversed(words * 2)) + "."}
        offers.append(offer)
    return offers


def rate(offers_path: Path, out_dir: Path, jobs: int) -> float:
    """Return images per second of one fresh batch run with ``jobs`` local workers."""
    policy = NetworkPolicy(offline=True, allow_local_files=True, base_dir=EXAMPLES)
    options = BatchOptions(offers=offers_path, out_dir=out_dir, jobs=jobs, progress="none",
                           config=RendererConfig(network=policy), allow_local_files=True)
    start = time.perf_counter()
    summary = run_batch(options)
    seconds = time.perf_counter() - start
    if summary.ok != summary.total:
        msg = f"jobs={jobs}: {summary.error} items failed"
        raise SystemExit(msg)
    return summary.ok / seconds


def main() -> None:
    """Print images/second for 1 and 2 jobs and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offers", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=1, help="runs per job count; best kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        offers_path = root / "offers.jsonl"
        offers_path.write_text(
            "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in make_offers(args.offers)),
            encoding="utf-8")
        rates: dict[int, float] = {}
        for r in range(args.repeat):
            for jobs in (1, 2):
                got = rate(offers_path, root / f"out-{jobs}-{r}", jobs)
                rates[jobs] = max(rates.get(jobs, 0.0), got)
    print(f"offers: {args.offers} (from {', '.join(KINDS)}), local files, png")
    print(f"--jobs 1: {rates[1]:7.1f} images/s")
    print(f"--jobs 2: {rates[2]:7.1f} images/s")
    print(f"ratio 2/1: {rates[2] / rates[1]:.2f}")


if __name__ == "__main__":
    main()

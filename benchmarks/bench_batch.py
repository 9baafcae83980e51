"""Print the batch's throughput against the engine's, in one run: in process, --jobs 1,
--jobs 2 and Dask with two workers, their ratios, and peak RSS.

    .venv/bin/python benchmarks/bench_batch.py [--offers 4800] [--rounds 3]
    .venv/bin/python benchmarks/bench_batch.py --rss-offers 100000   # RSS over a long batch

The offers are small offer images (300x200 PNG, one web font, Raleway, from a stylesheet
on a local HTTP server) whose texts all differ. Each measurement runs in a fresh child
process (so no state carries over and its peak RSS is its own):

- engine: a warm Renderer rendering every offer in one process, no files written;
- ``--jobs 1``, ``--jobs 2``: ``run_batch`` into an empty folder, end to end (planning,
  hashing, rendering, writing, the manifest, durability);
- dask: the same batch on a ``LocalCluster`` of two worker processes (one thread each),
  started before the clock starts, with the worker settings the README advises for
  rendering (``DASK_WORKER_CONFIG``; ``BENCH_DASK_DEFAULTS=1`` keeps Dask's defaults).

The four run in turn, ``--rounds`` times; each one's best rate is printed, with the
ratios measured within each round (the machine is shared: a round a neighbour slows
down shows in its ratios, and the best rates are the machine's own).

Peak RSS is each process's high-water mark (VmHWM): the driver's, and the largest of
its workers'. ``--rss-offers`` renders one long batch with ``--jobs 1`` and prints the
driver's resident memory every tenth of the way, and its growth from the first tenth
to the last: flat after warm-up is the target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

KINDS = ("engine", "1", "2", "dask")
WORDS = ("espresso", "croissant", "weekend", "double", "points", "free", "latte", "bagel",
         "breakfast", "happy", "hour", "members", "only", "today", "Kraków", "Łódź",
         "matcha", "muffin", "brunch", "sale")


def template(base: str) -> dict[str, Any]:
    """Return a 300x200 template: the offer's name in Raleway over a flat background."""
    return {"width": 300, "height": 200, "rectangles": [{
        "name": "title", "width": 280, "height": 180, "padding": 8, "offset_left": 10,
        "offset_top": 10, "text_align": "center", "color": "#1A1A1A", "font_size": 26,
        "font_weight": "bold", "font_family": "Raleway, sans-serif",
        "font_url": f"{base}/fixtures/fonts/raleway.css", "content": "{{ name }}"}]}


def make_offers(n: int, base: str) -> list[dict[str, Any]]:
    """Return ``n`` offers with their own template copy and texts that all differ."""
    tmpl = template(base)
    out = []
    for i in range(n):
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(2 + i % 4)]
        out.append({"id": f"bench-{i:06d}", "name": {"en": " ".join(words).capitalize()
                                                      + f" {i}"},
                    "image_template": tmpl})
    return out


def _hwm_kb(pid: int | str = "self") -> int:
    """Return the peak resident set (VmHWM) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def measure(kind: str, offers_path: Path, out: Path, base: str) -> dict[str, Any]:
    """Run one measurement in this process; return its rate and peak RSS (child side)."""
    from offer_render import NetworkPolicy, Renderer, RendererConfig
    from offer_render.batch import BatchOptions, run_batch

    config = RendererConfig(network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                            cache_dir=out.parent / "cache", font_source=None,
                            default_max_age=3600)
    offers = [json.loads(line) for line in offers_path.read_text("utf-8").splitlines()]
    if kind == "engine":
        renderer = Renderer(config)
        for offer in offers[:50]:
            renderer.render(None, offer)
        start = time.perf_counter()
        for offer in offers:
            renderer.render(None, offer)
        seconds = time.perf_counter() - start
        return {"rate": len(offers) / seconds, "driver_mb": _hwm_kb() / 1024, "worker_mb": 0.0}
    cluster = client = None
    options: dict[str, Any] = {}
    if kind == "dask":
        import dask
        from distributed import Client, LocalCluster

        from offer_render.batch.executors import DASK_WORKER_CONFIG

        settings = DASK_WORKER_CONFIG if os.environ.get("BENCH_DASK_DEFAULTS") != "1" else {}
        with dask.config.set(settings):
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(cluster)
        options = {"executor": "dask", "scheduler": cluster.scheduler_address, "jobs": 2}
    else:
        options = {"jobs": int(kind)}
    batch = BatchOptions(offers=offers_path, out_dir=out, progress="none", config=config,
                         **options)
    start = time.perf_counter()
    summary = run_batch(batch)
    seconds = time.perf_counter() - start
    if summary.ok != summary.total:
        msg = f"{kind}: {summary.error} items failed"
        raise SystemExit(msg)
    # the largest child: a pool worker (the OpenType Sanitizer runs as a child too, briefly)
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if (
        kind != "1") else 0.0
    if client is not None:
        worker_mb = max(client.run(_hwm_kb).values()) / 1024
        client.close()
        assert cluster is not None
        cluster.close()
    return {"rate": summary.ok / seconds, "driver_mb": _hwm_kb() / 1024, "worker_mb": worker_mb}


def long_batch(offers_path: Path, out: Path, n: int) -> list[tuple[int, float]]:
    """Run one ``--jobs 1`` batch and sample the resident memory every tenth of it."""
    from offer_render import NetworkPolicy, RendererConfig
    from offer_render.batch import BatchOptions, run_batch

    config = RendererConfig(network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                            cache_dir=out.parent / "cache", font_source=None,
                            default_max_age=3600)
    samples: list[tuple[int, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            manifest = out / "manifest.jsonl"
            done = manifest.read_bytes().count(b"\n") if manifest.exists() else 0
            if not samples or done >= samples[-1][0] + n // 10:
                rss = next(int(line.split()[1]) for line in
                           Path("/proc/self/status").read_text().splitlines()
                           if line.startswith("VmRSS:"))
                samples.append((done, rss / 1024))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    run_batch(BatchOptions(offers=offers_path, out_dir=out, progress="none", config=config,
                           jobs=1))
    stop.set()
    thread.join()
    return samples


def file_create_ms(folder: Path, n: int = 300) -> float:
    """Return what creating an empty file in ``folder`` costs here, in milliseconds."""
    probe = Path(tempfile.mkdtemp(prefix="create-probe-", dir=folder))
    start = time.perf_counter()
    for i in range(n):
        os.close(os.open(probe / f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return (time.perf_counter() - start) * 1000 / n


def child(args: argparse.Namespace) -> None:
    """Run the measurement ``args.one`` and print it as JSON."""
    offers_path, out, base = Path(args.offers_path), Path(args.out), args.base
    if args.one == "long":
        print(json.dumps(long_batch(offers_path, out, args.n)))
    else:
        print(json.dumps(measure(args.one, offers_path, out, base)))


def run_child(kind: str, offers_path: Path, out: Path, base: str, n: int = 0) -> Any:
    done = subprocess.run(
        [sys.executable, __file__, "--one", kind, "--offers-path", str(offers_path),
         "--out", str(out), "--base", base, "--n", str(n)],
        capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = f"{kind} failed:\n{done.stderr}"
        raise SystemExit(msg)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=4800)
    parser.add_argument("--dir", default=str(Path.home() / ".cache"),
                        help="where the outputs go (default ~/.cache); the cost of creating a "
                             "file there is measured before each round and printed: on this "
                             "machine it swings from 0.02 ms to 1.5 ms of kernel time")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure the four in turn this many times; print each one's best "
                             "rate (this machine is shared: a round can be slowed by others)")
    parser.add_argument("--rss-offers", type=int, default=0,
                        help="instead: one --jobs 1 batch of this many offers, RSS sampled")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--offers-path", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        child(args)
        return
    from tests.fidelity.server import serve

    Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-batch-", dir=args.dir) as tmp, \
            serve(Path(tmp), "max-age=86400") as base:
        root = Path(tmp)
        n = args.rss_offers or args.offers
        offers_path = root / "offers.jsonl"
        with offers_path.open("w", encoding="utf-8") as fh:
            for offer in make_offers(n, base):
                fh.write(json.dumps(offer, ensure_ascii=False) + "\n")
        if args.rss_offers:
            samples = run_child("long", offers_path, root / "long", base, n)
            print(f"{n} offers, --jobs 1: resident memory of the batch process")
            for done, mb in samples:
                print(f"  after {done:7d} offers: {mb:6.1f} MB")
            if len(samples) > 2:
                (n1, mb1), (n2, mb2) = samples[1], samples[-1]
                print(f"after warm-up ({n1} to {n2} offers): {mb2 - mb1:+.1f} MB "
                      f"({(mb2 - mb1) / mb1:+.1%})")
            return
        rounds = [{"create_ms": file_create_ms(root),
                   **{kind: run_child(kind, offers_path, root / f"out-{kind}-{k}", base)
                      for kind in KINDS}} for k in range(args.rounds)]
    results = {kind: max((r[kind] for r in rounds), key=lambda m: m["rate"]) for kind in KINDS}
    engine, one, two, dask = (results[k]["rate"] for k in KINDS)
    print(f"{n} offers, 300x200 PNG, one web font, every text different "
          f"({os.cpu_count()} CPUs)")
    print(f"{'':22} {'images/s':>9} {'ratio':>24} {'driver MB':>10} {'worker MB':>10}")
    rows = (("engine, in process", engine, "", results["engine"]),
            ("--jobs 1", one, f"{one / engine:.2f}x engine", results["1"]),
            ("--jobs 2", two, f"{two / one:.2f}x --jobs 1", results["2"]),
            ("dask, 2 workers", dask, f"{dask / two:.2f}x --jobs 2", results["dask"]))
    for name, rate, ratio, r in rows:
        worker = f"{r['worker_mb']:10.1f}" if r["worker_mb"] else f"{'-':>10}"
        print(f"{name:22} {rate:9.1f} {ratio:>24} {r['driver_mb']:10.1f} {worker}")
    print(f"best of {args.rounds} rounds each; the ratios within each round:")
    for r in rounds:
        e, o, t, d = (r[k]["rate"] for k in KINDS)
        print(f"  --jobs 1 {o / e:.2f}x engine, --jobs 2 {t / o:.2f}x --jobs 1, "
              f"dask {d / t:.2f}x --jobs 2   (engine {e:.0f}/s; creating a file in the "
              f"output folder: {r['create_ms']:.3f} ms)")


if __name__ == "__main__":
    main()

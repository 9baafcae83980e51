"""Print the batch's throughput against the engine's, in one run: in process, --jobs 1,
--jobs 2 and Dask with two workers, their ratios, and peak RSS.

    .venv/bin/python benchmarks/bench_batch.py [--offers 4800] [--rounds 3]
    .venv/bin/python benchmarks/bench_batch.py --rss-offers 100000   # RSS over a long batch

The offers are small offer images (300x200 PNG, one web font, Raleway, from a stylesheet
on a local HTTP server) whose texts all differ. Each measurement runs in a fresh child
process (so no state carries over and its peak RSS is its own):

- engine: a warm Renderer rendering every offer in one process, no files written;
- 2 engines: the same, forked into two processes after the warm-up, each rendering half
  the offers at once: what two processes get out of this machine's two cores with no
  pipeline at all, the ceiling for ``--jobs 2`` over ``--jobs 1``;
- ``--jobs 1``, ``--jobs 2``: ``run_batch`` into an empty folder, end to end (planning,
  hashing, rendering, writing, the manifest, durability);
- dask: the same batch on a ``LocalCluster`` of two worker processes (one thread each),
  started before the clock starts, with the worker settings the README advises for
  rendering (``DASK_WORKER_CONFIG``; ``BENCH_DASK_DEFAULTS=1`` keeps Dask's defaults).

Each ratio is measured on a pair taken together: the engine and 2 engines, the engine
and ``--jobs 1``, ``--jobs 1`` and ``--jobs 2``, ``--jobs 2`` and Dask. The two children
of a pair get ready (imports, the engine's 50 warm-up renders, the Dask cluster), then
take turns of ``--slice`` seconds (50 ms), one's whole process group running while the
other's is stopped (``SIGSTOP``/``SIGCONT``); each one's rate is its items over the wall
time of its own turns. This machine is shared: its speed moves by a fifth or more over a few
seconds, in CPU time as much as in wall time, so measurements taken one after the other
met different machines and their ratios swung from 0.7x to 1.0x between rounds; taken
in turns, both meet the same machine (see ``turns.py``). What remains is each round's
cost of creating a file (kernel time the batch pays and the engine does not; measured
before each round and printed). Each round's ratios are printed, with the CPU time per
item, user and kernel, of the two sides of each pair (drivers and workers added up; the
Dask driver's process runs the scheduler too), then the medians, and ``--jobs 2`` over
``--jobs 1`` divided by 2 engines over one, round by round: how much of the machine's
own two-process gain the batch keeps.

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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from turns import child_done, child_ready, take_turns  # noqa: E402

KINDS = ("engine", "engines", "1", "2", "dask")
PAIRS = (("engine", "engines"), ("engine", "1"), ("1", "2"), ("2", "dask"))
"""The measurements taken together, each ratio the second's rate over the first's."""
NAMES = {"engine": "engine", "engines": "2 engines", "1": "--jobs 1", "2": "--jobs 2",
         "dask": "dask"}
LABELS = {"engine": "engine, in process", "engines": "2 engines, 2 processes",
          "1": "--jobs 1", "2": "--jobs 2", "dask": "dask, 2 workers"}
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


class Measured:
    """One measurement's prepared state: ``run()`` does the timed work, returns items done."""

    def __init__(self, kind: str, offers_path: Path, out: Path) -> None:
        from offer_render import NetworkPolicy, Renderer, RendererConfig
        from offer_render.batch import BatchOptions

        self.kind = kind
        self.cluster: Any = None
        self.client: Any = None
        config = RendererConfig(network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                                cache_dir=out.parent / "cache", font_source=None,
                                default_max_age=3600)
        self.offers = [json.loads(line) for line in
                       offers_path.read_text("utf-8").splitlines()]
        if kind in ("engine", "engines"):
            self.renderer = Renderer(config)
            for offer in self.offers[:50]:
                self.renderer.render(None, offer)
            if kind == "engines":
                self.halves = [_EngineHalf(self.renderer, self.offers[k::2]) for k in (0, 1)]
            return
        options: dict[str, Any] = {"jobs": 2} if kind == "dask" else {"jobs": int(kind)}
        if kind == "dask":
            import dask
            from distributed import Client, LocalCluster

            from offer_render.batch.executors import DASK_WORKER_CONFIG

            settings = DASK_WORKER_CONFIG if os.environ.get("BENCH_DASK_DEFAULTS") != "1" else {}
            with dask.config.set(settings):
                self.cluster = LocalCluster(n_workers=2, threads_per_worker=1,
                                            processes=True, dashboard_address=None)
            self.client = Client(self.cluster)
            options |= {"executor": "dask", "scheduler": self.cluster.scheduler_address}
        self.batch = BatchOptions(offers=offers_path, out_dir=out, progress="none",
                                  config=config, **options)

    def run(self) -> int:
        """Render every offer (the engine) or run the whole batch; return the items done."""
        from offer_render.batch import run_batch

        if self.kind == "engine":
            for offer in self.offers:
                self.renderer.render(None, offer)
            return len(self.offers)
        if self.kind == "engines":
            for half in self.halves:
                half.go.set()
            return sum(half.join() for half in self.halves)
        summary = run_batch(self.batch)
        if summary.ok != summary.total:
            msg = f"{self.kind}: {summary.error} items failed"
            raise SystemExit(msg)
        return summary.ok

    def peaks(self) -> dict[str, float]:
        """Return the peak RSS of this process and of its largest worker, in MB."""
        # the largest child: a pool worker (the OpenType Sanitizer runs as a child too)
        worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if (
            self.kind in ("engines", "2")) else 0.0
        if self.client is not None:
            worker_mb = max(self.client.run(_hwm_kb).values()) / 1024
            self.client.close()
            self.cluster.close()
        return {"driver_mb": _hwm_kb() / 1024, "worker_mb": worker_mb}


class _EngineHalf:
    """A process forked from a warm engine that renders its share of the offers on ``go``:
    two of them are the machine's own ceiling for two processes (no pipeline, no files)."""

    def __init__(self, renderer: Any, offers: list[dict[str, Any]]) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.go = ctx.Event()
        self.done = ctx.Queue()
        self.proc = ctx.Process(target=self._render, args=(renderer, offers), daemon=True)
        self.proc.start()

    def _render(self, renderer: Any, offers: list[dict[str, Any]]) -> None:
        self.go.wait()
        for offer in offers:
            renderer.render(None, offer)
        self.done.put(len(offers))

    def join(self) -> int:
        """Wait for this half to finish (and be reaped); return the offers it rendered."""
        items = int(self.done.get())
        self.proc.join()
        return items


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
    """Return what creating an empty file in ``folder`` costs here, in milliseconds.

    On ext4 without a journal (this machine's root filesystem), allocating an inode
    skips every free inode of the group deleted less than 60 s ago (360 s while its
    inode table block is dirty), looking each one up (``find_inode_bit`` and
    ``recently_deleted`` in Linux's ``fs/ext4/ialloc.c``). After thousands of files
    were deleted (a test run, an earlier benchmark's clean-up), a creation costs up to
    1.7 ms of kernel time instead of 0.02 ms, until those inodes age out.
    """
    probe = Path(tempfile.mkdtemp(prefix="create-probe-", dir=folder))
    start = time.perf_counter()
    for i in range(n):
        os.close(os.open(probe / f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return (time.perf_counter() - start) * 1000 / n


def child(args: argparse.Namespace) -> None:
    """Run the measurement ``args.one``, in turns with another (see ``turns.py``)."""
    offers_path, out = Path(args.offers_path), Path(args.out)
    if args.one == "long":
        print(json.dumps(long_batch(offers_path, out, args.n)))
        return
    measured = Measured(args.one, offers_path, out)
    child_ready()
    before = _cpu_seconds(measured.client)
    items = measured.run()
    user, kernel = ((after - then) * 1000 / items
                    for after, then in zip(_cpu_seconds(measured.client), before, strict=True))
    child_done(items, {"user_ms": user, "kernel_ms": kernel, **measured.peaks()})


def _cpu_seconds(client: Any = None) -> tuple[float, float]:
    """Return the user and kernel CPU seconds of this process and its children reaped so far
    (the ``--jobs 2`` pool's workers, forked from it, are reaped when the batch ends), and
    of the Dask workers of ``client`` (alive until the cluster closes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    user, kernel = own.ru_utime + children.ru_utime, own.ru_stime + children.ru_stime
    if client is not None:
        for worker_user, worker_kernel in client.run(_own_cpu).values():
            user, kernel = user + worker_user, kernel + worker_kernel
    return user, kernel


def _own_cpu() -> tuple[float, float]:
    """Return this process's user and kernel CPU seconds (run in a Dask worker)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime, own.ru_stime


def command(kind: str, offers_path: Path, out: Path, base: str, n: int = 0) -> list[str]:
    """Return the command of the child that measures ``kind``."""
    return [sys.executable, __file__, "--one", kind, "--offers-path", str(offers_path),
            "--out", str(out), "--base", base, "--n", str(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=4800)
    parser.add_argument("--dir", default=str(Path.home() / ".cache"),
                        help="where the outputs go (default ~/.cache); the cost of creating a "
                             "file there is measured before each round and printed: on this "
                             "machine it swings from 0.02 ms to 1.7 ms of kernel time (see "
                             "file_create_ms)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure the four pairs this many times; print each round's "
                             "ratios and their medians")
    parser.add_argument("--slice", type=float, default=0.05,
                        help="seconds each measurement of a pair runs in its turn (0.05)")
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
            done = subprocess.run(command("long", offers_path, root / "long", base, n),
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"the long batch failed:\n{done.stderr[-3000:]}")
            samples = json.loads(done.stdout.splitlines()[-1])
            print(f"{n} offers, --jobs 1: resident memory of the batch process")
            for done, mb in samples:
                print(f"  after {done:7d} offers: {mb:6.1f} MB")
            if len(samples) > 2:
                (n1, mb1), (n2, mb2) = samples[1], samples[-1]
                print(f"after warm-up ({n1} to {n2} offers): {mb2 - mb1:+.1f} MB "
                      f"({(mb2 - mb1) / mb1:+.1%})")
            return
        rounds = []
        for k in range(args.rounds):
            measured: dict[Any, Any] = {"create_ms": file_create_ms(root)}
            for pair in PAIRS:
                name = f"round{k}-{'-'.join(pair)}"
                measured[pair] = take_turns(
                    {kind: command(kind, offers_path, root / name / f"out-{kind}", base)
                     for kind in pair}, root / name, args.slice)
            rounds.append(measured)
    report(rounds, n, args.slice)


def report(rounds: list[dict[Any, Any]], n: int, slice_seconds: float) -> None:
    """Print each round's ratios, their medians, and each kind's rate and peak RSS."""
    print(f"{n} offers, 300x200 PNG, one web font, every text different "
          f"({os.cpu_count()} CPUs); each pair measured taking turns every "
          f"{slice_seconds * 1000:.0f} ms")
    ratios: dict[tuple[str, str], list[float]] = {pair: [] for pair in PAIRS}
    for k, measured in enumerate(rounds, 1):
        parts = []
        for pair in PAIRS:
            (a, ra), (b, rb) = ((kind, measured[pair][kind]["rate"]) for kind in pair)
            ratios[pair].append(rb / ra)
            parts.append(f"{NAMES[b]} {rb / ra:.2f}x {NAMES[a]} ({rb:.0f}/{ra:.0f})")
        print(f"  round {k}: " + ", ".join(parts))
        print("           CPU per item, user + kernel, each pair's two: " + "; ".join(
            " / ".join(f"{NAMES[kind]} {measured[pair][kind]['user_ms']:.2f} + "
                       f"{measured[pair][kind]['kernel_ms']:.3f} ms" for kind in pair)
            for pair in PAIRS)
            + f"; creating a file here before the round: {measured['create_ms']:.3f} ms")
    print(f"median of {len(rounds)} rounds: " + ", ".join(
        f"{NAMES[b]} {statistics.median(ratios[(a, b)]):.2f}x {NAMES[a]}" for a, b in PAIRS))
    against = [jobs / engines for jobs, engines in
               zip(ratios[("1", "2")], ratios[("engine", "engines")], strict=True)]
    print(f"--jobs 2 over --jobs 1 against what two processes get out of this machine (2 "
          f"engines over one, same round): median {statistics.median(against):.2f} (rounds: "
          + ", ".join(f"{x:.2f}" for x in against) + ")")
    print(f"{'':22} {'images/s (median)':>18} {'driver MB':>10} {'worker MB':>10}")
    for kind in KINDS:
        runs = [m[pair][kind] for m in rounds for pair in PAIRS if kind in pair]
        rate = statistics.median(r["rate"] for r in runs)
        driver = max(r["driver_mb"] for r in runs)
        worker = max(r["worker_mb"] for r in runs)
        worker_text = f"{worker:10.1f}" if worker else f"{'-':>10}"
        print(f"{LABELS[kind]:22} {rate:18.1f} {driver:10.1f} {worker_text}")

if __name__ == "__main__":
    main()

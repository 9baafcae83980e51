"""Print what a ``--jobs 1`` batch item costs against an engine render, in instructions.

    .venv/bin/python benchmarks/bench_instructions.py [--warm 400] [--more 600]

Needs valgrind (the Debian package ``valgrind``); takes about 5 minutes on 2 cores.

Wall and CPU time on this shared machine move by a fifth over a few seconds, so a
difference of a few percent between two pipelines does not show in them. The number
of instructions a process executes does not move with its neighbours: valgrind's
``cachegrind`` (cache simulation off) counts them. Each side runs twice, on the
benchmark's offers of ``bench_batch.py`` (300x200 PNG, one web font, every text
different): once on ``--warm`` offers and once on ``--warm + --more``; the difference
of the two counts over ``--more`` is what one more offer costs a warm process, with
start-up, imports, fetching and parsing the font and every cache's first fill
cancelled out:

- engine: a ``Renderer`` rendering the offers (built in memory, no file read or written);
- ``--jobs 1``: ``run_batch`` on an offers file into an empty folder (reading, planning,
  input hashing, rendering, writing each image, the manifest, group commits);
- ``--jobs 2``: the same with two worker processes, the instructions of the driver and
  both workers added up (what the pool adds: sending items and outcomes between them).

What this does not count: the kernel's work (creating the files: see
``bench_batch.file_create_ms``) and child processes (the OpenType Sanitizer, run once
per font). Under valgrind, sha256 runs without the CPU's SHA instructions, so hashing
counts more instructions than it takes natively (12 KB in 7 us).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_batch import REPO, make_offers

VALGRIND = shutil.which("valgrind")


def child(kind: str, n: int, root: Path, base: str) -> None:
    """Render the first ``n`` offers as ``kind`` (``engine``, ``jobs1`` or ``jobs2``)."""
    from offer_render import NetworkPolicy, Renderer, RendererConfig
    from offer_render.batch import BatchOptions, run_batch

    config = RendererConfig(network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                            cache_dir=root / "cache", font_source=None, default_max_age=3600)
    if kind == "engine":
        renderer = Renderer(config)
        for offer in make_offers(n, base):
            renderer.render(None, offer)
        return
    summary = run_batch(BatchOptions(offers=root / f"offers-{n}.jsonl",
                                     out_dir=root / f"out-{kind}-{n}", progress="none",
                                     config=config, jobs=int(kind.removeprefix("jobs"))))
    if summary.ok != n:
        msg = f"batch of {n}: {summary.error} items failed"
        raise SystemExit(msg)


def count(kind: str, n: int, root: Path, base: str) -> subprocess.Popen[str]:
    """Start counting the instructions of a child process rendering ``n`` offers."""
    assert VALGRIND is not None
    return subprocess.Popen(
        [VALGRIND, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         f"--trace-children={'yes' if kind == 'jobs2' else 'no'}", sys.executable, __file__,
         "--child", kind, "--n", str(n), "--root", str(root), "--base", base],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)


def instructions(proc: subprocess.Popen[str], what: str) -> int:
    """Wait for a counting child; return its instruction count (``I refs``), those of the
    processes it started added (when they are traced)."""
    _, err = proc.communicate()
    found = re.findall(r"I\s+refs:\s+([\d,]+)", err)
    if proc.returncode != 0 or not found:
        msg = f"{what} failed (exit {proc.returncode}):\n{err[-3000:]}"
        raise SystemExit(msg)
    return sum(int(count.replace(",", "")) for count in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=400,
                        help="offers both runs of a side render (400)")
    parser.add_argument("--more", type=int, default=600,
                        help="offers the longer run renders beyond them (600)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n, Path(args.root), args.base)
        return
    if VALGRIND is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    sys.path.insert(0, str(REPO))
    from tests.fidelity.server import serve

    sizes = (args.warm, args.warm + args.more)
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp, \
            serve(Path(tmp), "max-age=86400") as base:
        root = Path(tmp)
        offers = make_offers(sizes[1], base)
        for n in sizes:
            with (root / f"offers-{n}.jsonl").open("w", encoding="utf-8") as fh:
                for offer in offers[:n]:
                    fh.write(json.dumps(offer, ensure_ascii=False) + "\n")
        # fill the disk cache of the font first, so no run pays for the download
        subprocess.run([sys.executable, __file__, "--child", "engine", "--n", "1",
                        "--root", str(root), "--base", base], check=True, cwd=REPO)
        per_item = {}
        for kind in ("engine", "jobs1", "jobs2"):  # a side's two runs at once, one per core
            procs = [count(kind, n, root, base) for n in sizes]
            small, large = (instructions(p, f"{kind} of {n}") for p, n in zip(procs, sizes,
                                                                               strict=True))
            per_item[kind] = (large - small) / args.more
    engine, one, two = per_item["engine"], per_item["jobs1"], per_item["jobs2"]
    print(f"instructions per offer, the difference between {sizes[1]} and {sizes[0]} offers "
          f"over {args.more}:")
    print(f"  engine render                        {engine / 1e6:7.2f} M")
    print(f"  --jobs 1 item                        {one / 1e6:7.2f} M   "
          f"({one / engine - 1:+.1%} the engine)")
    print(f"  --jobs 2 item, driver and workers    {two / 1e6:7.2f} M   "
          f"({two / one - 1:+.1%} --jobs 1)")
    print("the most they can reach before the kernel's work, on idle cores:")
    print(f"  --jobs 1 {engine / one:.2f}x the engine, --jobs 2 {2 * one / two:.2f}x --jobs 1")


if __name__ == "__main__":
    main()

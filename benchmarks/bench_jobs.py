"""Measure render jobs end to end: jobs per second through the embedded queue and through Redis.

On the seed-like 1080x1080 JPEG template of ``bench_warm.py`` (``paragraph/photo``: a
photo, a title and a justified paragraph in two web fonts, from a local HTTP server
that sends ``max-age``, as a font CDN does), each job one offer (its own id and
name) in one locale, it prints, in one run:

- **engine**: renders per second of one warm ``Renderer`` in this process, one thread,
  for scale;
- **embedded**: ``offer-render serve --workers 2`` (SQLite queue and local files in a
  temp data folder);
- **redis**: ``offer-render serve --workers 0`` taking the jobs into Debian's
  ``redis-server`` (started here on a free loopback port) and two ``offer-render
  worker --workers 1`` processes running them, files to a local folder (the same
  storage as embedded, so the two differ by their queue and processes only).

For each: ``--jobs`` jobs posted by 4 client threads; the time from the first POST to
the last job done (read from ``/metrics``, ``offer_render_jobs{status="done"}``), and
jobs per second over it; the time the POSTs took alone; and that every job ended done.
A few jobs are run first to warm the workers' caches (fonts, background). Usage:
``python benchmarks/bench_jobs.py [--jobs 1000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_service import core_shares, free_port  # noqa: E402
from bench_warm import make_assets, templates  # noqa: E402

from offer_render import Renderer  # noqa: E402
from offer_render.config import engine_config  # noqa: E402
from tests.fidelity.server import serve as serve_files  # noqa: E402
from tests.helpers.redisserver import running_redis  # noqa: E402

WARM = 8
"""Jobs run before measuring, so each render worker has the fonts and background."""
CLIENTS = 4


def jobs(template: dict[str, Any], n: int, tag: str) -> list[dict[str, Any]]:
    """Return ``n`` job bodies: the template, JPEG, one locale, offers named differently."""
    tpl = json.loads(json.dumps(template))
    tpl["rectangles"][0]["content"] = "{{name}}"
    return [{"offer": {"id": f"{tag}-{i}", "name": {"en": f"Coffee week {i}: -{10 + i % 40}%"},
                       "image_template": tpl}, "locales": ["en"], "format": "jpeg"}
            for i in range(n)]


def engine_rate(template: dict[str, Any], seconds: float = 3.0) -> float:
    """Return renders per second of a warm Renderer in this process (one thread)."""
    renderer = Renderer(engine_config(allow_hosts=["127.0.0.1"], cache_dir=None))
    calls = jobs(template, 64, "engine")
    for call in calls:
        renderer.render(None, call["offer"], locale="en", format="jpeg")
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        renderer.render(None, calls[done % len(calls)]["offer"], locale="en", format="jpeg")
        done += 1
    return done / (time.perf_counter() - start)


def metric(base: str, name: str, labels: str) -> float:
    for line in requests.get(f"{base}/metrics", timeout=30).text.splitlines():
        if line.startswith(f"{name}{{{labels}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def ended(base: str) -> tuple[float, float]:
    return (metric(base, "offer_render_jobs", 'status="done"'),
            metric(base, "offer_render_jobs", 'status="failed"'))


def wait_done(base: str, total: int, limit: float = 600.0) -> float:
    """Wait until ``total`` jobs have ended; return when (perf_counter)."""
    end = time.monotonic() + limit
    while True:
        done, failed = ended(base)
        if done + failed >= total:
            return time.perf_counter()
        if time.monotonic() > end:
            msg = f"only {done:.0f} of {total} jobs done after {limit:.0f} s"
            raise SystemExit(msg)
        time.sleep(0.05)


def post_all(base: str, bodies: list[dict[str, Any]]) -> None:
    """POST every body from CLIENTS threads, each with a keep-alive session."""
    def send(part: list[dict[str, Any]]) -> None:
        with requests.Session() as session:
            for body in part:
                answer = session.post(f"{base}/v1/jobs", json=body, timeout=60)
                if answer.status_code != 202:
                    msg = f"POST /v1/jobs: {answer.status_code} {answer.text[:200]}"
                    raise SystemExit(msg)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(send, [bodies[i::CLIENTS] for i in range(CLIENTS)]))


def measure(base: str, template: dict[str, Any], n: int, tag: str) -> dict[str, float]:
    """Warm the workers, then post ``n`` jobs and time them to the last one done."""
    post_all(base, jobs(template, WARM, f"{tag}-warm"))
    wait_done(base, WARM)
    start = time.perf_counter()
    post_all(base, jobs(template, n, tag))
    posted = time.perf_counter()
    finished = wait_done(base, WARM + n)
    done, failed = ended(base)
    return {"jobs": n, "seconds": finished - start, "post_seconds": posted - start,
            "rate": n / (finished - start), "done": done - WARM, "failed": failed}


@contextmanager
def process(args: list[str], wait_for: str | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``offer-render ARGS``; with ``wait_for`` (a base URL), until its /readyz is 200."""
    proc = subprocess.Popen([sys.executable, "-m", "offer_render", "-q", *args], cwd=REPO,
                            env={**os.environ, "OFFER_RENDER_ALLOW_HOSTS": "127.0.0.1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 60
        while wait_for is not None:
            try:
                if requests.get(f"{wait_for}/readyz", timeout=10).ok:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > end:
                msg = f"did not start: offer-render {' '.join(args)}"
                raise SystemExit(msg)
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        proc.wait(60)


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    exe = shutil.which("redis-server")
    if exe is None:
        msg = "redis-server is not installed (apt-get install redis-server)"
        raise SystemExit(msg)
    with running_redis(exe, folder) as url:
        yield f"{url}/0"


def main() -> None:
    """Measure the engine, the embedded queue and Redis with two workers; print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--template", default="paragraph/photo")
    args = parser.parse_args()
    one, two = core_shares()
    with tempfile.TemporaryDirectory() as tmp_name, \
            serve_files(Path(tmp_name), cache_control="max-age=86400") as assets:
        tmp = Path(tmp_name)
        make_assets(tmp)
        tpl = json.loads(json.dumps(templates(assets)[args.template]).replace(
            f"{assets}/tmp/", f"{assets}/__pages/"))
        engine = engine_rate(tpl)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cache = ["--cache-dir", str(tmp / "cache")]
        with process(["serve", "--port", str(port), "--workers", "2", "--data-dir",
                      str(tmp / "embedded"), *cache], wait_for=base):
            embedded = measure(base, tpl, args.jobs, "embedded")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        (tmp / "redis").mkdir()
        with redis_server(tmp / "redis") as queue, ExitStack() as stack:
            shared = ["--queue", queue, "--storage", (tmp / "redis-files").as_uri(), *cache]
            stack.enter_context(process(["serve", "--port", str(port), "--workers", "0",
                                         "--data-dir", str(tmp / "front"), *shared],
                                        wait_for=base))
            for n in (1, 2):
                stack.enter_context(process(["worker", "--workers", "1", "--data-dir",
                                             str(tmp / f"worker{n}"), *shared]))
            redis = measure(base, tpl, args.jobs, "redis")
    print(f"template {args.template} 1080x1080 JPEG, one locale per job, {args.jobs} jobs "
          f"posted by {CLIENTS} clients; {os.cpu_count()} CPUs")
    print(f"machine: one busy process gets {one:.2f} of a core, two get {two:.2f} each")
    print(f"engine, one process, one thread: {engine:.0f} renders/s")
    for name, got in (("embedded (serve --workers 2, SQLite)", embedded),
                      ("redis (serve --workers 0 + 2 x worker --workers 1)", redis)):
        print(f"{name}: {got['rate']:.1f} jobs/s ({got['jobs']} jobs in {got['seconds']:.2f} s, "
              f"posting {got['post_seconds']:.2f} s; {got['done']:.0f} done, "
              f"{got['failed']:.0f} failed)")


if __name__ == "__main__":
    main()

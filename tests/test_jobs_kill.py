"""Render jobs outlive a killed process: 30 jobs, the embedded server or a Redis worker SIGKILLed.

Every job's background comes from a gate (a local server that answers the first
request for each, the one ``POST /v1/jobs`` makes to hash it, and holds every later one
until the test opens the gate), so the first job is caught mid-render and no job can
end before the kill, whatever the timing: a render whose fetch gives up on the gate
(``Limits.fetch_timeout``) is a transient failure, queued again, never done (with only
the first job gated, a slow machine let that happen and the jobs behind it end). The
process is then killed with SIGKILL, the gate opened and a new process started on the
same queue: every job ends done, the interrupted one after running again, and the
storage holds exactly one file per job, no temp file, nothing else.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import FIXTURES_DIR, REPO_ROOT, S3Server, running_service, wait_for

JOBS = 30
FAST: dict[str, str] = {
    "OFFER_RENDER_JOB_LEASE": "2", "OFFER_RENDER_RETRY_DELAY": "0.05",
    "OFFER_RENDER_RETRY_MAX_DELAY": "0.2", "OFFER_RENDER_ALLOW_HOSTS": "127.0.0.1",
}
"""Short leases and retries for the processes the tests start."""


class Gate:
    """A loopback server of one photo: the first request of each path is answered, later
    ones wait until :meth:`open` (``Cache-Control: no-store``, so nobody keeps a copy)."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.seen: dict[str, int] = {}
        photo = (FIXTURES_DIR / "backgrounds" / "coffee.jpg").read_bytes()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                outer.seen[self.path] = outer.seen.get(self.path, 0) + 1
                if outer.seen[self.path] > 1:
                    outer.opened.wait(120)
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(photo)))
                self.end_headers()
                try:
                    self.wfile.write(photo)
                except OSError:
                    pass  # the render that asked was killed

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Keep test output quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def open(self) -> None:
        self.opened.set()

    def close(self) -> None:
        self.opened.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def gate() -> Iterator[Gate]:
    served = Gate()
    yield served
    served.close()


def bodies(gate: Gate, tag: str) -> list[dict[str, Any]]:
    """Return 30 job bodies, each with its own background behind the gate."""
    out = []
    for i in range(JOBS):
        tpl: dict[str, Any] = {"width": 120, "height": 60, "rectangles": [{
            "name": "Title", "width": 120, "height": 60, "padding": 4, "offset_left": 0,
            "offset_top": 0, "text_align": "left", "color": "#102030", "font_size": 14,
            "font_family": "sans-serif", "font_url": None, "content": "{{name}}"}]}
        tpl["background_url"] = f"{gate.base}/photo-{tag}-{i}.jpg"
        offer = {"id": f"{tag}-{i}", "name": {"en": f"Offer {i}"}, "image_template": tpl}
        out.append({"offer": offer, "locales": ["en"], "format": "jpeg"})
    return out


def post_all(base: str, jobs: list[dict[str, Any]]) -> list[str]:
    ids = []
    for body in jobs:
        answer = requests.post(f"{base}/v1/jobs", json=body, timeout=60)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    return ids


def records(base: str, ids: list[str]) -> list[dict[str, Any]]:
    return [requests.get(f"{base}/v1/jobs/{i}", timeout=30).json() for i in ids]


def all_done(base: str, ids: list[str]) -> list[dict[str, Any]] | None:
    """Return the records when every job is done, else None."""
    got = records(base, ids)
    return got if all(r["status"] == "done" for r in got) else None


def start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """Start ``offer-render ARGS`` in its own process; return it and its stderr lines so far."""
    proc = subprocess.Popen([sys.executable, "-m", "offer_render", *args], cwd=REPO_ROOT,
                            env={**os.environ, **FAST, **env}, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")),  # type: ignore[union-attr]
                     daemon=True).start()
    return proc, lines


def said(proc: subprocess.Popen[str], lines: list[str], pattern: str) -> re.Match[str]:
    """Wait until the process prints a line matching ``pattern``; return the match."""
    def found() -> re.Match[str] | None:
        assert proc.poll() is None, "".join(lines)
        return next((m for line in list(lines) if (m := re.search(pattern, line))), None)

    match: re.Match[str] = wait_for(found, f"{pattern!r} from the process")
    return match


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)


def test_queued_jobs_survive_sigkill_of_the_embedded_server(gate: Gate, tmp_path: Path) -> None:
    # Arrange: a server with one render worker, 30 jobs, the first one stuck mid-render
    data = tmp_path / "data"
    args = ["serve", "--port", "0", "--workers", "1", "--data-dir", str(data)]
    first, lines = start(args, {})
    try:
        base = said(first, lines, r"serving on (http://127\.0\.0\.1:\d+)").group(1)
        ids = post_all(base, bodies(gate, "kill"))
        wait_for(lambda: records(base, ids[:1])[0]["status"] == "running", "the first job to run")
        before = records(base, ids)
        # Act
        first.send_signal(signal.SIGKILL)
        assert first.wait(30) == -signal.SIGKILL
    finally:
        stop(first, signal.SIGKILL)
    gate.open()
    second, lines = start(args, {})
    try:
        base = said(second, lines, r"serving on (http://127\.0\.0\.1:\d+)").group(1)
        ended = wait_for(lambda: all_done(base, ids), "every job to be done after the restart")
    finally:
        code = stop(second)
    # Assert
    statuses = [r["status"] for r in before]
    assert statuses.count("done") == 0  # every job was queued or under way at the kill
    assert statuses.count("queued") + statuses.count("running") == JOBS
    assert ended[0]["attempts"] >= 2  # the interrupted job ran again
    assert sorted(p.name for p in (data / "files").iterdir()) == sorted(
        f"offer-kill-{i}-offer_default-base-en.jpg" for i in range(JOBS))
    assert code == 0


def test_queued_jobs_survive_sigkill_of_a_redis_worker(
    gate: Gate, tmp_path: Path, redis_server: str, s3_server: S3Server
) -> None:
    import redis

    # Arrange: a front that only takes jobs, Redis, S3, 30 jobs, then a worker
    queue = f"{redis_server}/2"
    redis.Redis.from_url(queue).flushdb()
    bucket = s3_server.bucket(f"kill-{uuid.uuid4().hex[:8]}")
    storage = f"s3://{bucket}/offers"
    with running_service(workers=0, queue=queue, storage=storage, data_dir=tmp_path / "front",
                         job_lease=2, retry_delay=0.05, retry_max_delay=0.2) as front:
        ids = post_all(front.base_url, bodies(gate, "worker"))
        render = requests.post(front.url("/v1/render"), json={"template": {
            "width": 10, "height": 10, "rectangles": []}}, timeout=30)
        queued = records(front.base_url, ids)
        args = ["worker", "--workers", "1", "--queue", queue, "--storage", storage,
                "--data-dir", str(tmp_path / "worker")]
        first, lines = start(args, s3_server.env)
        try:
            said(first, lines, r"working on redis://")
            wait_for(lambda: records(front.base_url, ids[:1])[0]["status"] == "running",
                     "the first job to run")
            # Act
            first.send_signal(signal.SIGKILL)
            assert first.wait(30) == -signal.SIGKILL
        finally:
            stop(first, signal.SIGKILL)
        gate.open()
        second, lines = start(args, s3_server.env)
        try:
            ended = wait_for(lambda: all_done(front.base_url, ids), "every job to be done")
        finally:
            code = stop(second)
    # Assert
    assert (render.status_code, render.json()["error"]) == (
        503, "this service runs no render workers (--workers 0): it only takes jobs "
             "(POST /v1/jobs)")
    assert {r["status"] for r in queued} == {"queued"}
    assert ended[0]["attempts"] >= 2
    assert s3_server.keys(bucket) == sorted(
        f"offers/offer-worker-{i}-offer_default-base-en.jpg" for i in range(JOBS))
    assert code == 0
    assert lines[-1] == "offer-render: stopped\n"


def test_a_worker_refuses_a_bad_queue_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "offer_render", "worker", "--queue", "ftp://queue.example/x",
         "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=60,
        cwd=REPO_ROOT, check=False)
    assert (done.returncode, done.stderr) == (
        2, "offer-render: error: --queue: ftp://queue.example/x: must be sqlite:///PATH or "
           "redis://HOST:PORT/DB\n")


def test_a_worker_stops_on_sigterm(tmp_path: Path) -> None:
    worker, lines = start(["worker", "--workers", "1", "--data-dir", str(tmp_path)], {})
    said(worker, lines, r"working on sqlite:///")
    code = stop(worker)
    assert code == 0
    assert lines[-1] == "offer-render: stopped\n"

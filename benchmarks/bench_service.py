"""Measure the render service against the engine alone: HTTP throughput and latency, one run.

On a 1080x1080 JPEG template of ``bench_warm.py`` (default ``paragraph/photo``: a
photo, a title and a justified paragraph in two web fonts; fonts and background from
a local HTTP server that sends ``max-age``, as a font CDN does), it prints:

- **engine**: renders per second of one warm ``Renderer`` in this process, one
  thread, for ``--seconds`` (the same requests as below, in the same order);
- **service**: ``offer-render serve --workers N`` in its own process; for 1, 4 and 16
  concurrent clients, requests per second answered 200, p50 and p99 latency, the
  ratio to the engine's rate, and the CPU time each request cost the render workers,
  the server process and the clients (from ``/proc``). Other answers (503 when the
  queue is full) are counted, not timed. The engine is measured again after the
  service, and the ratio is to the mean of both measurements.
- **machine**: the share of a core one and two busy processes get, measured first:
  on a machine shared with other work, two workers may not get two cores, and the
  ratio then says more about the neighbours than about the service. The CPU times
  say what the service costs whatever the neighbours do, and "CPU taken elsewhere"
  how much of the machine's CPU time went to other processes or to the hypervisor
  (steal, in ``/proc/stat``) while each level ran.

The clients are a small keep-alive HTTP/1.1 client, an asyncio protocol in this process
(each request is bytes prepared once; of each answer only the head is parsed and the
body's bytes counted), so the load costs little CPU next to the server on 2 cores.
Requests carry offers whose name differs (``--offers`` of them, in a cycle), so both
the engine and the service draw text, not only replay caches. Absolute rates drift on
a shared machine; the ratios measured in one run hold. Usage:
``python benchmarks/bench_service.py [--workers 2] [--seconds 5] [--template NAME]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_warm import make_assets, templates  # noqa: E402

from offer_render import Renderer  # noqa: E402
from offer_render.config import engine_config  # noqa: E402
from tests.fidelity.server import serve as serve_files  # noqa: E402

CLIENTS = (1, 4, 16)


@dataclass(frozen=True)
class Level:
    """What one level of concurrency measured."""

    clients: int
    ok: int
    other: dict[int, int]
    seconds: float
    latencies: list[float]
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds spent during the level: ``workers``, ``server``, ``clients``."""
    elsewhere: float = 0.0
    """Share of the machine's CPU time that went to other work, or to the hypervisor
    (steal), during the level."""

    def cpu_ms(self, who: str) -> float:
        """Return the CPU milliseconds ``who`` spent per request answered 200."""
        return self.cpu.get(who, 0.0) / max(1, self.ok) * 1000

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def percentile(self, q: float) -> float:
        """Return the ``q`` quantile of the latencies of the 200 answers, in ms."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def bodies(template: dict[str, Any], n: int) -> list[bytes]:
    """Return ``n`` render request bodies: the template, JPEG, offers named differently."""
    tpl = json.loads(json.dumps(template))
    tpl["rectangles"][0]["content"] = "{{name}}"
    out = []
    for i in range(n):
        offer = {"id": i, "name": {"en": f"Coffee week {i}: -{10 + i % 40}%"}}
        out.append(json.dumps({"template": tpl, "offer": offer, "format": "jpeg"}).encode())
    return out


def engine_rate(renderer: Renderer, payloads: list[bytes], seconds: float
                ) -> tuple[float, float]:
    """Return renders per second of a warm Renderer in this process, one thread, and the
    CPU milliseconds per render."""
    calls = [json.loads(p) for p in payloads]
    for call in calls:  # warm: fonts, background, its coded rows
        renderer.render(call["template"], call["offer"], format="jpeg")
    done = 0
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        call = calls[done % len(calls)]
        renderer.render(call["template"], call["offer"], format="jpeg")
        done += 1
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return done / wall, cpu / done * 1000


def core_shares(seconds: float = 2.0) -> tuple[float, float]:
    """Return the share of a core one busy process gets, and each of two busy processes."""
    code = ("import time; s=time.perf_counter(); c=time.process_time()\n"
            f"while time.perf_counter()-s<{seconds}: pass\n"
            "print(round((time.process_time()-c)/(time.perf_counter()-s), 2))")
    shares = []
    for n in (1, 2):
        spinners = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                     text=True) for _ in range(n)]
        outs = [float(p.communicate()[0]) for p in spinners]
        shares.append(sum(outs) / n)
    return shares[0], shares[1]


def machine_jiffies() -> tuple[int, int, int]:
    """Return the machine's CPU time so far in clock ticks: all, busy (steal included), idle."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (
            int(v) for v in f.readline().split()[1:9])
    busy = user + nice + system + irq + softirq + steal
    return busy + idle + iowait, busy, idle + iowait


def cpu_seconds(pid: int) -> float:
    """Return the user and system CPU seconds of process ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Return the child processes of ``pid``."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def worker_pids(server: int) -> list[int]:
    """Return the render workers of the service: children of its forkserver."""
    return [w for child in children(server) for w in children(child)]


def request_bytes(port: int, body: bytes) -> bytes:
    return (f"POST /v1/render HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


class Client(asyncio.Protocol):
    """One keep-alive connection: send a request, count the answer's bytes, send the next.

    Only the head of each answer is parsed (status, Content-Length); the body is counted,
    not kept, so the clients cost little next to the server.
    """

    def __init__(self, requests_: list[bytes], offset: int, end: float, out: dict[str, Any],
                 done: asyncio.Future[None]) -> None:
        self.requests = requests_
        self.n = offset
        self.end = end
        self.out = out
        self.done = done
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.status = 0
        self.left = -1
        self.started = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._next()

    def _next(self) -> None:
        assert self.transport is not None
        if time.perf_counter() >= self.end:
            self.transport.close()
            return
        self.head, self.left = b"", -1
        self.started = time.perf_counter()
        self.transport.write(self.requests[self.n % len(self.requests)])
        self.n += 1

    def data_received(self, data: bytes) -> None:
        if self.left < 0:
            self.head += data
            cut = self.head.find(b"\r\n\r\n")
            if cut < 0:
                return
            self.status = int(self.head[9:12])
            length = 0
            for line in self.head[:cut].split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            self.left = length - (len(self.head) - cut - 4)
        else:
            self.left -= len(data)
        if self.left <= 0:
            if self.status == 200:
                self.out["latencies"].append(time.perf_counter() - self.started)
            else:
                self.out["other"][self.status] = self.out["other"].get(self.status, 0) + 1
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def client(port: int, requests_: list[bytes], offset: int, end: float,
                 out: dict[str, Any]) -> None:
    """Send requests on one keep-alive connection until ``end``; record status and latency."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    await loop.create_connection(lambda: Client(requests_, offset, end, out, done),
                                 "127.0.0.1", port)
    await done


async def load(port: int, payloads: list[bytes], clients: int, seconds: float) -> Level:
    """Run ``clients`` connections for ``seconds``; return what they measured."""
    prepared = [request_bytes(port, b) for b in payloads]
    out: dict[str, Any] = {"latencies": [], "other": {}}
    start = time.perf_counter()
    end = start + seconds
    await asyncio.gather(*(client(port, prepared, i * 7, end, out) for i in range(clients)))
    elapsed = time.perf_counter() - start
    return Level(clients, len(out["latencies"]), out["other"], elapsed, out["latencies"])


def measured(server: int, port: int, payloads: list[bytes], clients: int,
             seconds: float) -> Level:
    """Run :func:`load` and add the CPU time the workers, the server and this process spent."""
    who = {"server": [server], "workers": worker_pids(server), "clients": [os.getpid()]}
    before = {k: sum(cpu_seconds(p) for p in pids) for k, pids in who.items()}
    machine = machine_jiffies()
    level = asyncio.run(load(port, payloads, clients, seconds))
    machine = tuple(b - a for a, b in zip(machine, machine_jiffies(), strict=True))
    after = {k: sum(cpu_seconds(p) for p in pids) for k, pids in who.items()}
    cpu = {k: after[k] - before[k] for k in who}
    tick = os.sysconf("SC_CLK_TCK")
    ours = sum(cpu.values()) * tick
    return replace(level, cpu=cpu, elsewhere=max(0.0, machine[1] - ours) / max(1, machine[0]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def service(workers: int, tmp: Path, extra: list[str]) -> Iterator[tuple[int, int]]:
    """Run ``offer-render serve`` in its own process; yield its pid and port once ready."""
    port = free_port()
    command = [sys.executable, "-m", "offer_render", "serve", "--port", str(port),
               "--workers", str(workers), "--allow-host", "127.0.0.1",
               "--cache-dir", str(tmp / "service-cache"), *extra]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).ok:
                    break
            except requests.RequestException:
                pass  # not listening yet, or still starting its workers
            if proc.poll() is not None or time.monotonic() > end:
                msg = f"the service did not start: {' '.join(command)}"
                raise SystemExit(msg)
            time.sleep(0.1)
        yield proc.pid, port
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    """Measure the engine, then the service at 1, 4 and 16 clients; print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--template", default="paragraph/photo")
    parser.add_argument("--offers", type=int, default=64)
    parser.add_argument("--serve-arg", action="append", default=[],
                        help="Extra flag for offer-render serve (repeatable).")
    args = parser.parse_args()
    one, two = core_shares()
    with tempfile.TemporaryDirectory() as tmp, \
            serve_files(Path(tmp), cache_control="max-age=86400") as base:
        make_assets(Path(tmp))
        tpl = json.loads(json.dumps(templates(base)[args.template]).replace(
            f"{base}/tmp/", f"{base}/__pages/"))
        payloads = bodies(tpl, args.offers)
        renderer = Renderer(engine_config(allow_hosts=["127.0.0.1"], cache_dir=None))
        before, engine_cpu = engine_rate(renderer, payloads, args.seconds)
        with service(args.workers, Path(tmp), args.serve_arg) as (server, port):
            for warm in payloads:  # each worker fetches and codes the background once
                requests.post(f"http://127.0.0.1:{port}/v1/render", data=warm, timeout=30)
            asyncio.run(load(port, payloads, args.workers * 2, 1.0))
            levels = [measured(server, port, payloads, c, args.seconds) for c in CLIENTS]
        after, _ = engine_rate(renderer, payloads, args.seconds)
    engine = (before + after) / 2
    print(f"template {args.template} 1080x1080 JPEG, {args.offers} offers in a cycle; "
          f"service --workers {args.workers}; {os.cpu_count()} CPUs")
    print(f"machine: one busy process gets {one:.2f} of a core, two get {two:.2f} each")
    print(f"engine, one process, one thread: {before:.0f} renders/s before the service, "
          f"{after:.0f} after (mean {engine:.0f}, {1000 / engine:.2f} ms each; "
          f"CPU {engine_cpu:.2f} ms per render)")
    print("| clients | requests/s | p50 ms | p99 ms | vs engine | CPU ms per request: "
          "workers + server + clients | CPU taken elsewhere | other answers |")
    print("|---|---|---|---|---|---|---|---|")
    for lv in levels:
        other = ", ".join(f"{k}: {v}" for k, v in sorted(lv.other.items())) or "-"
        cpu = (f"{lv.cpu_ms('workers'):.2f} + {lv.cpu_ms('server'):.2f} + "
               f"{lv.cpu_ms('clients'):.2f}")
        print(f"| {lv.clients} | {lv.rate:.0f} | {lv.percentile(0.5):.1f} | "
              f"{lv.percentile(0.99):.1f} | {lv.rate / engine:.2f}x | {cpu} | "
              f"{lv.elsewhere:.0%} | {other} |")


if __name__ == "__main__":
    main()

"""Measure benchmark children taking turns on the machine: take their commands, return each
one's rate over the time it ran and what it reported.

This machine is shared: its speed moves by a fifth or more over a few seconds, in CPU
time as much as in wall time, so measurements taken one after the other meet different
machines, and their ratios swung from 0.7x to 1.0x between runs. Taken in turns every
few tens of milliseconds, two measurements meet the same machine, and their ratio holds.

A child (:func:`child_ready`, :func:`child_done`) prepares (imports, warm-up), says
``ready`` and waits; :func:`take_turns` then stops every child's process group
(``SIGSTOP``: pool and Dask workers included) and continues one at a time for
``slice_seconds`` (``SIGCONT``). A child's rate is the items it did over the wall time of
its own turns, until it said ``done``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def child_ready() -> None:
    """Tell the parent this child is prepared, and wait for its go."""
    print("ready", flush=True)
    sys.stdin.readline()


def child_done(items: int, report: dict[str, Any]) -> None:
    """Tell the parent this child did ``items`` (at once: the clock stops), then ``report``."""
    print(f"done {items}", flush=True)
    print(json.dumps(report), flush=True)


def spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a child in a process group of its own, its errors going to ``log``."""
    with log.open("wb") as errors:  # the child has its own copy
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=errors, start_new_session=True)


def line_of(proc: subprocess.Popen[bytes], name: str, log: Path) -> bytes:
    """Return the next line a child printed, or stop with the end of its error log."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        text = log.read_text("utf-8", "replace")
        msg = f"{name} failed (exit {proc.returncode}):\n{text[-3000:]}"
        raise SystemExit(msg)
    return line


def take_turns(commands: dict[str, list[str]], logs: Path,
               slice_seconds: float) -> dict[str, dict[str, Any]]:
    """Run the children ``commands`` in turns; return each one's ``rate`` and report."""
    logs.mkdir(parents=True, exist_ok=True)
    log = {name: logs / f"{name}.log" for name in commands}
    procs = {name: spawn(command, log[name]) for name, command in commands.items()}
    try:
        for name, proc in procs.items():
            if line_of(proc, name, log[name]).strip() != b"ready":
                msg = f"{name}: said something else than ready"
                raise SystemExit(msg)
        for proc in procs.values():
            assert proc.stdin is not None
            os.killpg(proc.pid, signal.SIGSTOP)
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        busy = dict.fromkeys(procs, 0.0)
        items: dict[str, int] = {}
        while len(items) < len(procs):
            for name in [n for n in procs if n not in items]:
                proc = procs[name]
                assert proc.stdout is not None
                alone = len(items) == len(procs) - 1
                start = time.perf_counter()
                os.killpg(proc.pid, signal.SIGCONT)
                said, _, _ = select.select([proc.stdout], [], [],
                                           None if alone else slice_seconds)
                if said:
                    done = line_of(proc, name, log[name])
                    busy[name] += time.perf_counter() - start
                    items[name] = int(done.split()[1])
                else:
                    os.killpg(proc.pid, signal.SIGSTOP)
                    busy[name] += time.perf_counter() - start
        results = {name: {"rate": items[name] / busy[name],
                          **json.loads(line_of(proc, name, log[name]))}
                   for name, proc in procs.items()}
        for proc in procs.values():
            proc.wait()
        return results
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGCONT)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

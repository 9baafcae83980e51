"""Run redis-server on a free loopback port: take its executable and a folder; yield its URL."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def running_redis(exe: str, folder: Path, timeout: float = 30.0) -> Iterator[str]:
    """Start ``exe`` with no persistence, working in ``folder``; yield its URL once it
    answers PING (``redis://127.0.0.1:PORT``, no database number); stop it after."""
    import redis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        end = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if proc.poll() is not None:
                    msg = "redis-server exited at start"
                    raise RuntimeError(msg) from None
                if time.monotonic() >= end:
                    msg = f"redis-server did not answer in {timeout:.0f} s"
                    raise RuntimeError(msg) from None
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)

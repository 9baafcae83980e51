"""``offer-render serve`` as an operator runs it: flags, refusals, a real run, its log, stopping.

Each test runs the command in its own process, as a shell would.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO_ROOT

QUICK = {"template": {"width": 40, "height": 20, "rectangles": []}, "format": "png"}


def run_cli(*args: str, env: dict[str, str] | None = None,
            code: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``offer-render ARGS`` (or the Python ``code``) and return what it did."""
    command = [sys.executable, "-c", code] if code else [
        sys.executable, "-m", "offer_render", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT,
                          env={**os.environ, **(env or {})}, check=False)


def in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``offer-render ARGS`` in this process (for commands that stop before serving)."""
    from offer_render.cli.main import main

    with pytest.raises(SystemExit) as done:
        main(args)
    code = done.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err.strip()


def test_a_public_address_without_a_token_is_refused(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    assert in_process(["serve", "--host", "0.0.0.0", "--port", "0"], capsys) == (
        2, "offer-render: error: --host: 0.0.0.0 is not a loopback address: give --token-file "
           "(every /v1 call then needs Authorization: Bearer), or --insecure-no-auth to serve "
           "without authentication")


def test_bad_settings_name_the_flag(capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert in_process(["serve", "--port", "70000"], capsys) == (
        2, "offer-render: error: --port: must be at most 65535")
    assert in_process(["serve", "--token-file", "/nonexistent/tokens"], capsys) == (
        2, "offer-render: error: --token-file: /nonexistent/tokens: no such file")
    assert in_process(["serve", "--font-source", "none", "--workers", "-1"], capsys) == (
        2, "offer-render: error: --workers: must be at least 0")  # font flags are taken
    assert in_process(["serve", "--queue", "ftp://q/x"], capsys) == (
        2, "offer-render: error: --queue: ftp://q/x: must be sqlite:///PATH or "
           "redis://HOST:PORT/DB")
    monkeypatch.setenv("OFFER_RENDER_WORKERS", "-1")
    assert in_process(["serve"], capsys) == (
        2, "offer-render: error: --workers: must be at least 0")


def test_a_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        got = in_process(["serve", "--port", str(port)], capsys)
    assert got == (1, f"offer-render: error: cannot listen on 127.0.0.1:{port}: "
                      "Address already in use")


def test_without_the_service_extra_serve_says_what_to_install() -> None:
    code = ("import sys; sys.modules['fastapi'] = None\n"
            "from offer_render.cli.main import main; main(['serve'])")
    done = run_cli(code=code)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "offer-render: error: offer-render serve needs the service extra: "
        "pip install 'offer-render[service]' (fastapi is missing)")


def test_a_run_logs_one_json_line_per_request_without_secrets(tmp_path: Path) -> None:
    # Arrange
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token-value\n")
    server = subprocess.Popen(
        [sys.executable, "-m", "offer_render", "serve", "--port", "0", "--workers", "1",
         "--token-file", str(tokens), "--cache-dir", str(tmp_path / "cache")],
        stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(server.stderr.readline, "")),
                              daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        base = _served_at(lines, server)
        # Act
        ok = requests.post(f"{base}/v1/render", json=QUICK, timeout=30,
                           headers={"Authorization": "Bearer s3cret-token-value",
                                    "X-Request-Id": "trace-42"})
        refused = requests.post(f"{base}/v1/render", json=QUICK, timeout=30,
                                headers={"Authorization": "Bearer s3cret-guess"})
        server.send_signal(signal.SIGTERM)
        code = server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
    reader.join(10)
    # Assert
    assert (ok.status_code, refused.status_code, code) == (200, 401, 0)
    log = "".join(lines)
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert {"request_id": "trace-42", "method": "POST", "path": "/v1/render", "status": 200,
            "warnings": 0} == {k: v for k, v in records[0].items() if k != "ms"}
    assert records[1]["status"] == 401
    assert "s3cret" not in log
    assert lines[-1] == "offer-render: stopped\n"


def _served_at(lines: list[str], server: subprocess.Popen[str]) -> str:
    end = time.monotonic() + 60
    while time.monotonic() < end:
        for line in list(lines):
            found = re.search(r"serving on (http://127\.0\.0\.1:\d+) with 1 render workers",
                              line)
            if found:
                return found.group(1)
        assert server.poll() is None, "".join(lines)
        time.sleep(0.05)
    msg = "the service did not say where it serves"
    raise AssertionError(msg)

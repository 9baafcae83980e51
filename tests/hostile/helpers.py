"""Shared checks for the hostile suite: deadlines, leftover files, templates and served files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from offer_render.api import Renderer
from offer_render.config import Limits, NetworkPolicy, RendererConfig

CLI = [sys.executable, "-c", "from offer_render.cli.main import main; main()"]


SLACK = 3.0
"""How much longer than its deadline a block may take before it counts as hung. The
deadlines are guards against hangs and unbounded work, not speed tests (what is
refused is checked by the message): a machine running the suite on both cores next to
other work took 1.02 s for a 1 s block."""


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail the test if the block takes longer than ``seconds`` times :data:`SLACK`
    (exceptions pass through)."""
    start = time.monotonic()
    try:
        yield
    finally:
        took = time.monotonic() - start
        limit = seconds * SLACK
        assert took < limit, f"took {took:.2f} s, deadline {seconds:g} s x {SLACK:g}"


def files_in(folder: Path) -> list[str]:
    """Return every file under ``folder``, hidden ones included, as sorted relative paths."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def rect(content: str = "Hello", **changes: Any) -> dict[str, Any]:
    """Return a valid rectangle (generic font, no network) with ``changes`` applied."""
    base: dict[str, Any] = {
        "name": "r", "width": 200, "height": 100, "padding": 4, "offset_left": 0,
        "offset_top": 0, "text_align": "left", "color": "#000", "font_size": 16,
        "font_family": "sans-serif", "font_url": None, "content": content,
    }
    base.update(changes)
    return base


def template(*rects: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Return a 200x100 template holding ``rects`` with ``changes`` applied."""
    out: dict[str, Any] = {"width": 200, "height": 100, "rectangles": list(rects)}
    out.update(changes)
    return out


def renderer(*, allow_local: bool = False, timeout: float = 2.0, **limits: Any) -> Renderer:
    """Return a Renderer that may reach 127.0.0.1 (the test server) with a short deadline."""
    policy = NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}), allow_local_files=allow_local)
    config = RendererConfig(limits=Limits(fetch_timeout=timeout, **limits), network=policy)
    return Renderer(config)


def codes(report: dict[str, Any]) -> dict[str, str]:
    """Return every warning of a report (top level and per rectangle) as code -> message."""
    found = {w["code"]: w["message"] for w in report["warnings"]}
    for r in report["rectangles"]:
        found.update({w["code"]: w["message"] for w in r["warnings"]})
    return found


def run_cli(*args: str, cwd: Path, tmpdir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``offer-render ARGS`` in ``cwd`` with its own TMPDIR, as a real process."""
    env = {**os.environ, "OFFER_RENDER_DEBUG": "", "TMPDIR": str(tmpdir)}
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env=env, check=False)

"""Preview --watch: which files are watched, the re-render loop, a real watcher, the command."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image
from watchfiles import Change

from offer_render.config import NetworkPolicy, RendererConfig
from offer_render.preview.run import PreviewJob
from offer_render.preview.sheet import MARGIN
from offer_render.preview.watch import Round, Watcher, input_files, run_watch, watch_loop

REPO = Path(__file__).resolve().parents[1]
FONTS = REPO / "fixtures" / "fonts"
CLI = [sys.executable, "-c", "from offer_render.cli.main import main; main()"]


def write_template(folder: Path, content: str = "Hello", **extra: Any) -> Path:
    """Write a template with a local background and a local stylesheet; return its path."""
    Image.new("RGB", (160, 60), (20, 20, 60)).save(folder / "bg.png")
    rect = {"name": "T", "width": 140, "height": 40, "padding": 4, "offset_left": 10,
            "offset_top": 10, "text_align": "left", "color": "#FFFFFF", "font_size": 18,
            "font_family": "Raleway", "font_url": str(FONTS / "raleway.css"), "content": content}
    path = folder / "t.json"
    path.write_text(json.dumps({"width": 160, "height": 60, "background_url": "bg.png",
                                "rectangles": [rect], **extra}))
    return path


def job(template: Path, out: Path) -> PreviewJob:
    policy = NetworkPolicy(offline=True, allow_local_files=True, base_dir=template.parent)
    return PreviewJob(template, (), out, RendererConfig(network=policy))


def test_input_files_follow_the_template(tmp_path: Path) -> None:
    template = write_template(tmp_path)
    (tmp_path / "o.json").write_text("{}")
    files = input_files(template, [tmp_path / "o.json"])
    assert files == {template, tmp_path / "o.json", tmp_path / "bg.png",
                     FONTS / "raleway.css", FONTS / "Raleway-VF.ttf"}
    template.write_text("{ not json")  # half-edited: still watch the template itself
    assert input_files(template, []) == {template}


def test_watch_loop_renders_on_relevant_changes_and_survives_errors(tmp_path: Path) -> None:
    template = write_template(tmp_path)
    out = tmp_path / "out.png"
    lines: list[str] = []
    watcher = Watcher(run=job(template, out), inputs=lambda: input_files(template, []),
                      echo=lines.append)
    assert watcher.render()
    assert out.exists()
    assert lines[-1].startswith(f"{out} ")

    good = write_template(tmp_path, content="{{nope}}").read_text()

    def batches() -> Iterator[set[tuple[Change, str]]]:
        yield {(Change.modified, str(tmp_path / "unrelated.txt"))}  # ignored
        template.write_text("{ broken")                              # an error; keeps watching
        yield {(Change.modified, str(template))}
        template.write_text(good)                                    # a new warning
        yield {(Change.modified, str(template))}
        yield {(Change.modified, str(tmp_path / "bg.png"))}          # the background

    assert watch_loop(watcher, batches()) == 3
    assert watcher.rounds == 4
    assert watcher.failures == 1
    text = "\n".join(lines)
    assert "changed: unrelated.txt" not in text
    assert "error: " in text
    assert "is not valid JSON" in text
    assert "warning (new): template · en: rectangles[0].content: " in text
    assert "unknown placeholder {{nope}}" in text
    assert text.count("changed: t.json") == 2
    assert "changed: bg.png" in text


def test_watch_loop_counts_only_watched_files() -> None:
    rounds: list[int] = []

    def run() -> Round:
        rounds.append(1)
        return Round("ok")

    watcher = Watcher(run=run, inputs=lambda: {Path("/nowhere/t.json")}, echo=lambda _: None)
    assert watch_loop(watcher, [{(Change.added, "/nowhere/other.json")}]) == 0
    assert watch_loop(watcher, [{(Change.added, "/nowhere/t.json")}]) == 1
    assert rounds == [1]


def test_real_watcher_rerenders_after_a_file_change(tmp_path: Path) -> None:
    template = write_template(tmp_path)
    out = tmp_path / "out.png"
    lines: list[str] = []
    watcher = Watcher(run=job(template, out), inputs=lambda: input_files(template, []),
                      echo=lines.append)
    watcher.render()
    stop = threading.Event()
    thread = threading.Thread(target=run_watch, args=(watcher,),
                              kwargs={"stop_event": stop, "debounce_ms": 100}, daemon=True)
    thread.start()
    try:
        # The watcher starts asynchronously: touch the background until a render happens.
        deadline = time.monotonic() + 20
        n = 0
        while watcher.rounds < 2 and time.monotonic() < deadline:
            n += 1
            Image.new("RGB", (160, 60), (n % 250, 0, 0)).save(tmp_path / "bg.png")
            time.sleep(0.3)
        assert watcher.rounds >= 2, lines
        assert any(line.endswith("changed: bg.png") for line in lines)
        # Now the watcher runs: one more change, and the sheet shows the new background.
        time.sleep(0.5)
        Image.new("RGB", (160, 60), (0, 200, 0)).save(tmp_path / "bg.png")
        corner: object = None
        until = time.monotonic() + 20
        while corner != (0, 200, 0) and time.monotonic() < until:
            time.sleep(0.1)
            corner = Image.open(out).convert("RGB").getpixel((MARGIN + 2, MARGIN + 2))
        assert corner == (0, 200, 0)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_preview_watch_command_and_ctrl_c(tmp_path: Path) -> None:
    template = write_template(tmp_path)
    env = {**os.environ, "OFFER_RENDER_DEBUG": "", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([*CLI, "preview", "t.json", "--watch", "--offline"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()
    seen: list[str] = []

    def wait_for(needle: str, timeout: float, poke: Any = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=0.3))
            except queue.Empty:
                if poke is not None:
                    poke()
            if any(needle in line for line in seen):
                return
        msg = f"{needle!r} not printed; got {seen}"
        raise AssertionError(msg)

    edited = template.read_text().replace("Hello", "{{nope}}")
    try:
        wait_for("watching", 60)
        # The watcher starts just after that line: write until it reports the change.
        wait_for("changed: t.json", 30, poke=lambda: template.write_text(edited))
        wait_for("unknown placeholder {{nope}}", 30)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        wait_for("stopped watching", 5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (tmp_path / "t-preview.png").exists()
    assert proc.stderr is not None
    assert "Traceback" not in proc.stderr.read()

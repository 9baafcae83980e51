"""Hostile input through ``offer-render render`` as a real process: exit code, one line, no file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.helpers import files_in, rect, run_cli, template, within
from tests.hostile.test_images import png_bomb

BASE = Path(__file__).resolve().parents[2] / "fonts" / "DejaVuSans.ttf"


@pytest.fixture
def work(tmp_path: Path) -> tuple[Path, Path]:
    """Return (a working folder, an empty TMPDIR for the process)."""
    (tmp_path / "work").mkdir()
    (tmp_path / "tmp").mkdir()
    return tmp_path / "work", tmp_path / "tmp"


def _render(work: tuple[Path, Path], tmpl: dict[str, Any], *args: str,
            extra: dict[str, bytes] | None = None) -> tuple[int, str, list[str]]:
    """Run ``render t.json -o out.png --report r.json``; return code, stderr and new files."""
    folder, tmpdir = work
    raw = json.dumps(tmpl)
    (folder / "t.json").write_text(raw)
    for name, data in (extra or {}).items():
        (folder / name).write_bytes(data)
    inputs = set(files_in(folder))
    with within(30.0):
        done = run_cli("render", "t.json", "-o", "out.png", "--report", "r.json", *args,
                       cwd=folder, tmpdir=tmpdir)
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    assert files_in(tmpdir) == []
    return done.returncode, done.stderr, sorted(set(files_in(folder)) - inputs)


def test_cli_png_bomb_background_exits_1_and_writes_nothing(work: tuple[Path, Path]) -> None:
    code, err, new = _render(work, template(background_url="bomb.png"),
                             extra={"bomb.png": png_bomb(16384, 16384)})
    assert code == 1
    assert err.count("\n") == 1
    assert "background_url: " in err
    assert "pixels" in err
    assert new == []


def test_cli_metadata_address_background_exits_1(work: tuple[Path, Path]) -> None:
    code, err, new = _render(work, template(background_url="http://169.254.169.254/x.png"))
    assert code == 1
    assert "169.254.169.254 (cloud metadata)" in err
    assert new == []


def test_cli_negative_font_size_exits_2_naming_the_field(work: tuple[Path, Path]) -> None:
    code, err, new = _render(work, template(rect(font_size=-5)))
    assert code == 2
    assert "rectangles[0].font_size: must be greater than 0" in err
    assert new == []


def test_cli_injection_exits_2(work: tuple[Path, Path]) -> None:
    code, err, new = _render(work, template(rect("{{ ''.__class__.__base__ }}")))
    assert code == 2
    assert "rectangles[0].content" in err
    assert "sandbox" in err
    assert new == []


def test_cli_lone_surrogate_renders_with_a_utf8_report(work: tuple[Path, Path]) -> None:
    tmpl = template(rect("A\ud800B", name="Title\udfff"))
    code, err, new = _render(work, tmpl)
    assert code == 0, err
    assert new == ["out.png", "r.json"]
    report = json.loads((work[0] / "r.json").read_text(encoding="utf-8"))
    assert report["rectangles"][0]["text"] == "A\ufffdB"
    assert report["rectangles"][0]["name"] == "Title\ufffd"


def test_cli_truncated_local_font_warns_then_fails_in_strict_mode(
    work: tuple[Path, Path]
) -> None:
    css = b"@font-face { font-family: 'Cut'; src: url(cut.ttf); }"
    files = {"cut.ttf": BASE.read_bytes()[:20_000], "cut.css": css}
    tmpl = template(rect("Hi", font_family="Cut, sans-serif", font_url="cut.css"))
    code, err, new = _render(work, tmpl, extra=files)
    assert code == 0
    assert "rejected by the OpenType Sanitizer" in err
    assert new == ["out.png", "r.json"]
    for name in new:
        (work[0] / name).unlink()
    code, err, new = _render(work, tmpl, "--strict", extra=files)
    assert code == 1
    assert "strict mode" in err
    assert new == []

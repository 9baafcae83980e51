"""The offer-render command line, run as a real process: outputs, reports, exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from PIL import Image

from offer_render.config import BUNDLED_FONTS_DIR
from offer_render.resources.fontdb import FontDatabase
from tests.conftest import LocalServer
from tests.helpers.examples import served_offer

CLI = [sys.executable, "-c", "from offer_render.cli.main import main; main()"]
BUNDLED_FACES = len(FontDatabase((), bundled_dir=BUNDLED_FONTS_DIR).faces())


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "OFFER_RENDER_DEBUG": "", **(env or {})}
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=full_env
    )


def test_platform_sample_from_a_local_server(http_server: LocalServer, tmp_path: Path) -> None:
    offer = served_offer("platform-sample.json", http_server.base_url)
    (tmp_path / "sample.json").write_text(json.dumps(offer))
    done = run("render", "sample.json", "--allow-host", "127.0.0.1", "-o", "out.png",
               "--report", "report.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    image = Image.open(tmp_path / "out.png")
    assert image.size == (100, 300)
    report = json.loads((tmp_path / "report.json").read_text())
    rect = report["rectangles"][0]
    assert rect["text"] == "Galeria Krakowska, Arkadia"
    codes = {w["code"]: w["message"] for w in rect["warnings"]}
    assert "Playfair Display" in codes["family_not_in_stylesheet"]
    assert "Noto Serif" in codes["family_not_in_stylesheet"]
    assert rect["faces"][0]["family"] == "Noto Serif"
    # Magenta text lies inside the rectangle's content box (x >= 20, 10 <= y <= 200) and
    # is clipped at the canvas's right edge; nothing magenta elsewhere.
    rgb = image.convert("RGB")
    magenta = [
        (x, y) for y in range(300) for x in range(100)
        if (p := rgb.getpixel((x, y))) and p[0] > 200 and p[1] < 80 and p[2] > 200  # type: ignore[index]
    ]
    assert magenta, "no text drawn"
    assert min(x for x, _ in magenta) >= 20
    assert min(y for _, y in magenta) >= 10
    assert max(y for _, y in magenta) <= 205


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"width": 0, "height": 10}))
    done = run("render", "t.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "width: must be at least 1" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.png"))


def test_broken_json_and_missing_file_exit_2(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text("{ nope")
    done = run("render", "t.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "not valid JSON" in done.stderr
    done = run("render", "missing.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_unknown_format_and_option_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"width": 10, "height": 10}))
    done = run("render", "t.json", "--format", "bmp", cwd=tmp_path)
    assert done.returncode == 2
    assert "format" in done.stderr
    done = run("render", "t.json", "--no-such-flag", cwd=tmp_path)
    assert done.returncode == 2


def test_missing_background_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    template = {"width": 10, "height": 10, "background_url": "nowhere.png"}
    (tmp_path / "t.json").write_text(json.dumps(template))
    done = run("render", "t.json", "-o", "out.png", cwd=tmp_path)
    assert done.returncode == 1
    assert "background" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.png").exists()


def test_demo_renders_every_example_offline(tmp_path: Path) -> None:
    done = run("demo", "-o", "demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert "platform-sample.png" in names
    assert "coffee-week-pl@2x.jpg" in names
    assert "sticker.avif" in names
    assert "cat-cafe-pl.webp" in names
    report = json.loads((tmp_path / "demo" / "coffee-week-en.report.json").read_text())
    families = {f["family"] for r in report["rectangles"] for f in r["faces"]}
    assert {"Raleway", "Playfair Display"} <= families


def run_in(
    *args: str, cwd: Path, stdin: bytes = b"", module: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with ``stdin`` as its standard input; stdout and stderr as bytes."""
    env = {**os.environ, "OFFER_RENDER_DEBUG": ""}
    cmd = [sys.executable, "-m", "offer_render"] if module else CLI
    return subprocess.run([*cmd, *args], cwd=cwd, input=stdin, capture_output=True,
                          timeout=120, env=env)


SMALL = {"width": 40, "height": 20, "background_url": "bg.png", "rectangles": [{
    "name": "T", "content": "{{name}}", "width": 40, "height": 20, "padding": 0,
    "offset_left": 0, "offset_top": 0, "text_align": "left", "color": "#000",
    "font_size": 10, "font_family": "sans-serif", "font_url": None}]}


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """Return a folder holding ``bg.png`` (a relative background) and ``t.json``."""
    Image.new("RGB", (8, 8), (250, 200, 0)).save(tmp_path / "bg.png")
    (tmp_path / "t.json").write_text(json.dumps(SMALL))
    return tmp_path


def test_python_m_offer_render_is_the_cli(cwd: Path) -> None:
    done = run_in("render", "t.json", "-o", "a.png", cwd=cwd, module=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"a.png 40x20 png\n"
    (cwd / "bad.json").write_text(json.dumps({"width": 0, "height": 10}))
    bad = run_in("render", "bad.json", cwd=cwd, module=True)
    assert bad.returncode == 2
    assert bad.stderr == b"offer-render: error: width: must be at least 1\n"
    usage = run_in("--help", cwd=cwd, module=True)
    assert usage.returncode == 0
    assert usage.stdout.startswith(b"Usage: offer-render [OPTIONS] COMMAND")


def test_template_from_stdin_resolves_against_the_current_folder(cwd: Path) -> None:
    raw = (cwd / "t.json").read_bytes()
    done = run_in("render", "-", cwd=cwd, stdin=raw)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"offer.png 40x20 png\n"  # the documented default name
    corner = Image.open(cwd / "offer.png").convert("RGB").getpixel((39, 19))
    assert corner == (250, 200, 0)  # bg.png of the current folder
    help_text = run_in("render", "--help", cwd=cwd).stdout.decode()
    assert "offer.EXT when TEMPLATE is -" in " ".join(help_text.split())


def test_image_to_stdout_is_the_bytes_alone(cwd: Path) -> None:
    run_in("render", "t.json", "-o", "file.png", cwd=cwd)
    template = dict(SMALL, rectangles=[dict(SMALL["rectangles"][0],  # type: ignore[call-overload]
                                            content="{{nope}}")])
    done = run_in("render", "-", "-o", "-", cwd=cwd, stdin=json.dumps(template).encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\x89PNG\r\n\x1a\n")
    Image.open(io.BytesIO(done.stdout)).verify()
    lines = done.stderr.decode().splitlines()
    assert lines[-1] == "<stdout> 40x20 png"
    assert any(line.startswith("warning: rectangles[0].content") for line in lines)
    same = run_in("render", "t.json", "-o", "-", cwd=cwd)
    assert same.stdout == (cwd / "file.png").read_bytes()
    assert not (cwd / "-").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["t.json", "--locales", "en,pl", "-o", "-"], "--locales writes one file per locale"),
    (["-", "--offer", "-"], "only one argument can be - (standard input)"),
])
def test_stdin_and_stdout_misuse_is_a_usage_error(
    cwd: Path, args: list[str], message: str
) -> None:
    done = run_in("render", *args, cwd=cwd, stdin=b"{}")
    assert done.returncode == 2
    assert message in done.stderr.decode()
    assert done.stdout == b""


def test_broken_json_on_stdin_names_stdin(cwd: Path) -> None:
    done = run_in("render", "-", cwd=cwd, stdin=b"{ nope")
    assert done.returncode == 2
    assert done.stderr.startswith(b"offer-render: error: <stdin>: is not valid JSON: line 1")


def test_lint_and_preview_read_the_template_from_stdin(cwd: Path) -> None:
    raw = json.dumps(dict(SMALL, rectangles=[dict(SMALL["rectangles"][0],  # type: ignore[call-overload]
                                                  content="{{nope}}")])).encode()
    lint = run_in("lint", "-", "--no-worst-case", cwd=cwd, stdin=raw)
    assert lint.returncode == 1, lint.stderr
    assert b"unknown placeholder {{nope}}" in lint.stdout
    assert lint.stderr == b"<stdin>: 1 error, 0 warnings\n"
    preview = run_in("preview", "-", cwd=cwd, stdin=raw)
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.startswith(b"offer-preview.png ")
    assert (cwd / "offer-preview.png").is_file()
    watch = run_in("preview", "-", "--watch", cwd=cwd, stdin=raw)
    assert watch.returncode == 2
    assert b"--watch cannot watch standard input" in watch.stderr


def test_format_is_a_case_insensitive_choice(cwd: Path) -> None:
    upper = run_in("render", "t.json", "--format", "PNG", "-o", "a.png", cwd=cwd)
    assert upper.returncode == 0, upper.stderr
    jpg = run_in("render", "t.json", "--format", "Jpg", cwd=cwd)
    assert jpg.returncode == 0, jpg.stderr
    assert jpg.stdout == b"t.jpg 40x20 jpeg\n"
    assert Image.open(cwd / "t.jpg").format == "JPEG"
    bad = run_in("render", "t.json", "--format", "bmp", cwd=cwd)
    assert bad.returncode == 2
    assert "'bmp' is not one of 'png', 'jpeg', 'jpg', 'jpe', 'jfif', 'webp', 'avif'" in (
        bad.stderr.decode())
    for command in ("render", "batch"):
        text = " ".join(run_in(command, "--help", cwd=cwd).stdout.decode().split())
        assert "--format [png|jpeg|jpg|jpe|jfif|webp|avif]" in text


def test_every_format_choice_is_a_spelling_the_encoder_takes() -> None:
    from offer_render.cli.options import FORMAT_CHOICES
    from offer_render.encode import FORMATS, normalize_format
    from offer_render.encode.encoders import _ALIASES

    assert set(FORMAT_CHOICES) == set(FORMATS) | set(_ALIASES)
    assert {normalize_format(c) for c in FORMAT_CHOICES} == set(FORMATS)


def test_library_fields_print_as_the_commands_flags(cwd: Path) -> None:
    done = run_in("render", "t.json", "--scale", "9", cwd=cwd)
    assert done.returncode == 2
    assert done.stderr == (b"offer-render: error: --scale: must be greater than 0 and at "
                           b"most 4\n")
    done = run_in("render", "t.json", "--locale", "p l", cwd=cwd)
    assert done.stderr.startswith(b"offer-render: error: --locale: 'p l' is not a locale name")
    from offer_render.cli.flags import with_flags
    from offer_render.cli.main import cli
    from offer_render.errors import InvalidInputError

    batch = cli.get_command(click.Context(cli), "batch")
    assert batch is not None
    error = InvalidInputError([("jobs", "must be at least 1"), ("locales[2]", "'x/' is not"),
                               ("rectangles[0].font_size", "must be > 0"), ("width", "bad")])
    assert str(with_flags(error, batch)) == (
        "--jobs: must be at least 1; --locales: 'x/' is not; "
        "rectangles[0].font_size: must be > 0; width: bad")


def test_no_library_error_names_a_command_line_flag() -> None:
    root = Path(__file__).resolve().parents[1] / "offer_render"
    pattern = re.compile(r"""\(\s*f?["']--[a-z]|msg = f?["'][^"']*\s--[a-z]""")
    offenders = [f"{path.relative_to(root)}:{n}"
                 for path in root.rglob("*.py") if "cli" not in path.relative_to(root).parts
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []


def test_doctor_reports_versions_and_exits_0(tmp_path: Path) -> None:
    done = run_in("doctor", "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    by_name = {name: line for line in lines for name in (
        "Python", "Pillow", "raqm", "FriBiDi", "HarfBuzz (Pillow)", "HarfBuzz (uharfbuzz)",
        "OpenType Sanitizer", "FreeType", "AVIF", "WebP", "ICU", "bundled fonts", "disk cache")
        if line[9:].startswith(name + " ")}
    assert len(by_name) == 13, lines
    assert all(line.startswith("ok ") for line in by_name.values())
    from PIL import __version__ as pillow
    from PIL import features

    assert f" {pillow} " in by_name["Pillow"]
    assert f" {features.version('raqm')} " in by_name["raqm"]
    assert f" {features.version('fribidi')} " in by_name["FriBiDi"]
    assert f"({BUNDLED_FACES} faces)" in by_name["bundled fonts"]
    assert f"{tmp_path / 'cache'} (writable, 0 bytes used)" in by_name["disk cache"]
    assert done.stderr == b""


def test_doctor_json_and_a_missing_part_exits_1(tmp_path: Path) -> None:
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "a.ttf").write_bytes((Path(__file__).resolve().parents[1] / "fonts" /
                                                "DejaVuSans.ttf").read_bytes())
    (tmp_path / "cache-file").write_text("not a folder")
    done = run_in("doctor", "--json", "--font-dir", str(tmp_path / "fonts"), "--font-dir",
                  str(tmp_path / "nowhere"), "--cache-dir", str(tmp_path / "cache-file" / "sub"),
                  cwd=tmp_path)
    assert done.returncode == 1
    checks = {c["key"] if c["key"] != "font_dir" else c["path"]: c
              for c in json.loads(done.stdout)}
    assert checks["raqm"]["status"] == "ok"
    assert checks["fonts"]["faces"] == BUNDLED_FACES
    assert checks[str(tmp_path / "fonts")]["faces"] == 1
    assert checks[str(tmp_path / "nowhere")]["status"] == "missing"
    cache = checks["cache"]
    assert (cache["status"], cache["writable"], cache["required"]) == ("warning", False, False)
    assert f"{tmp_path / 'cache-file'} is not a folder" in cache["detail"]
    assert done.stderr.decode() == (
        f"offer-render: error: not ready, missing: font dir ({tmp_path / 'nowhere'}: no such "
        "folder)\n")


def test_verbose_shows_font_library_warnings_quiet_hides_render_warnings(tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    from tests.helpers.boxfont import box_font_bytes

    font = TTFont(io.BytesIO(box_font_bytes("Old Box")))
    font["head"].created = 1000  # before 1904 + 66 years: fontTools warns, as on real fonts
    (tmp_path / "fonts").mkdir()
    font.save(str(tmp_path / "fonts" / "old.ttf"))
    template = dict(SMALL, background_url=None, rectangles=[dict(
        SMALL["rectangles"][0], font_family="Old Box, sans-serif",  # type: ignore[call-overload]
        content="{{nope}}")])
    (tmp_path / "t.json").write_text(json.dumps(template))
    args = ["render", "t.json", "--font-dir", "fonts", "-o", "a.png"]
    plain = run_in(*args, cwd=tmp_path).stderr.decode()
    assert "timestamp" not in plain
    assert plain.startswith("warning: rectangles[0].content")
    loud = run_in("-v", *args, cwd=tmp_path).stderr.decode()
    assert ("offer-render: warning: 'created' timestamp seems very low; regarding as unix "
            "timestamp") in loud
    debug = run_in("-vv", *args, cwd=tmp_path).stderr.decode()
    assert "offer-render: debug: wrote a.png (" in debug
    quiet = run_in("-q", *args, cwd=tmp_path)
    assert quiet.returncode == 0
    assert quiet.stderr == b""
    assert quiet.stdout == b"a.png 40x20 png\n"
    both = run_in("-v", "-q", *args, cwd=tmp_path)
    assert both.returncode == 2
    assert b"-v and -q cannot be used together" in both.stderr


def test_counts_are_singular_for_one() -> None:
    from offer_render.cli.words import count

    assert [count(n, "warning") for n in (0, 1, 2)] == ["0 warnings", "1 warning", "2 warnings"]
    assert count(1, "entry", "entries") == "1 entry"
    assert count(3, "entry", "entries") == "3 entries"


def test_main_in_process_leaves_the_callers_logging_as_it_was(tmp_path: Path) -> None:
    # Arrange
    import logging

    from offer_render.cli.main import main

    logger = logging.getLogger("offer_render")
    before = (logger.level, list(logger.handlers), logger.propagate)
    # Act: -vv sets up the CLI's handler for the run
    with pytest.raises(SystemExit) as done:
        main(["-vv", "doctor", "--json"])
    # Assert
    assert done.value.code == 0
    assert (logger.level, list(logger.handlers), logger.propagate) == before

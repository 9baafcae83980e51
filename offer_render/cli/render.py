"""The ``offer-render render`` command: take a template (file or stdin), write the image(s).

Prints one line per image written (``PATH WxH FORMAT``) on stdout, or on stderr
when the image itself goes to stdout (``-o -``), and every render warning on
stderr. Exit codes are ``main()``'s.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from offer_render.cli.logs import is_quiet
from offer_render.cli.options import (
    base_dir_of,
    display_name,
    format_option,
    is_stdin,
    make_config,
    network_options,
    one_stdin,
    read_json,
)
from offer_render.errors import InvalidInputError, WriteError
from offer_render.files import write_atomic

STDIN_STEM = "offer"
"""Stem of the default output name when TEMPLATE is ``-``: ``offer.png``."""

STDOUT_NAME = "<stdout>"


@click.command()
@click.argument("template", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.option("--offer", "offer_path",
              type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
              help="Offer JSON whose data fills the placeholders (- reads standard input).")
@click.option("--locale", default=None, help="Render locale, e.g. en, pl, pt-BR.")
@click.option("--locales", "locales_csv", default=None, metavar="L1,L2",
              help="Render each locale to OUT-STEM-LOCALE.EXT (reports: REPORT-STEM-LOCALE.json).")
@format_option
@click.option("--scale", default=1.0, show_default=True, type=float, help="2 gives an @2x image.")
@click.option("--quality", default=None, type=int, help="Quality for jpeg, webp and avif.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
              help="Output file; - writes the image to standard output (then the summary line "
                   "goes to stderr). Default: TEMPLATE's name with the format's extension, "
                   f"or {STDIN_STEM}.EXT when TEMPLATE is -.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the render report (JSON) here.")
@click.option("--context", "context_path", type=click.Path(dir_okay=False, path_type=Path),
              help="JSON object of extra merge fields.")
@click.option("--collections", "collections_path",
              type=click.Path(dir_okay=False, path_type=Path),
              help="JSON list of collections, for {{collection}}.")
@click.option("--strict", is_flag=True, help="Unknown keys, placeholders and fonts are errors.")
@network_options
def render(
    template: Path,
    offer_path: Path | None,
    locale: str | None,
    locales_csv: str | None,
    fmt: str,
    scale: float,
    quality: int | None,
    output: Path | None,
    report_path: Path | None,
    context_path: Path | None,
    collections_path: Path | None,
    strict: bool,
    allow_hosts: tuple[str, ...],
    offline: bool,
    font_dirs: tuple[Path, ...],
) -> None:
    """Render TEMPLATE (a template JSON, or an offer JSON holding image_template).

    TEMPLATE - reads the JSON from standard input; relative resource paths in it
    then resolve against the current folder.
    """
    from offer_render.api import Renderer
    from offer_render.encode import normalize_format
    from offer_render.locales import check_locale, parse_locale_list

    one_stdin(template, offer_path)
    to_stdout = is_stdin(output)
    if locales_csv is not None and locale is not None:
        msg = "--locale and --locales cannot be used together"
        raise click.UsageError(msg)
    if locales_csv is not None and to_stdout:
        msg = "--locales writes one file per locale, so it cannot be used with -o - (stdout)"
        raise click.UsageError(msg)
    if locale is not None:
        check_locale(locale, "locale")
    locales = parse_locale_list(locales_csv, "locales") if locales_csv is not None else None
    fmt = normalize_format(fmt)
    data = read_json(template)
    offer = read_json(offer_path) if offer_path else None
    if offer is None and isinstance(data, dict) and "image_template" in data:
        offer = data  # an offer file renders with its own data
    context = _json_of(context_path, dict, "a JSON object")
    collections = _json_of(collections_path, list, "a JSON list")
    config = make_config(allow_hosts, offline, font_dirs, base_dir_of(template))
    renderer = Renderer(config)
    options: dict[str, Any] = {
        "format": fmt, "scale": scale, "quality": quality, "strict": strict,
        "context": context, "collections": collections,
    }
    stem = STDIN_STEM if is_stdin(template) else template.stem
    out = output or Path(f"{stem}.{'jpg' if fmt == 'jpeg' else fmt}")
    if locales is None:
        results = {"": renderer.render(data, offer, locale=locale, **options)}
    else:  # every locale renders before any file is written
        results = dict(renderer.render_locales(data, offer, locales=locales, **options))
    for loc, result in results.items():
        suffix = f"-{loc}" if loc else ""
        if to_stdout:
            _to_stdout(result.data)
            where = STDOUT_NAME
        else:
            out_file = out.with_name(f"{out.stem}{suffix}{out.suffix}")
            write_atomic(out_file, result.data)
            where = str(out_file)
        if report_path:  # after the image: no report is left for an image not written
            report_file = report_path.with_name(f"{report_path.stem}{suffix}{report_path.suffix}")
            payload = json.dumps(result.report, indent=2, ensure_ascii=False).encode()
            write_atomic(report_file, payload)
        if not is_quiet():
            for w in _warnings(result.report):
                click.echo(f"warning: {w.get('path', '')}: {w['message']}", err=True)
        click.echo(f"{where} {result.width}x{result.height} {result.format}", err=to_stdout)


def _json_of(path: Path | None, kind: type, what: str) -> Any:
    """Return the JSON in ``path`` (None when not given), which must be a ``kind``."""
    if path is None:
        return None
    data = read_json(path)
    if not isinstance(data, kind):
        raise InvalidInputError([(display_name(path), f"must hold {what}")])
    return data


def _warnings(report: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(report["warnings"])
    for rect in report["rectangles"]:
        found.extend(rect["warnings"])
    return found


def _to_stdout(data: bytes) -> None:
    """Write ``data`` to standard output as bytes (a full disk or closed pipe is one line)."""
    stream = sys.stdout.buffer  # raw (short writes possible) under python -u / PYTHONUNBUFFERED
    try:
        view = memoryview(data)
        while view:
            written = stream.write(view)
            if not written:  # a non-blocking stdout that is full: do not spin
                raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))
            view = view[written:]
        stream.flush()
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):  # the reader left: keep the exit flush quiet
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        raise WriteError(STDOUT_NAME, exc) from None


command: click.Command = render
"""The command object ``main.py`` registers."""

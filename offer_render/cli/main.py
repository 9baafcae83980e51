"""Parse the ``offer-render`` command line and run a subcommand; map errors to exit codes.

Exit codes (SPEC 4): 0 done; 1 a resource could not be had or rendering failed;
2 invalid input or usage. No traceback reaches the user unless
``OFFER_RENDER_DEBUG=1`` is set.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from offer_render.cli.batch import command as batch_command
from offer_render.cli.files import write_atomic
from offer_render.cli.fonts import command as fonts_command
from offer_render.cli.lint import command as lint_command
from offer_render.cli.options import make_config, network_options, read_json
from offer_render.cli.preview import command as preview_command
from offer_render.errors import InvalidInputError, OfferRenderError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="offer-render")
def cli() -> None:
    """Render offer images from image_template JSON, as a browser would draw them."""


@cli.command()
@click.argument("template", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--offer", "offer_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Offer JSON whose data fills the placeholders.")
@click.option("--locale", default=None, help="Render locale, e.g. en, pl, pt-BR.")
@click.option("--locales", "locales_csv", default=None, metavar="L1,L2",
              help="Render each locale to OUT-STEM-LOCALE.EXT (reports: REPORT-STEM-LOCALE.json).")
@click.option("--format", "fmt", default="png", show_default=True,
              help="png, jpeg, webp or avif.")
@click.option("--scale", default=1.0, show_default=True, type=float, help="2 gives an @2x image.")
@click.option("--quality", default=None, type=int, help="Quality for jpeg, webp and avif.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (default: TEMPLATE's name with the format's extension).")
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
    """Render TEMPLATE (a template JSON, or an offer JSON holding image_template)."""
    from offer_render.api import Renderer
    from offer_render.encode import normalize_format

    data = read_json(template)
    offer = read_json(offer_path) if offer_path else None
    if offer is None and isinstance(data, dict) and "image_template" in data:
        offer = data  # an offer file renders with its own data
    context = read_json(context_path) if context_path else None
    if context is not None and not isinstance(context, dict):
        raise InvalidInputError([(str(context_path), "must hold a JSON object")])
    collections = read_json(collections_path) if collections_path else None
    if collections is not None and not isinstance(collections, list):
        raise InvalidInputError([(str(collections_path), "must hold a JSON list")])
    fmt = normalize_format(fmt)
    locales = _locales_option(locale, locales_csv)
    config = make_config(allow_hosts, offline, font_dirs, template.resolve().parent)
    renderer = Renderer(config)
    options: dict[str, Any] = {
        "format": fmt, "scale": scale, "quality": quality, "strict": strict,
        "context": context, "collections": collections,
    }
    out = output or Path(f"{template.stem}.{'jpg' if fmt == 'jpeg' else fmt}")
    if locales is None:
        results = {"": renderer.render(data, offer, locale=locale, **options)}
    else:  # every locale renders before any file is written
        results = dict(renderer.render_locales(data, offer, locales=locales, **options))
    for loc, result in results.items():
        suffix = f"-{loc}" if loc else ""
        out_file = out.with_name(f"{out.stem}{suffix}{out.suffix}")
        if report_path:
            report_file = report_path.with_name(f"{report_path.stem}{suffix}{report_path.suffix}")
            payload = json.dumps(result.report, indent=2, ensure_ascii=False).encode()
            write_atomic(report_file, payload)
        write_atomic(out_file, result.data)
        warnings = [w for w in result.report["warnings"]]
        for rect in result.report["rectangles"]:
            warnings.extend(rect["warnings"])
        for w in warnings:
            click.echo(f"warning: {w.get('path', '')}: {w['message']}", err=True)
        click.echo(f"{out_file} {result.width}x{result.height} {result.format}")


_LOCALE_NAME = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")


def _locales_option(locale: str | None, locales_csv: str | None) -> list[str] | None:
    """Return the locales of ``--locales`` (None without it); it excludes ``--locale``."""
    if locales_csv is None:
        return None
    if locale is not None:
        msg = "--locale and --locales cannot be used together"
        raise click.UsageError(msg)
    locales = [part.strip() for part in locales_csv.split(",") if part.strip()]
    bad = [loc for loc in locales if len(loc) > 35 or not _LOCALE_NAME.fullmatch(loc)]
    if not locales or bad:
        shown = f": {', '.join(map(repr, bad))}" if bad else ""
        msg = f"--locales needs comma-separated locale names such as en,pl,pt-BR{shown}"
        raise click.UsageError(msg)
    return locales


@cli.command()
@click.option("-o", "--output", "out_dir", default="offer-render-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the images.")
def demo(out_dir: Path) -> None:
    """Render the bundled examples offline into a folder, with their reports."""
    from offer_render.cli.demo import run_demo

    run_demo(out_dir)


cli.add_command(batch_command)
cli.add_command(preview_command)
cli.add_command(lint_command)
cli.add_command(fonts_command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; print errors as one line and exit with the SPEC's code."""
    try:
        rc = cli.main(args=argv, prog_name="offer-render", standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.Abort:
        click.echo("offer-render: aborted", err=True)
        sys.exit(130)
    except OfferRenderError as exc:
        click.echo(f"offer-render: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("offer-render: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, keep the traceback for debugging
        if os.environ.get("OFFER_RENDER_DEBUG") == "1":
            raise
        click.echo(
            f"offer-render: internal error: {type(exc).__name__}: {exc} "
            "(set OFFER_RENDER_DEBUG=1 for the traceback)",
            err=True,
        )
        sys.exit(1)

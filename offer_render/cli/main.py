"""Parse the ``offer-render`` command line and run a subcommand; map errors to exit codes.

Exit codes (SPEC 4): 0 done; 1 a resource could not be had or rendering failed;
2 invalid input or usage. No traceback reaches the user unless
``OFFER_RENDER_DEBUG=1`` is set.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from offer_render.cli.files import write_atomic
from offer_render.config import NetworkPolicy, RendererConfig
from offer_render.errors import InvalidInputError, OfferRenderError

F = TypeVar("F", bound=Callable[..., Any])


def network_options(func: F) -> F:
    """Add the network policy flags every subcommand shares."""
    func = click.option(
        "--allow-host", "allow_hosts", multiple=True, metavar="HOST",
        help="Allow this host even if it is private or loopback (repeatable).",
    )(func)
    func = click.option("--offline", is_flag=True, help="Use only cached or local resources.")(func)
    func = click.option(
        "--font-dir", "font_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
        help="Extra folder of installed fonts (repeatable).",
    )(func)
    return func


def make_config(
    allow_hosts: tuple[str, ...], offline: bool, font_dirs: tuple[Path, ...], base_dir: Path
) -> RendererConfig:
    """Return the configuration the CLI renders with: local files allowed, for designers."""
    policy = NetworkPolicy(
        allow_hosts=frozenset(allow_hosts), offline=offline, allow_local_files=True,
        base_dir=base_dir,
    )
    return RendererConfig(network=policy, font_dirs=font_dirs)


def read_json(path: Path) -> Any:
    """Return the JSON in ``path``, or raise InvalidInputError naming the file."""
    from offer_render.template.validate import load_json_file

    return load_json_file(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="offer-render")
def cli() -> None:
    """Render offer images from image_template JSON, as a browser would draw them."""


@cli.command()
@click.argument("template", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--offer", "offer_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Offer JSON whose data fills the placeholders.")
@click.option("--locale", default=None, help="Render locale, e.g. en, pl, pt-BR.")
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
    config = make_config(allow_hosts, offline, font_dirs, template.resolve().parent)
    result = Renderer(config).render(
        data, offer, locale=locale, format=fmt, scale=scale, quality=quality, strict=strict,
        context=context, collections=collections,
    )
    out = output or Path(f"{template.stem}.{'jpg' if fmt == 'jpeg' else fmt}")
    if report_path:
        write_atomic(report_path, json.dumps(result.report, indent=2, ensure_ascii=False).encode())
    write_atomic(out, result.data)
    warnings = [w for w in result.report["warnings"]]
    for rect in result.report["rectangles"]:
        warnings.extend(rect["warnings"])
    for w in warnings:
        click.echo(f"warning: {w.get('path', '')}: {w['message']}", err=True)
    click.echo(f"{out} {result.width}x{result.height} {result.format}")


@cli.command()
@click.option("-o", "--output", "out_dir", default="offer-render-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the images.")
def demo(out_dir: Path) -> None:
    """Render the bundled examples offline into a folder, with their reports."""
    from offer_render.cli.demo import run_demo

    run_demo(out_dir)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; print errors as one line and exit with the SPEC's code."""
    try:
        cli.main(args=argv, prog_name="offer-render", standalone_mode=False)
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

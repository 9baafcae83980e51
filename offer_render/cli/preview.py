"""Parse ``offer-render preview``; render a contact sheet once, or again on every file change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from offer_render.cli.logs import is_quiet
from offer_render.cli.options import (
    base_dir_of,
    is_stdin,
    make_config,
    network_options,
    one_stdin,
    read_json,
    sample_options,
)
from offer_render.cli.words import count

STDIN_OUTPUT = "offer-preview.png"
"""Default output when TEMPLATE is ``-`` (standard input)."""


@click.command()
@click.argument("template", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@sample_options("render")
@click.option("--debug", is_flag=True,
              help="Draw boxes, padding, line boxes, baselines, clipping (red) and fallbacks.")
@click.option("--watch", is_flag=True, help="Render again whenever an input file changes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Output PNG (default: <TEMPLATE stem>-preview.png, or "
                   f"{STDIN_OUTPUT} when TEMPLATE is -).")
@click.option("--columns", type=click.IntRange(min=1, max=100), default=None,
              help="Cells per row (default: one per locale).")
@click.option("--cell-width", type=click.IntRange(min=16, max=4096), default=None,
              help="Width of each cell in px (default: the render's width, at most 800).")
@click.option("--scale", default=1.0, show_default=True, type=float,
              help="Render scale; 2 gives sharper cells and overlay.")
@network_options
def preview(
    template: Path,
    offer_paths: tuple[Path, ...],
    locales: str | None,
    debug: bool,
    watch: bool,
    output: Path | None,
    columns: int | None,
    cell_width: int | None,
    scale: float,
    allow_hosts: tuple[str, ...],
    offline: bool,
    font_dirs: tuple[Path, ...],
) -> None:
    """Render TEMPLATE against sample offers and locales into one labelled contact sheet.

    TEMPLATE - reads it from standard input (relative paths: the current folder);
    it cannot be watched.
    """
    from offer_render.locales import parse_locale_list
    from offer_render.preview.run import PreviewJob
    from offer_render.preview.watch import Watcher, input_files, run_watch

    one_stdin(template, *offer_paths)
    if watch and any(is_stdin(p) for p in (template, *offer_paths)):
        msg = "--watch cannot watch standard input (-): give files"
        raise click.UsageError(msg)
    parsed = parse_locale_list(locales, "locales") if locales is not None else None
    default_output = STDIN_OUTPUT if is_stdin(template) else f"{template.stem}-preview.png"
    job = PreviewJob(
        template_path=template,
        offer_paths=offer_paths,
        output=output or Path(default_output),
        config=make_config(allow_hosts, offline, font_dirs, base_dir_of(template)),
        locales=tuple(parsed) if parsed else None,
        debug=debug,
        columns=columns,
        cell_width=cell_width,
        scale=scale,
        read=_stdin_once(template, *offer_paths),
    )
    if not watch:
        result = job()
        if not is_quiet():
            for line in result.warnings:
                click.echo(f"warning: {line}", err=True)
        click.echo(result.summary)
        return
    watcher = Watcher(
        run=job, inputs=lambda: input_files(template, offer_paths),
        echo=lambda line: click.echo(line),
    )
    try:
        watcher.render()
        click.echo(f"watching {count(len(watcher.files()), 'file')}; Ctrl-C to stop")
        run_watch(watcher)
    except KeyboardInterrupt:
        click.echo("stopped watching")


def _stdin_once(*paths: Path) -> Any:
    """Return a JSON reader that reads ``-`` (standard input) once and serves it again."""
    if not any(is_stdin(p) for p in paths):
        return read_json
    data = read_json(Path("-"))
    return lambda path: data if is_stdin(path) else read_json(path)


command: click.Command = preview
"""The command, typed for main.py (mypy cannot infer a decorated name across the import cycle)."""

"""Parse ``offer-render preview``; render a contact sheet once, or again on every file change."""

from __future__ import annotations

from pathlib import Path

import click

from offer_render.cli.options import make_config, network_options, sample_options


@click.command()
@click.argument("template", type=click.Path(dir_okay=False, path_type=Path))
@sample_options("render")
@click.option("--debug", is_flag=True,
              help="Draw boxes, padding, line boxes, baselines, clipping (red) and fallbacks.")
@click.option("--watch", is_flag=True, help="Render again whenever an input file changes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Output PNG (default: <TEMPLATE stem>-preview.png).")
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
    """Render TEMPLATE against sample offers and locales into one labelled contact sheet."""
    from offer_render.preview.run import PreviewJob
    from offer_render.preview.samples import parse_locales
    from offer_render.preview.watch import Watcher, input_files, run_watch

    parsed = parse_locales(locales)
    job = PreviewJob(
        template_path=template,
        offer_paths=offer_paths,
        output=output or Path(f"{template.stem}-preview.png"),
        config=make_config(allow_hosts, offline, font_dirs, template.resolve().parent),
        locales=tuple(parsed) if parsed else None,
        debug=debug,
        columns=columns,
        cell_width=cell_width,
        scale=scale,
    )
    if not watch:
        result = job()
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
        click.echo(f"watching {len(watcher.files())} files; Ctrl-C to stop")
        run_watch(watcher)
    except KeyboardInterrupt:
        click.echo("stopped watching")


command: click.Command = preview
"""The command, typed for main.py (mypy cannot infer a decorated name across the import cycle)."""

"""Parse ``offer-render lint``; print one line per finding (or JSON); exit 1 when any is found."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from offer_render.cli.options import (
    base_dir_of,
    display_name,
    make_config,
    network_options,
    one_stdin,
    read_json,
    sample_options,
)
from offer_render.cli.words import count


@click.command()
@click.argument("template", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@sample_options("check")
@click.option("--no-worst-case", "no_worst_case", is_flag=True,
              help="Check only the sample offers, not lint's own worst-case data.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON list.")
@network_options
def lint(
    template: Path,
    offer_paths: tuple[Path, ...],
    locales: str | None,
    no_worst_case: bool,
    as_json: bool,
    allow_hosts: tuple[str, ...],
    offline: bool,
    font_dirs: tuple[Path, ...],
) -> None:
    """Check TEMPLATE for risky choices; exit 0 when clean, 1 when problems are found.

    Checks fonts, placeholders, clipping, canvas and overlap, WCAG AA contrast on
    the background, missing glyphs per locale and the platform's limits, with
    the sample offers and with worst-case data (longest texts, RTL, emoji).
    TEMPLATE - reads it from standard input (relative paths: the current folder).
    """
    from offer_render.api import Renderer
    from offer_render.lint import lint_template
    from offer_render.locales import parse_locale_list
    from offer_render.preview.samples import load_inputs

    one_stdin(template, *offer_paths)
    wanted = parse_locale_list(locales, "locales") if locales is not None else None
    inputs = load_inputs(template, offer_paths, read=read_json)
    config = make_config(allow_hosts, offline, font_dirs, base_dir_of(template))
    findings = lint_template(
        Renderer(config), inputs.template, inputs.samples, locales=wanted,
        worst_case=not no_worst_case,
    )
    if as_json:
        click.echo(json.dumps([f.to_json() for f in findings], indent=2, ensure_ascii=False))
    else:
        for f in findings:
            click.echo(f.line())
        errors = sum(f.severity == "error" for f in findings)
        name = display_name(template)
        summary = (
            f"{name}: {count(errors, 'error')}, {count(len(findings) - errors, 'warning')}"
            if findings else f"{name}: clean"
        )
        click.echo(summary, err=True)
    if findings:
        sys.exit(1)  # not click's Exit: main() runs click with standalone_mode=False


command: click.Command = lint
"""The command, typed for main.py (mypy cannot infer a decorated name across the import cycle)."""

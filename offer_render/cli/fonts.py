"""The ``offer-render fonts`` commands: ``pull`` fills the download cache for offline work."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from offer_render.cli.flags import FlagGroup
from offer_render.cli.options import make_config, network_options, read_json
from offer_render.cli.words import count
from offer_render.diagnostics import Diagnostics
from offer_render.errors import InvalidInputError, ResourceError
from offer_render.template.models import ImageTemplate


def _templates(source: Path, config: Any) -> Iterator[ImageTemplate]:
    """Yield the templates in a template JSON, an offer JSON, or a JSON Lines file of offers."""
    from offer_render.template.validate import parse_template

    if source.suffix == ".jsonl":
        try:
            lines = source.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InvalidInputError([(str(source), f"cannot read: {exc.strerror}")]) from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInputError([(f"{source}:{number}", f"not valid JSON: {exc.msg}")]) \
                    from None
            yield parse_template(data, limits=config.limits, diag=Diagnostics())
    else:
        yield parse_template(read_json(source), limits=config.limits, diag=Diagnostics())


def _families(scripts_csv: str) -> list[str]:
    """Return the fallback families of comma-separated languages or script codes."""
    from offer_render.resources.scripts import families_for_code

    out: list[str] = []
    for i, code in enumerate(c for c in scripts_csv.split(",") if c.strip()):
        try:
            out.extend(families_for_code(code))
        except ValueError as exc:
            raise InvalidInputError([(f"scripts[{i}]", str(exc))]) from None
    return list(dict.fromkeys(out))


@click.group(cls=FlagGroup)
def fonts() -> None:
    """Work with the fonts and downloads templates use."""


@fonts.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--scripts", "scripts_csv", metavar="CODES",
              help="Also pin the fallback faces of these languages or ISO 15924 scripts, "
                   "comma-separated (ko,th,zh-Hant,Deva), from the font source.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Download cache to fill (default: $OFFER_RENDER_CACHE_DIR or the user cache).")
@network_options
def pull(
    source: Path | None,
    scripts_csv: str | None,
    cache_dir: Path | None,
    allow_hosts: tuple[str, ...],
    offline: bool,
    font_dirs: tuple[Path, ...],
) -> None:
    """Fetch every stylesheet, font and background SOURCE names into the download cache.

    SOURCE is a template JSON, an offer JSON, or OFFERS.jsonl. With ``--scripts``,
    the faces the fallback chain names for those languages or scripts are fetched
    from the font source too (regular and bold, every subset). Afterwards
    ``--offline`` renders need no network.
    """
    from offer_render.api import Renderer
    from offer_render.resources.fontsource import css_weight
    from offer_render.resources.pull import PULL_WEIGHTS
    from offer_render.resources.pull import pull as pull_resources

    if source is None and not scripts_csv:
        msg = "give SOURCE, --scripts, or both"
        raise click.UsageError(msg)
    base = source.resolve().parent if source is not None else Path.cwd()
    config = make_config(allow_hosts, offline, font_dirs, base)
    if cache_dir is not None:
        config = dataclasses.replace(config, cache_dir=cache_dir)
    renderer = Renderer(config)
    stylesheets: list[str] = []
    if scripts_csv:
        source_api = renderer.fonts.source
        if source_api is None:
            raise InvalidInputError([("font_source", "--scripts needs a font source")])
        stylesheets = [source_api.stylesheet_url(family, css_weight(weight))
                       for family in _families(scripts_csv) for weight in PULL_WEIGHTS]
    templates = _templates(source, config) if source is not None else iter(())
    report = pull_resources(templates, renderer.fetcher, config.limits,
                            stylesheets=stylesheets)
    for url, reason in report.failed:
        click.echo(f"failed: {url}: {reason}", err=True)
    click.echo(f"{count(len(report.fetched), 'resource')} fetched into {config.cache_dir}, "
               f"{len(report.failed)} failed")
    if report.failed:
        raise ResourceError(report.failed[0][0],
                            f"{count(len(report.failed), 'resource')} not fetched")


command: click.Group = fonts

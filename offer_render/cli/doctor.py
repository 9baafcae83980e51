"""The ``offer-render doctor`` command: take font and cache folders; print one line per check.

The checks themselves are :mod:`offer_render.doctor`'s; this module only prints
them (or their JSON) and exits 1 naming the missing parts when the engine is not
ready.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from offer_render.errors import OfferRenderError


class NotReady(OfferRenderError):
    """A part the engine needs is missing: ``doctor`` exits 1 naming it."""

    exit_code = 1


@click.command()
@click.option("--font-dir", "font_dirs", multiple=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Extra folder of installed fonts to check (repeatable).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Download cache to check (default: $OFFER_RENDER_CACHE_DIR or the user cache).")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as a JSON list.")
def doctor(font_dirs: tuple[Path, ...], cache_dir: Path | None, as_json: bool) -> None:
    """Check that the engine can run here: libraries, their versions, fonts, the disk cache.

    Exits 0 when everything the engine needs is there (raqm, FriBiDi, HarfBuzz,
    FreeType, the OpenType Sanitizer, ICU, the bundled fonts, the --font-dir
    folders), else 1 naming what is missing. AVIF, WebP and a writable disk cache
    are reported but not required.
    """
    from offer_render.doctor import missing, run_checks

    checks = run_checks(font_dirs, cache_dir)
    if as_json:
        click.echo(json.dumps([c.to_json() for c in checks], indent=2, ensure_ascii=False))
    else:
        for c in checks:
            click.echo(f"{c.status:<8} {c.name:<21} {c.version or '-':<9} {c.detail}")
    absent = missing(checks)
    if absent:
        names = "; ".join(f"{c.name} ({c.detail})" for c in absent)
        msg = f"not ready, missing: {names}"
        raise NotReady(msg)


command: click.Command = doctor
"""The command object ``main.py`` registers."""

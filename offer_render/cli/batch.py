"""The ``offer-render batch`` command: take an offers JSON Lines file, render it into a folder.

Prints one summary line; exits 0 when every item is ok or skipped, 3 when any
failed (the manifest says which and why), 2 on bad usage, 1 when an output file
cannot be written (a full disk: the run stops, the manifest stays whole), 128 +
the signal number when interrupted (run the same command again to resume).

Offers files come from elsewhere (a catalogue export, another team), so the URLs
inside their templates may not read local files unless ``--allow-local-files``;
the files named on the command line (``--template``, ``--context``,
``--collections``) are the operator's own and are read. The progress display
follows ``--quiet`` or the group's ``-q`` (``offer-render -q batch ...``), either
of which turns it off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from offer_render.cli.logs import is_quiet
from offer_render.cli.options import format_option, make_config, network_options, read_json
from offer_render.cli.words import count
from offer_render.errors import InvalidInputError, OfferRenderError


@click.command()
@click.argument("offers", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the images and manifest.jsonl.")
@click.option("--template", "template_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Template JSON (or offer JSON holding image_template) for every offer; "
                   "default: each offer's own image_template.")
@click.option("--locales", default=None,
              help="Comma-separated locales, one image each: en,pl. Names get a -<locale> suffix.")
@format_option
@click.option("--quality", default=None, type=int, help="Quality for jpeg, webp and avif.")
@click.option("--scale", default=1.0, show_default=True, type=float, help="2 gives @2x images.")
@click.option("--strict", is_flag=True, help="Unknown keys, placeholders and fonts are errors.")
@click.option("--context", "context_path", type=click.Path(dir_okay=False, path_type=Path),
              help="JSON object of extra merge fields for every offer.")
@click.option("--collections", "collections_path",
              type=click.Path(dir_okay=False, path_type=Path),
              help="JSON list of collections, for {{collection}}.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: the CPU count; 1 renders in this "
                   "process). With dask: tasks run at once (default: the cluster's threads).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Where to render: local processes or a Dask cluster.")
@click.option("--scheduler", default=None, metavar="ADDR",
              help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --executor dask).")
@click.option("--force", is_flag=True, help="Render every item, even those up to date.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress bar or progress lines (as the group's -q, which also hides "
                   "warnings).")
@click.option("--allow-local-files", is_flag=True,
              help="Let the templates' URLs (background_url, font_url) name local files and "
                   "file:// URLs, relative ones against the --template's folder, else OFFERS'. "
                   "Default: refused, as the offers are not the operator's own files.")
@click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Manifest file. Default: OUT/manifest.jsonl.")
@network_options
def batch(
    offers: Path,
    out_dir: Path,
    template_path: Path | None,
    locales: str | None,
    fmt: str,
    quality: int | None,
    scale: float,
    strict: bool,
    context_path: Path | None,
    collections_path: Path | None,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    force: bool,
    quiet: bool,
    manifest_path: Path | None,
    allow_local_files: bool,
    allow_hosts: tuple[str, ...],
    offline: bool,
    font_dirs: tuple[Path, ...],
) -> None:
    """Render every offer of OFFERS (JSON Lines, one offer per line) into --out.

    Resumable: items whose image exists with the same input hash are skipped.
    Templates' URLs may name only http(s) resources unless --allow-local-files.
    """
    from offer_render.batch import BatchOptions, run_batch
    from offer_render.batch.interrupts import Interrupted
    from offer_render.locales import parse_locale_list

    if scheduler and executor != "dask":
        msg = "--scheduler needs --executor dask"
        raise click.UsageError(msg)
    from offer_render.batch.reader import is_one_json_document

    if is_one_json_document(offers):
        raise InvalidInputError([(str(offers), "is one JSON document, not JSON Lines: put one "
                                  "offer per line (for a single offer use offer-render render)")])
    template = _template(template_path)
    base_dir = (template_path or offers).resolve().parent
    options = BatchOptions(
        offers=offers, out_dir=out_dir,
        config=make_config(allow_hosts, offline, font_dirs, base_dir,
                           allow_local_files=allow_local_files),
        allow_local_files=allow_local_files,
        template=template,
        locales=tuple(parse_locale_list(locales, "locales")) if locales is not None else None,
        format=fmt, quality=quality, scale=scale, strict=strict,
        context=_json_of(context_path, dict, "a JSON object"),
        collections=_json_of(collections_path, list, "a JSON list"),
        jobs=jobs, executor=executor, scheduler=scheduler, force=force,
        progress="none" if quiet or is_quiet() else "auto", manifest=manifest_path,
    )
    try:
        summary = run_batch(options)
    except Interrupted as exc:
        msg = f"interrupted by {exc}; run the same command again to resume"
        raise BatchStopped(msg, 128 + exc.signum) from None
    click.echo(
        f"{count(summary.total, 'item')}: {summary.ok} rendered, {summary.skipped} up to date, "
        f"{summary.error} failed in {summary.seconds:.1f} s; manifest {summary.manifest}")
    if summary.exit_code:
        msg = (f"{summary.error} of {count(summary.total, 'item')} failed; their errors are in "
               f"{summary.manifest}")
        raise BatchStopped(msg, summary.exit_code)


class BatchStopped(OfferRenderError):
    """End the command with ``exit_code``: 3 when items failed, 128 + signal when interrupted.

    Raised rather than ``click.exceptions.Exit``, because ``main()`` prints and maps
    OfferRenderError's exit code, while click returns Exit's code unseen.
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _template(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    data = read_json(path)
    if not isinstance(data, dict):
        raise InvalidInputError([(str(path), "must hold a JSON object (a template or an offer)")])
    inner = data.get("image_template")
    return inner if isinstance(inner, dict) else data


def _json_of(path: Path | None, kind: type, what: str) -> Any:
    if path is None:
        return None
    data = read_json(path)
    if not isinstance(data, kind):
        raise InvalidInputError([(str(path), f"must hold {what}")])
    return data


command: click.Command = batch
"""The command object ``main.py`` registers (typed here: the import cycle hides its type)."""

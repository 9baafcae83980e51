"""Shared command-line pieces: the network and format flags, the CLI's configuration, JSON input.

``-`` as a file argument means standard input (:func:`read_json`), as is usual for
command-line tools; relative resource paths in a template read from standard input
resolve against the current folder (:func:`base_dir_of`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from offer_render.config import RendererConfig

F = TypeVar("F", bound=Callable[..., Any])

STDIN_NAME = "<stdin>"
"""How messages name standard input (a ``-`` argument)."""

FORMAT_CHOICES = ("png", "jpeg", "jpg", "jpe", "jfif", "webp", "avif")
"""What ``--format`` accepts (any case): the output formats and the spellings
``offer_render.encode.normalize_format`` takes for JPEG."""


FONTS_KEY = "offer_render.fonts"
"""Key of ``click.Context.meta`` where the font flags (``--font-source``, ``--system-fonts``)
go; :func:`make_config` reads them, so commands need no parameter of their own for them."""


def _keep_font_flag(ctx: click.Context, param: click.Parameter, value: object) -> object:
    ctx.meta.setdefault(FONTS_KEY, {})[param.name] = value
    return value


def network_options(func: F) -> F:
    """Add the network policy and font flags every subcommand shares."""
    func = click.option(
        "--font-source", metavar="URL", expose_value=False, callback=_keep_font_flag,
        help="Google-Fonts-compatible CSS API where fallback faces not bundled come from "
             "(default: $OFFER_RENDER_FONT_SOURCE, else Google Fonts; 'none' for none).",
    )(func)
    func = click.option(
        "--system-fonts", is_flag=True, expose_value=False, callback=_keep_font_flag,
        help="Also take fallback faces from this machine's installed fonts.",
    )(func)
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


def format_option(func: F) -> F:
    """Add ``--format``: a choice of the output formats, any case (``PNG``, ``jpg``)."""
    return click.option(
        "--format", "fmt", default="png", show_default=True,
        type=click.Choice(FORMAT_CHOICES, case_sensitive=False),
        help="Image format (jpg, jpe and jfif are jpeg).",
    )(func)


def sample_options(verb: str) -> Callable[[F], F]:
    """Add ``--offer`` (repeatable) and ``--locales``, as preview and lint take them."""

    def add(func: F) -> F:
        func = click.option(
            "--locales", default=None, metavar="L1,L2",
            help=f"Locales to {verb}, comma-separated (default: every locale the offers have).",
        )(func)
        func = click.option(
            "--offer", "offer_paths", multiple=True,
            type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
            help="Sample offer JSON (repeatable); default: TEMPLATE's own data, if an offer.",
        )(func)
        return func

    return add


def make_config(
    allow_hosts: tuple[str, ...], offline: bool, font_dirs: tuple[Path, ...], base_dir: Path,
    *, allow_local_files: bool = True,
) -> RendererConfig:
    """Return the configuration the CLI renders with (built by the one function every
    front door uses, :func:`offer_render.config.engine_config`).

    Local files are allowed by default: the designer commands (render, preview,
    lint, demo, fonts pull) read templates their user wrote. ``batch`` passes
    ``allow_local_files=False`` unless ``--allow-local-files``: its offers come
    from elsewhere.
    """
    from offer_render.config import KEEP, engine_config

    ctx = click.get_current_context(silent=True)
    flags: dict[str, Any] = ctx.meta.get(FONTS_KEY, {}) if ctx is not None else {}
    source = flags.get("font_source")
    return engine_config(
        allow_hosts=allow_hosts, offline=offline, font_dirs=font_dirs,
        allow_local_files=allow_local_files, base_dir=base_dir,
        font_source=KEEP if source is None else (None if source.lower() == "none" else source),
        system_fonts=bool(flags.get("system_fonts")),
    )


def is_stdin(path: Path | None) -> bool:
    """Return whether ``path`` is ``-``: standard input."""
    return path is not None and str(path) == "-"


def display_name(path: Path) -> str:
    """Return how messages name ``path``: ``<stdin>`` for ``-``, else the path as given."""
    return STDIN_NAME if is_stdin(path) else str(path)


def base_dir_of(path: Path) -> Path:
    """Return the folder relative resource paths resolve against: the file's, or the current
    folder for standard input."""
    return Path.cwd() if is_stdin(path) else path.resolve().parent


def read_json(path: Path) -> Any:
    """Return the JSON in ``path`` (``-``: standard input), or raise InvalidInputError naming it."""
    if is_stdin(path):
        return parse_json(sys.stdin.buffer.read(), STDIN_NAME)
    from offer_render.template.validate import load_json_file

    return load_json_file(path)


def parse_json(raw: bytes, where: str) -> Any:
    """Return the JSON value of ``raw``; raise InvalidInputError naming ``where`` (the same
    messages as for a file)."""
    from offer_render.template.validate import parse_json_bytes

    return parse_json_bytes(raw, where)


def one_stdin(*paths: Path | None) -> None:
    """Raise a usage error when more than one argument reads standard input."""
    if sum(is_stdin(p) for p in paths) > 1:
        msg = "only one argument can be - (standard input)"
        raise click.UsageError(msg)

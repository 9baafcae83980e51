"""Shared command-line pieces: the network flags, the CLI's configuration, reading JSON files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from offer_render.config import NetworkPolicy, RendererConfig

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


def sample_options(verb: str) -> Callable[[F], F]:
    """Add ``--offer`` (repeatable) and ``--locales``, as preview and lint take them."""

    def add(func: F) -> F:
        func = click.option(
            "--locales", default=None, metavar="L1,L2",
            help=f"Locales to {verb}, comma-separated (default: every locale the offers have).",
        )(func)
        func = click.option(
            "--offer", "offer_paths", multiple=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help="Sample offer JSON (repeatable); default: TEMPLATE's own data, if an offer.",
        )(func)
        return func

    return add


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

"""Take what an operator sets (flags or environment); return the RendererConfig to render with.

One function builds the configuration every front door renders with: the command
line's ``make_config`` (render, preview, lint, batch, fonts), the render service's
settings and the pool's workers, so a flag means the same everywhere. It turns the
network policy options (``--allow-host``, ``--offline``, local files and the folder
relative paths resolve against), the font options (``--font-dir``,
``--font-source``, ``--system-fonts``), the disk cache (``--cache-dir``) and the
fetch budget of a render into a frozen :class:`~offer_render.config.RendererConfig`;
everything else keeps its default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from offer_render.config import NetworkPolicy, RendererConfig

KEEP: Any = object()
"""For ``font_source``: keep the configuration's default (``$OFFER_RENDER_FONT_SOURCE``,
else the public Google Fonts API)."""


def engine_config(
    *,
    allow_hosts: Iterable[str] = (),
    offline: bool = False,
    font_dirs: Iterable[Path] = (),
    allow_local_files: bool = False,
    base_dir: Path | None = None,
    cache_dir: Path | None = None,
    render_deadline: float | None = None,
    font_source: str | None = KEEP,
    system_fonts: bool = False,
) -> RendererConfig:
    """Return the configuration for these options.

    ``allow_local_files`` defaults to False: only callers whose user wrote the
    template (the designer commands) turn it on; batch and the service render
    templates that come from elsewhere. ``cache_dir`` None keeps the default disk
    cache (``$OFFER_RENDER_CACHE_DIR`` or the user cache folder); ``render_deadline``
    None keeps each fetch's own deadline only (``Limits.fetch_timeout``);
    ``font_source`` :data:`KEEP` keeps the default font source, None turns it off.
    """
    policy = NetworkPolicy(
        allow_hosts=frozenset(allow_hosts), offline=offline,
        allow_local_files=allow_local_files, base_dir=base_dir,
    )
    config = RendererConfig(network=policy, font_dirs=tuple(Path(d) for d in font_dirs),
                            render_deadline=render_deadline, system_fonts=system_fonts)
    if font_source is not KEEP:
        config = replace(config, font_source=font_source)
    return replace(config, cache_dir=cache_dir) if cache_dir is not None else config

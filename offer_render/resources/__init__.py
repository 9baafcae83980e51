"""Resources stage: take a validated template and its merged texts; return fonts and background.

:func:`gather` is the front door: it resolves every rectangle's font stack (web fonts
from its stylesheet, installed and bundled faces, fallbacks; see
:mod:`~offer_render.resources.fonts`) and fetches and fits the background (see
:mod:`~offer_render.resources.background`). All I/O goes through one
:class:`~offer_render.resources.fetch.Fetcher` and is finished before layout.
"""

from __future__ import annotations

from offer_render.config import BUNDLED_FONTS_DIR, Limits, RendererConfig
from offer_render.diagnostics import Diagnostics
from offer_render.resources.background import BackgroundCache, fit_background
from offer_render.resources.fallback import FontProviders
from offer_render.resources.fetch import Fetcher
from offer_render.resources.fontdb import SYSTEM_FONT_DIRS, FontDatabase
from offer_render.resources.fonts import resolve_font_stack
from offer_render.resources.fontsource import FontSource
from offer_render.resources.types import FittedBackground, FontStack, Resources
from offer_render.resources.webfonts import DEFAULT_CACHE
from offer_render.template.models import ImageTemplate

__all__ = ["FittedBackground", "FontProviders", "FontStack", "Resources", "font_providers",
           "gather"]


def font_providers(config: RendererConfig, fetcher: Fetcher) -> FontProviders:
    """Return where a Renderer with ``config`` finds named faces: the bundled folder and
    ``config.font_dirs``, the font source (``config.font_source``, through ``fetcher``), and
    the system fonts when ``config.system_fonts`` is on."""
    fontdb = FontDatabase((BUNDLED_FONTS_DIR, *config.font_dirs))
    source = FontSource(config.font_source, fetcher=fetcher, fontdb=fontdb,
                        limits=config.limits, cache=DEFAULT_CACHE) if config.font_source else None
    system = (FontDatabase(SYSTEM_FONT_DIRS, bundled_dir=None, system=True)
              if config.system_fonts else None)
    return FontProviders(fontdb, source, system, config.generic_families,
                         config.fallback_by_style)


def gather(
    template: ImageTemplate,
    texts: tuple[str, ...],
    *,
    size: tuple[int, int],
    fetcher: Fetcher,
    fonts: FontProviders,
    limits: Limits,
    diag: Diagnostics,
    language: str | None = None,
    backgrounds: BackgroundCache | None = None,
    background: FittedBackground | None = None,
) -> Resources:
    """Return the font stack of every rectangle and the background fitted to ``size``.

    ``size`` is the canvas in device pixels; ``fonts`` say where named faces come
    from and ``language`` (the render locale) picks the CJK face. ``background``, when given, is the
    template's background already fitted (by an earlier call for another locale) and
    is not fetched again; ``backgrounds`` keeps fitted backgrounds between renders.
    Font problems are warnings in ``diag``; a background that cannot be had raises
    :class:`~offer_render.errors.ResourceError` (after the fonts, so their
    warnings come first).
    """
    stacks = tuple(
        resolve_font_stack(rect, texts[i], fetcher=fetcher, fontdb=fonts.fontdb, limits=limits,
                           diag=diag, rect_index=i, providers=fonts, language=language)
        for i, rect in enumerate(template.rectangles)
    )
    if background is None and template.background_url:
        width, height = size
        background = fit_background(template.background_url, fetcher=fetcher, width=width,
                                    height=height, limits=limits, cache=backgrounds)
    return Resources(stacks, background)

"""Resources stage: take a validated template and its merged texts; return fonts and background.

:func:`gather` is the front door: it resolves every rectangle's font stack (web fonts
from its stylesheet, installed and bundled faces, fallbacks; see
:mod:`~offer_render.resources.fonts`) and fetches and fits the background (see
:mod:`~offer_render.resources.background`). All I/O goes through one
:class:`~offer_render.resources.fetch.Fetcher` and is finished before layout.
"""

from __future__ import annotations

from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics
from offer_render.resources.background import BackgroundCache, fit_background
from offer_render.resources.fetch import Fetcher
from offer_render.resources.fontdb import FontDatabase
from offer_render.resources.fonts import resolve_font_stack
from offer_render.resources.types import FittedBackground, FontStack, Resources
from offer_render.template.models import ImageTemplate

__all__ = ["FittedBackground", "FontStack", "Resources", "gather"]


def gather(
    template: ImageTemplate,
    texts: tuple[str, ...],
    *,
    size: tuple[int, int],
    fetcher: Fetcher,
    fontdb: FontDatabase,
    limits: Limits,
    diag: Diagnostics,
    backgrounds: BackgroundCache | None = None,
    background: FittedBackground | None = None,
) -> Resources:
    """Return the font stack of every rectangle and the background fitted to ``size``.

    ``size`` is the canvas in device pixels. ``background``, when given, is the
    template's background already fitted (by an earlier call for another locale) and
    is not fetched again; ``backgrounds`` keeps fitted backgrounds between renders.
    Font problems are warnings in ``diag``; a background that cannot be had raises
    :class:`~offer_render.errors.ResourceError` (after the fonts, so their
    warnings come first).
    """
    stacks = tuple(
        resolve_font_stack(rect, texts[i], fetcher=fetcher, fontdb=fontdb, limits=limits,
                           diag=diag, rect_index=i)
        for i, rect in enumerate(template.rectangles)
    )
    if background is None and template.background_url:
        width, height = size
        background = fit_background(template.background_url, fetcher=fetcher, width=width,
                                    height=height, limits=limits, cache=backgrounds)
    return Resources(stacks, background)

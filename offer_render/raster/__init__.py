"""Raster stage: take a layout tree, return its Composition (background plus placed ink).

The rasterizer decides nothing: every face, size, line and position comes resolved in
the :class:`~offer_render.layout.tree.LayoutTree`. :mod:`~offer_render.raster.draw`
draws each rectangle's text into ink bands, :mod:`~offer_render.raster.composition`
pastes them onto the background, and :mod:`~offer_render.raster.freetype` holds the
FreeType fonts drawing uses.
"""

from __future__ import annotations

from PIL import Image

from offer_render.layout.tree import LayoutTree
from offer_render.raster.composition import Composition
from offer_render.raster.draw import RasterCaches, place_rect

__all__ = ["Composition", "RasterCaches", "compose", "rasterize"]


def compose(tree: LayoutTree, caches: RasterCaches | None = None) -> Composition:
    """Return the tree's canvas as its background plus the ink to paste, in drawing order.

    With ``caches``, a rectangle laid out exactly as before reuses its drawn layer,
    and glyph runs drawn before (same face, size, text, colour, subpixel x) are reused.
    """
    placed = [p for rect in tree.rects for p in place_rect(rect, tree.width, tree.height, caches)]
    return Composition(
        tree.width, tree.height, tree.background,
        tree.background_key if tree.background is not None else None, tree.opaque,
        tuple(placed),
    )


def rasterize(tree: LayoutTree, caches: RasterCaches | None = None) -> Image.Image:
    """Return the tree drawn on its background (or on transparency).

    The result is RGBA, or RGB when the background is opaque (an opaque canvas stays
    opaque). ``caches`` as for :func:`compose`.
    """
    return compose(tree, caches).image()

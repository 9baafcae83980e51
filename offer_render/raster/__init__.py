"""Raster stage: take a layout tree, return its composition or the drawn image (see draw)."""

from offer_render.raster.compose import Composition
from offer_render.raster.draw import compose, rasterize

__all__ = ["Composition", "compose", "rasterize"]

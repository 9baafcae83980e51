"""Take a layout tree and return the drawn RGBA image (see :mod:`offer_render.raster.draw`)."""

from offer_render.raster.draw import rasterize

__all__ = ["rasterize"]

"""Take the cache budgets; return the caches one Renderer keeps, each bounded by its budget.

A Renderer keeps what is worth reusing between renders at every stage: validated
templates, laid-out rectangles, drawn layers and glyph runs, fitted backgrounds, and
backgrounds coded as JPEG rows and PNG bands. The fetcher keeps its own downloads
(``CacheLimits.fetch_bytes``, ``local_file_bytes``); what every Renderer of the process
shares (fonts) lives in :mod:`offer_render.cache`'s registry. All of them are sized by
one :class:`~offer_render.config.CacheLimits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offer_render.cache import BoundedCache, process_caches, set_process_budgets
from offer_render.config import CacheLimits
from offer_render.encode.encoders import SpliceCaches
from offer_render.layout import LayoutCache, layout_size
from offer_render.raster import RasterCaches
from offer_render.raster.draw import image_bytes, ink_bytes
from offer_render.resources.background import BackgroundCache, background_size
from offer_render.template import TemplateCache, template_entry_bytes


@dataclass(frozen=True)
class RendererCaches:
    """The caches of one Renderer, one per stage that has something to reuse."""

    templates: TemplateCache
    layouts: LayoutCache
    raster: RasterCaches
    backgrounds: BackgroundCache
    splice: SpliceCaches

    @classmethod
    def from_limits(cls, limits: CacheLimits) -> RendererCaches:
        """Return empty caches with the budgets of ``limits``, and give the process-wide
        caches theirs (the Renderer made last sets them for the whole process)."""
        set_process_budgets(limits.process_budgets())
        return cls(
            templates=BoundedCache(limits.template_bytes, template_entry_bytes),
            layouts=BoundedCache(limits.layout_bytes, layout_size),
            raster=RasterCaches(
                layers=BoundedCache(limits.layer_bytes, ink_bytes),
                glyphs=BoundedCache(limits.glyph_bytes, image_bytes),
            ),
            backgrounds=BoundedCache(limits.background_bytes, background_size),
            splice=SpliceCaches.with_budgets(limits.jpeg_rows_bytes, limits.png_bands_bytes),
        )

    def by_name(self) -> dict[str, BoundedCache[Any]]:
        """Return this Renderer's caches and the process-wide ones, by name (for metrics)."""
        own: dict[str, BoundedCache[Any]] = {
            "template": self.templates,
            "layout": self.layouts,
            "layer": self.raster.layers,
            "glyph": self.raster.glyphs,
            "background": self.backgrounds,
            "jpeg_rows": self.splice.jpeg_rows,
            "png_bands": self.splice.png_bands,
        }
        return own | process_caches()

"""Warm the engine of the process that imports this module: load fonts and libraries once.

The forkserver that pool workers fork from imports it (see :mod:`.process`), so every
worker starts with the bundled fallback faces parsed and FreeType, HarfBuzz and ICU
loaded, shared copy-on-write with its siblings, instead of loading them itself (a
worker is then ready in tens of milliseconds rather than a fifth of a second, which
matters most when a killed worker is replaced under load). It renders one small
template with bundled fonts only: nothing is fetched and nothing is written.
"""

from __future__ import annotations

from offer_render.api import Renderer
from offer_render.config import RendererConfig
from offer_render.pool.worker import WARM_TEMPLATE

Renderer(RendererConfig(cache_dir=None)).render(WARM_TEMPLATE, format="png")

"""offer_render: turn an offer's image_template and data into the offer's image, as a browser would.

The public API is :func:`render`, :class:`Renderer`, :class:`RenderResult`,
:class:`RendererConfig` and the error classes. The pipeline modules load on
first use, so ``import offer_render`` stays cheap for tools that only validate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offer_render.config import Limits, NetworkPolicy, RendererConfig
from offer_render.errors import InvalidInputError, OfferRenderError, RenderError, ResourceError

if TYPE_CHECKING:
    from offer_render.api import Renderer, RenderResult, render

__all__ = [
    "InvalidInputError",
    "Limits",
    "NetworkPolicy",
    "OfferRenderError",
    "RenderError",
    "RenderResult",
    "Renderer",
    "RendererConfig",
    "ResourceError",
    "render",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Load the pipeline (``render``, ``Renderer``, ``RenderResult``) on first access."""
    if name in ("render", "Renderer", "RenderResult"):
        from offer_render import api

        return getattr(api, name)
    msg = f"module 'offer_render' has no attribute {name!r}"
    raise AttributeError(msg)

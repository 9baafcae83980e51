"""offer_render: turn an offer's image_template and data into the offer's image, as a browser would.

The public API is :func:`render`, :class:`Renderer`, :class:`RenderResult` and
:class:`Painted` (what they return), :class:`RendererConfig` with :class:`Limits`,
:class:`NetworkPolicy` and :class:`CacheLimits`, :class:`RenderWarning`, and the error
classes. The pipeline modules load on first use, so ``import offer_render`` stays
cheap for tools that only validate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offer_render.config import CacheLimits, Limits, NetworkPolicy, RendererConfig
from offer_render.diagnostics import RenderWarning
from offer_render.errors import InvalidInputError, OfferRenderError, RenderError, ResourceError
from offer_render.version import __version__

if TYPE_CHECKING:
    from offer_render.api import Renderer, render
    from offer_render.result import Painted, RenderResult

__all__ = [
    "CacheLimits",
    "InvalidInputError",
    "Limits",
    "NetworkPolicy",
    "OfferRenderError",
    "Painted",
    "RenderError",
    "RenderResult",
    "RenderWarning",
    "Renderer",
    "RendererConfig",
    "ResourceError",
    "__version__",
    "render",
]

_LAZY = {"render": "api", "Renderer": "api", "RenderResult": "result", "Painted": "result"}


def __getattr__(name: str) -> Any:
    """Load the pipeline (``render``, ``Renderer``, ``RenderResult``, ``Painted``) on first use."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'offer_render' has no attribute {name!r}"
        raise AttributeError(msg)
    from importlib import import_module

    return getattr(import_module(f"offer_render.{module}"), name)

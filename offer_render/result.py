"""Define what a render hands back: take an encoded image and its report; hold them typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from PIL import Image

from offer_render.diagnostics import RenderWarning
from offer_render.encode import MIME_TYPES
from offer_render.layout.tree import LayoutTree
from offer_render.raster import Composition
from offer_render.template.models import ImageTemplate


@dataclass(frozen=True)
class RenderResult:
    """One rendered image: encoded bytes, pixel size, format, warnings and the report.

    ``warnings`` are the same warnings the report lists (the template's and every
    rectangle's), as typed objects with ``code``, ``message``, ``path`` and ``rect``.
    """

    data: bytes
    width: int
    height: int
    format: str
    report: dict[str, Any] = field(repr=False)
    warnings: tuple[RenderWarning, ...] = ()

    @property
    def mime_type(self) -> str:
        """Return the MIME type of ``data``."""
        return MIME_TYPES[self.format]


@dataclass(frozen=True)
class Painted:
    """An image drawn but not encoded, with the tree it was drawn from and the warnings.

    ``composition`` is the canvas as background plus ink; ``image`` pastes it together
    on first use (JPEG output of an opaque canvas never needs the whole image).
    """

    composition: Composition
    tree: LayoutTree
    warnings: list[RenderWarning]
    template: ImageTemplate
    locale: str

    @cached_property
    def image(self) -> Image.Image:
        """Return the finished canvas: RGB when opaque, else RGBA."""
        return self.composition.image()

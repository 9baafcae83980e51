"""Paste drawn ink onto the background: take placed ink bands, return the image or any rows of it.

A :class:`Composition` is the finished canvas described, not yet made: the
background and the inked bands in drawing order. :meth:`Composition.image` makes
the whole canvas; :meth:`Composition.rows` makes only a horizontal band of it, so
an encoder that can reuse the background's encoded rows (see
:mod:`offer_render.encode.jpegsplice` and :mod:`offer_render.encode.pngbands`)
composes only the rows text touches.
Both give exactly the same pixels for the same rows.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class Ink:
    """One band of a rectangle's drawn layer, cut to its ink, where it goes, split.

    ``rgb`` and ``mask`` are the same pixels as colour and coverage, for pasting onto
    an opaque (RGB) canvas without converting the layer on every render.
    """

    layer: Image.Image
    dx: int
    dy: int
    rgb: Image.Image
    mask: Image.Image


@dataclass(frozen=True)
class Placed:
    """An ink band and the canvas pixel its top-left goes to."""

    ink: Ink
    x: int
    y: int

    @property
    def bottom(self) -> int:
        """Return the canvas row just below the band."""
        return self.y + self.ink.layer.height


@dataclass(frozen=True)
class Composition:
    """A canvas as its background plus ink bands pasted in order, source-over.

    ``background`` is RGB when ``opaque`` (the finished image is RGB too), RGBA
    otherwise, or None for a transparent canvas. ``background_key`` names the
    background's pixels (same key, same pixels) for caches of work derived from them.
    """

    width: int
    height: int
    background: Image.Image | None
    background_key: Hashable | None
    opaque: bool
    placed: tuple[Placed, ...]

    @property
    def base_key(self) -> Hashable | None:
        """Return a key naming the canvas before any ink (same key, same pixels): the
        background's, or one for a transparent canvas of this size; None when the
        background has no key."""
        if self.background is None:
            return ("transparent", self.width, self.height)
        return self.background_key

    def base(self) -> Image.Image:
        """Return the canvas before any ink: the background (shared, not to be modified)
        or a new transparent one."""
        if self.background is None:
            return _transparent(self.width, self.height)
        return self.background

    def image(self) -> Image.Image:
        """Return the whole finished canvas: RGB when opaque, else RGBA."""
        return self.rows(0, self.height)

    def rows(self, top: int, bottom: int) -> Image.Image:
        """Return rows ``top`` to ``bottom`` (exclusive) of the finished canvas."""
        top, bottom = max(0, top), min(self.height, bottom)
        if self.background is None:
            canvas = _transparent(self.width, bottom - top)
        elif (top, bottom) == (0, self.height):
            canvas = self.background.copy()
        else:
            canvas = self.background.crop((0, top, self.width, bottom))
        canvas.info = {}  # nothing of the source file's metadata reaches the output
        for p in self.placed:
            if p.bottom <= top or p.y >= bottom:
                continue
            ink = p.ink
            if p.y < top or p.bottom > bottom:
                ink = _cut(ink, top - p.y, bottom - p.y)
            dest = (p.x, max(p.y, top) - top)
            if canvas.mode == "RGB":
                canvas.paste(ink.rgb, dest, ink.mask)  # source-over onto an opaque canvas
            else:
                canvas.alpha_composite(ink.layer, dest=dest)
        return canvas

    def inked_rows(self) -> list[tuple[int, int]]:
        """Return the row spans (top, bottom exclusive) any ink touches, sorted and merged."""
        spans: list[tuple[int, int]] = []
        for top, bottom in sorted((p.y, p.bottom) for p in self.placed):
            if spans and top <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], bottom))
            else:
                spans.append((top, bottom))
        return spans

    def inked_bands(self, band_rows: int) -> list[tuple[int, int]]:
        """Return the bands of ``band_rows`` rows that ink touches, as merged spans of band
        indices (first, last exclusive), for encoders that code bands on their own."""
        spans: list[tuple[int, int]] = []
        for top, bottom in self.inked_rows():
            first, last = top // band_rows, -(-bottom // band_rows)
            if spans and first <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], last))
            else:
                spans.append((first, last))
        return spans


def _transparent(width: int, height: int) -> Image.Image:
    return Image.new("RGBA", (width, height), (0, 0, 0, 0))


def _cut(ink: Ink, top: int, bottom: int) -> Ink:
    """Return the rows ``top`` to ``bottom`` of ``ink`` (clamped to it)."""
    box = (0, max(0, top), ink.layer.width, min(ink.layer.height, bottom))
    return Ink(ink.layer.crop(box), ink.dx, ink.dy, ink.rgb.crop(box), ink.mask.crop(box))

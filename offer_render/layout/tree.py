"""Define the layout tree: frozen, fully resolved boxes, lines and glyph runs in device pixels.

The rasterizer draws this tree and decides nothing: every run carries its face,
size, colour and absolute position; every decoration its rectangle. Coordinates
are device pixels (CSS px times ``scale``), origin at the canvas's top left.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from PIL import Image

from offer_render.resources.types import FontFace

RGBA = tuple[int, int, int, int]


@dataclass(frozen=True)
class Box:
    """An axis-aligned box: left, top, width, height."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        """Return the x of the right edge."""
        return self.x + self.width

    @property
    def bottom(self) -> float:
        """Return the y of the bottom edge."""
        return self.y + self.height


@dataclass(frozen=True)
class GlyphRun:
    """A piece of one line drawn with one face, at one size, in one direction.

    ``x`` is the left edge of the run's advance box and ``baseline`` the y of the
    line's baseline, both absolute. ``width`` is the advance width including letter
    spacing. ``text`` is in logical order; the shaper orders it visually.
    """

    text: str
    face: FontFace
    size: float
    x: float
    baseline: float
    width: float
    direction: str
    """``ltr`` or ``rtl``."""
    language: str | None
    color: RGBA
    ligatures: bool = True
    """Common ligatures (``liga``, ``clig``) on. Off in a rectangle with letter spacing,
    as Chromium turns them off there (measured and drawn alike)."""


@dataclass(frozen=True)
class Decoration:
    """A filled line under, over or through text: a box to paint in a colour."""

    kind: str
    """``underline``, ``overline`` or ``line-through``."""
    box: Box
    color: RGBA


@dataclass(frozen=True)
class LineBox:
    """One line as broken: its box, baseline, logical text and runs in visual order."""

    box: Box
    baseline: float
    text: str
    """The line's text in logical order, without the collapsed space at a soft wrap."""
    runs: tuple[GlyphRun, ...]
    decorations: tuple[Decoration, ...]


@dataclass(frozen=True)
class RectBox:
    """One laid-out rectangle: border box (= clip), content box and its lines."""

    index: int
    """Position in the template's rectangle list."""
    name: str
    number: int | None
    box: Box
    """The border box; drawing is clipped to it (overflow: hidden on the padding box)."""
    content: Box
    lines: tuple[LineBox, ...]
    font_size: float
    """Font size used, in device px (after fit=shrink)."""
    text: str
    """The merged text, before white-space processing."""
    faces: tuple[FontFace, ...]
    """Faces actually drawn, in order of first use."""
    overflow_px: float
    """How far the lines reach past the content box, in device px (0 when they fit)."""
    clipped: bool
    """Some line box reaches past the border box, so part of it is hidden."""
    cut: bool
    """Text was dropped by ``max_lines`` (an ellipsis ends the last line)."""
    fallbacks: tuple[tuple[str, FontFace], ...] = ()
    """Characters drawn by a face other than the primary one, with that face."""


@dataclass(frozen=True)
class LayoutTree:
    """The whole image, resolved: canvas size, background, rectangles in drawing order."""

    width: int
    height: int
    scale: float
    background: Image.Image | None
    """RGBA, already fitted to ``width`` x ``height``; ``None`` for a transparent canvas."""
    rects: tuple[RectBox, ...]
    """Rectangles in drawing order (by ``number``, ties in list order)."""
    opaque: bool = False
    """The background covers every pixel opaquely, so the drawn image has no transparency."""
    background_key: Hashable | None = None
    """Names the background's pixels (same key, same pixels) for caches of work derived
    from them, such as its encoded rows; None when unknown."""

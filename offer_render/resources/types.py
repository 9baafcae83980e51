"""Define what the resources stage hands to layout: faces, font stacks, a fitted background."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class FontMetrics:
    """Vertical metrics of a face in font units, as a browser reads them.

    ``ascender``/``descender``/``line_gap`` come from OS/2 typo metrics when the
    USE_TYPO_METRICS flag is set, else from hhea (falling back to OS/2 win metrics
    when hhea is all zero). ``descender`` is positive (distance below the baseline).
    """

    units_per_em: int
    ascender: int
    descender: int
    line_gap: int
    underline_position: int
    """Top of the underline relative to the baseline, negative below (post table)."""
    underline_thickness: int
    strikeout_position: int
    """Bottom of the strikeout relative to the baseline (OS/2 yStrikeoutPosition)."""
    strikeout_size: int
    x_height: int


@dataclass(frozen=True, eq=False)
class FontFace:
    """One concrete face, loaded and ready for shaping: sfnt bytes plus how to draw them.

    Faces compare by identity; ``key`` is a stable string for caches and reports
    (sha256 of the data, the collection index and the variation).
    """

    key: str
    family: str
    """Family name as the stylesheet rule or the font's name table gives it."""
    weight: int
    """Weight the face is drawn at (for a variable font, the requested weight)."""
    style: str
    """``normal``, ``italic`` or ``oblique``: the style of the face itself."""
    source: str
    """URL or file path the face was loaded from."""
    origin: str
    """Where in the fallback chain it came from: ``stylesheet``, ``installed``,
    ``generic`` or ``fallback`` (a script's face, or the last-resort set)."""
    data: bytes
    """Decompressed sfnt data (WOFF and WOFF2 already unpacked)."""
    index: int
    """Face index inside a font collection (TTC); 0 otherwise."""
    metrics: FontMetrics
    coverage: frozenset[int]
    """Code points the cmap maps, already intersected with the CSS unicode-range."""
    variation: tuple[tuple[str, float], ...] = ()
    """Axis settings to apply, such as ``(("wght", 700.0),)``; empty for static fonts."""
    synthetic_bold: bool = False
    """Embolden when drawing: a bold weight was asked for and no bold face exists."""
    synthetic_italic: bool = False
    """Skew when drawing: italic or oblique was asked for and only an upright face exists."""
    color_glyphs: bool = False
    """The face has colour glyph tables (COLR, CBDT, sbix); draw it with embedded colour."""
    provider: str = ""
    """Where the font came from: ``stylesheet`` (the template's ``font_url``), ``bundled``,
    ``font_dir`` (a configured folder), ``font_source`` (a Google-Fonts-compatible API)
    or ``system`` (installed system fonts)."""

    def covers(self, codepoint: int) -> bool:
        """Return whether this face can draw ``codepoint``."""
        return codepoint in self.coverage

    def describe(self) -> dict[str, object]:
        """Return the face as the report lists it."""
        out: dict[str, object] = {
            "family": self.family,
            "weight": self.weight,
            "style": self.style,
            "source": self.source,
            "origin": self.origin,
        }
        if self.provider:
            out["provider"] = self.provider
        if self.synthetic_bold:
            out["synthetic_bold"] = True
        if self.synthetic_italic:
            out["synthetic_italic"] = True
        return out


@dataclass(frozen=True)
class FontStack:
    """The faces one rectangle may draw with, in fallback order.

    ``faces`` runs through the ``font_family`` list (web fonts, then installed
    fonts), then the generic family, then the bundled last-resort faces. Layout
    picks, per grapheme, the first face that covers it. ``primary`` is the first
    available font of the family list: its metrics set the line's strut even when
    no glyph of it is drawn, as in CSS.
    """

    faces: tuple[FontFace, ...]
    primary: FontFace
    requested_families: tuple[str, ...]
    """The ``font_family`` list as parsed, generics included, in order."""


@dataclass(frozen=True)
class FittedBackground:
    """A decoded background cover-fitted to the canvas, and whether every pixel is opaque."""

    image: Image.Image
    """Oriented, converted to sRGB and fitted (cover, centred) to the canvas at the render
    scale: RGB when ``opaque``, else RGBA."""
    opaque: bool
    """True when no pixel is transparent: text drawn over it leaves the canvas opaque,
    so JPEG output needs no flattening."""
    key: tuple[str, int, int] | None = None
    """(sha256 of the file, width, height): the same key means the same pixels."""


@dataclass(frozen=True)
class Resources:
    """Everything fetched and decoded for one render, so layout and raster do no I/O."""

    font_stacks: tuple[FontStack, ...]
    """One stack per rectangle, in the template's list order."""
    background: FittedBackground | None = None
    """The fitted background; None means a transparent canvas."""

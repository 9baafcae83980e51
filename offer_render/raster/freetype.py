"""Turn a :class:`FontFace` and a pixel size into a Pillow FreeType font set up for raqm.

FreeType faces are not safe to share between threads, so every thread has fonts of
its own: one process-wide cache keyed by ``(thread, face key, size)``, bounded in
bytes for all threads together (``CacheLimits.freetype_font_bytes``; each font object
keeps its own copy of the face's bytes). A thread's identifier is unique among live
threads, so no two threads ever use one font object at once. Variation axes are
applied once, when the font object is made.
"""

from __future__ import annotations

import io
import threading

from PIL import ImageFont, features

from offer_render.cache import process_cache
from offer_render.errors import RenderError
from offer_render.resources.types import FontFace

_FONTS = process_cache("freetype_font", lambda font: 1024 + len(font.font_bytes))
"""(thread identifier, face key, size) -> FreeTypeFont."""
_STRIKES = process_cache("bitmap_strikes", lambda strikes: 64 + 8 * len(strikes))
"""face key -> pixel sizes of a bitmap-only font's strikes (empty for outline fonts)."""


def raqm_available() -> bool:
    """Return whether Pillow was built with libraqm (needed for shaping, bidi and fallback)."""
    return bool(features.check("raqm"))


def require_raqm() -> None:
    """Raise a clear error when Pillow lacks raqm: complex scripts would be drawn wrongly."""
    if not raqm_available():
        msg = (
            "Pillow was built without libraqm (PIL.features.check('raqm') is False): "
            "text shaping, bidi and ligatures are unavailable. Install a Pillow wheel "
            "from PyPI (it bundles raqm) and the system's libfribidi."
        )
        raise RenderError(msg)


def font_at(face: FontFace, size: float) -> tuple[ImageFont.FreeTypeFont, float]:
    """Return a FreeType font for ``face`` near ``size`` px and the factor to scale its output.

    Outline fonts load at ``size`` exactly (factor 1), or at 1 px when smaller
    (FreeType refuses sizes under half a pixel). Bitmap-only colour fonts
    (Noto Color Emoji's CBDT) exist at fixed strikes only, so they load at the
    nearest strike not smaller than ``size`` (else the largest) and the caller
    scales advances and bitmaps by ``size / strike``, as Skia does.
    """
    strikes = bitmap_strikes(face)
    if not strikes:
        if size < MIN_PIXEL_SIZE:  # FreeType refuses sizes under half a pixel
            return get_font(face, MIN_PIXEL_SIZE), size / MIN_PIXEL_SIZE
        return get_font(face, size), 1.0
    strike = min((s for s in strikes if s >= size), default=max(strikes))
    return get_font(face, float(strike)), size / strike


MIN_PIXEL_SIZE = 1.0
"""Smallest size a face is loaded at; smaller text is drawn at 1 px and scaled down."""


def bitmap_strikes(face: FontFace) -> tuple[int, ...]:
    """Return the pixel sizes of a bitmap-only font's strikes; empty for outline fonts."""
    return _STRIKES.get_or_make(face.key, lambda: _read_strikes(face))


def _read_strikes(face: FontFace) -> tuple[int, ...]:
    from fontTools.ttLib import TTFont

    tt = TTFont(io.BytesIO(face.data), fontNumber=face.index, lazy=True)
    if "glyf" in tt or "CFF " in tt or "CFF2" in tt:
        return ()
    if "CBLC" in tt:
        return tuple(sorted({s.bitmapSizeTable.ppemY for s in tt["CBLC"].strikes}))
    if "sbix" in tt:
        return tuple(sorted(tt["sbix"].strikes))
    return ()


def get_font(face: FontFace, size: float) -> ImageFont.FreeTypeFont:
    """Return this thread's FreeType font for ``face`` at ``size`` device pixels."""
    return _FONTS.get_or_make(
        (threading.get_ident(), face.key, size), lambda: _load_font(face, size)
    )


def _load_font(face: FontFace, size: float) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(
        io.BytesIO(face.data), size=size, index=face.index,
        layout_engine=ImageFont.Layout.RAQM,
    )
    if face.variation:
        _apply_variation(font, face)
    return font


def _apply_variation(font: ImageFont.FreeTypeFont, face: FontFace) -> None:
    """Set every axis of a variable font: the face's settings, defaults elsewhere."""
    from fontTools.ttLib import TTFont

    tt = TTFont(io.BytesIO(face.data), fontNumber=face.index, lazy=True)
    if "fvar" not in tt:
        return
    wanted = dict(face.variation)
    values = [
        min(max(wanted.get(axis.axisTag, axis.defaultValue), axis.minValue), axis.maxValue)
        for axis in tt["fvar"].axes
    ]
    font.set_variation_by_axes(values)

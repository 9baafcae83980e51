"""Turn a :class:`FontFace` and a pixel size into a Pillow FreeType font set up for raqm.

FreeType faces are not safe to share between threads, so every thread keeps its
own bounded cache of ``(face key, size) -> FreeTypeFont``. Variation axes are
applied once, when the font object is made.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict

from PIL import ImageFont, features

from offer_render.errors import RenderError
from offer_render.resources.types import FontFace

_CACHE_BYTES = 48 * 1024 * 1024
"""Font data the FreeType fonts of one thread may hold (each font object keeps its own
copy of the face's bytes). Default: 48 MiB per thread: a dozen sizes of the CJK face, or
hundreds of ordinary ones; least recently used dropped first."""

_local = threading.local()


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


def _cache() -> OrderedDict[tuple[str, float], ImageFont.FreeTypeFont]:
    cache: OrderedDict[tuple[str, float], ImageFont.FreeTypeFont] | None = getattr(
        _local, "fonts", None
    )
    if cache is None:
        cache = OrderedDict()
        _local.fonts = cache
    return cache


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


_STRIKES: dict[str, tuple[int, ...]] = {}

MIN_PIXEL_SIZE = 1.0
"""Smallest size a face is loaded at; smaller text is drawn at 1 px and scaled down."""


def bitmap_strikes(face: FontFace) -> tuple[int, ...]:
    """Return the pixel sizes of a bitmap-only font's strikes; empty for outline fonts."""
    strikes = _STRIKES.get(face.key)
    if strikes is None:
        from fontTools.ttLib import TTFont

        tt = TTFont(io.BytesIO(face.data), fontNumber=face.index, lazy=True)
        if "glyf" in tt or "CFF " in tt or "CFF2" in tt:
            strikes = ()
        elif "CBLC" in tt:
            strikes = tuple(sorted({s.bitmapSizeTable.ppemY for s in tt["CBLC"].strikes}))
        elif "sbix" in tt:
            strikes = tuple(sorted(tt["sbix"].strikes))
        else:
            strikes = ()
        _STRIKES[face.key] = strikes
    return strikes


def get_font(face: FontFace, size: float) -> ImageFont.FreeTypeFont:
    """Return this thread's FreeType font for ``face`` at ``size`` device pixels."""
    cache = _cache()
    key = (face.key, size)
    font = cache.get(key)
    if font is not None:
        cache.move_to_end(key)
        return font
    font = ImageFont.truetype(
        io.BytesIO(face.data), size=size, index=face.index,
        layout_engine=ImageFont.Layout.RAQM,
    )
    if face.variation:
        _apply_variation(font, face)
    cache[key] = font
    _local.bytes = getattr(_local, "bytes", 0) + len(face.data)
    while _local.bytes > _CACHE_BYTES and len(cache) > 1:
        _, old = cache.popitem(last=False)
        _local.bytes -= _font_bytes(old)
    return font


def _font_bytes(font: ImageFont.FreeTypeFont) -> int:
    """Return the size of the font data a FreeType font object holds."""
    return len(getattr(font, "font_bytes", b""))


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


def clear_fonts() -> None:
    """Forget this thread's FreeType fonts and the bitmap strike table (for benchmarks)."""
    _cache().clear()
    _local.bytes = 0
    _STRIKES.clear()

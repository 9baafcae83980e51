"""Build a test font whose glyphs are solid boxes, for pixel-exact layout tests.

Units per em 1000; ascender 800, descender 200, no line gap; every covered
character is a 1000-unit-wide box from the baseline up to the ascender, except
``i`` (500 wide) and ``W`` (1500 wide); space is an empty 1000-unit advance.
At 10 px a glyph is 10x8 pixels sitting on the baseline and a line is 10 px
tall, so pixel maps of a render can be written by hand.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

UPEM = 1000
ASCENT = 800
DESCENT = 200
CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,:;!?-'\"()\u2026"
NARROW = {"i": 500}
WIDE = {"W": 1500}


def _box(width: int, top: int) -> object:
    pen = TTGlyphPen(None)
    pen.moveTo((0, 0))
    pen.lineTo((0, top))
    pen.lineTo((width, top))
    pen.lineTo((width, 0))
    pen.closePath()
    return pen.glyph()


def _empty() -> object:
    return TTGlyphPen(None).glyph()


@cache
def box_font_bytes(
    family: str = "Box Test", weight: int = 400, italic: bool = False, chars: str = CHARS
) -> bytes:
    """Return the bytes of a box-glyph TrueType font with the given name, weight and style,
    covering ``chars`` (default: :data:`CHARS`) and the space."""
    names = [".notdef", "space"] + [f"g{ord(c):04X}" for c in chars]
    fb = FontBuilder(UPEM, isTTF=True)
    fb.setupGlyphOrder(names)
    cmap = {32: "space"} | {ord(c): f"g{ord(c):04X}" for c in chars}
    fb.setupCharacterMap(cmap)
    glyphs = {".notdef": _box(600, 600), "space": _empty()}
    metrics = {".notdef": (600, 0), "space": (1000, 0)}
    for c in chars:
        width = NARROW.get(c, WIDE.get(c, 1000))
        glyphs[f"g{ord(c):04X}"] = _box(width, ASCENT)
        metrics[f"g{ord(c):04X}"] = (width, 0)
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics(metrics)
    fb.setupHorizontalHeader(ascent=ASCENT, descent=-DESCENT, lineGap=0)
    style = "Italic" if italic else ("Bold" if weight >= 700 else "Regular")
    fb.setupNameTable({"familyName": family, "styleName": style})
    fs_selection = (1 << 7) | (1 if italic else 0) | (1 << 6 if not italic and weight < 700 else 0)
    fb.setupOS2(
        version=4, sTypoAscender=ASCENT, sTypoDescender=-DESCENT, sTypoLineGap=0,
        usWinAscent=ASCENT, usWinDescent=DESCENT, usWeightClass=weight,
        fsSelection=fs_selection, yStrikeoutPosition=300, yStrikeoutSize=100, sxHeight=500,
    )
    fb.setupPost(underlinePosition=-100, underlineThickness=100)
    buf = BytesIO()
    fb.save(buf)
    return buf.getvalue()

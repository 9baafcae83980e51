"""Shape text items with HarfBuzz (uharfbuzz); return each character's advance in ems.

Chromium measures text the same way: HarfBuzz shapes a whole item (a run of
one face, script and direction, across spaces, so kerning against a space
counts) and each character gets the advances of the glyphs of its cluster.
Advances are unhinted and linear in the font size, so they are computed once
in ems and multiplied by any size the layout tries.
"""

from __future__ import annotations

import uharfbuzz as hb

from offer_render.cache import process_cache
from offer_render.resources.types import FontFace

_SUBUNITS = 64
"""HarfBuzz works in integers; scale fonts to 64 units per font unit for precision."""

_fonts = process_cache("shaping_font", lambda value: 1024 + value[2])
"""face key -> (HarfBuzz font, units per em, bytes of font data); budget
``CacheLimits.shaping_font_bytes``."""


def _hb_font(face: FontFace) -> tuple[hb.Font, int]:
    """Return the HarfBuzz font of ``face`` (variations applied) and its units per em."""
    cached: tuple[hb.Font, int, int] | None = _fonts.get(face.key)
    if cached is not None:
        return cached[0], cached[1]
    hb_face = hb.Face(hb.Blob(face.data), face.index)
    font = hb.Font(hb_face)
    upem = hb_face.upem
    font.scale = (upem * _SUBUNITS, upem * _SUBUNITS)
    if face.variation:
        font.set_variations(dict(face.variation))
    _fonts.put(face.key, (font, upem, len(face.data)))
    return font, upem


NO_LIGATURES = {"liga": False, "clig": False}
"""Features Chromium turns off when letter spacing is not 0 (common ligatures)."""


def em_advances(
    text: str,
    start: int,
    end: int,
    face: FontFace,
    direction: str,
    language: str | None,
    *,
    ligatures: bool = True,
) -> list[float]:
    """Return the advance of each character of ``text[start:end]`` in ems.

    The whole ``text`` is given to HarfBuzz as context, so shaping at the item's
    edges (Arabic joining) sees its neighbours. A cluster's advance goes to its
    first character; the others of the cluster get 0. ``ligatures`` False turns
    common ligatures off (see :data:`NO_LIGATURES`).
    """
    font, upem = _hb_font(face)
    buf = hb.Buffer()
    buf.add_codepoints([ord(c) for c in text], start, end - start)
    buf.guess_segment_properties()
    buf.direction = direction
    if language:
        buf.language = language
    hb.shape(font, buf, {} if ligatures else NO_LIGATURES)
    out = [0.0] * (end - start)
    unit = 1.0 / (upem * _SUBUNITS)
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        out[info.cluster - start] += pos.x_advance * unit
    return out

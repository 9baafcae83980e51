"""Take a grapheme cluster and a stack's faces; return the face that draws it, as Chromium picks.

The faces are tried in stack order (the ``font_family`` list, the generic family,
then the fallback faces), with the presentation UTS #51 gives the cluster:

- a cluster with U+FE0F asks for the emoji glyph, which a text face does not have
  (Blink's fallback skips a face without the variation sequence): colour faces first;
- an emoji-presentation cluster (😀, flags, keycaps) takes a face of the family
  list if one has it, as Chromium does, and otherwise the colour face before other
  fallback faces (Blink's emoji fallback priority);
- a text-presentation cluster (U+FE0E) prefers text faces, the colour face last.

Default-ignorable characters (UAX #44: soft hyphens, zero-width spaces and joiners,
variation selectors, bidi controls) never decide a face.
"""

from __future__ import annotations

from collections.abc import Sequence

from offer_render.resources.scripts import VS16, emoji_presentation
from offer_render.resources.types import FontFace

IGNORABLE = frozenset({
    0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810),
    *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0x3164,
    *range(0xFE00, 0xFE10), 0xFEFF, 0xFFA0, *range(0xFFF0, 0xFFF9), *range(0x1BCA0, 0x1BCA4),
    *range(0x1D173, 0x1D17B), *range(0xE0000, 0xE1000),
})
"""Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt)."""


def needed_codepoints(cluster: str) -> list[int]:
    """Return the code points of ``cluster`` a face must have to draw it."""
    return [ord(c) for c in cluster if ord(c) not in IGNORABLE]


def in_preference_order(cluster: str, faces: Sequence[FontFace]) -> list[FontFace]:
    """Return ``faces`` in the order they are tried for ``cluster`` (see the module)."""
    presentation = emoji_presentation(cluster)
    if VS16 in cluster:
        return [f for f in faces if f.color_glyphs] + [f for f in faces if not f.color_glyphs]
    if presentation is None:
        return list(faces)
    own = [f for f in faces if f.origin != "fallback"]
    fallback = [f for f in faces if f.origin == "fallback"]
    color = [f for f in fallback if f.color_glyphs]
    text = [f for f in fallback if not f.color_glyphs]
    return own + (color + text if presentation else text + color)


def pick_face(cluster: str, faces: Sequence[FontFace]) -> FontFace | None:
    """Return the face that draws ``cluster``: the first, in preference order, with every
    code point of it, else the first with its base character; None if no face has it."""
    needed = needed_codepoints(cluster)
    ordered = in_preference_order(cluster, faces)
    for face in ordered:
        if all(face.covers(cp) for cp in needed):
            return face
    base = ord(cluster[0])
    return next((face for face in ordered if face.covers(base)), None)

"""Cut a paragraph into pieces of one face and one bidi level, split at wrap opportunities.

Takes the paragraph text, its font stack and bidi levels; returns the
pieces in logical order and which face drew each character, so fallbacks can be
reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from offer_render.resources.types import FontFace, FontStack

# Characters that never decide a face and are never missing glyphs: the
# Default_Ignorable_Code_Point property of Unicode (UAX #44, DerivedCoreProperties.txt):
# soft hyphens, zero-width spaces and joiners, bidi controls, variation selectors. They
# follow their base character (CSS Fonts 4, cluster matching) and draw nothing.
_IGNORABLE = frozenset({
    0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810),
    *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0x3164,
    *range(0xFE00, 0xFE10), 0xFEFF, 0xFFA0, *range(0xFFF0, 0xFFF9), *range(0x1BCA0, 0x1BCA4),
    *range(0x1D173, 0x1D17B), *range(0xE0000, 0xE1000),
})


@dataclass(frozen=True)
class Piece:
    """Characters ``start:end`` of a paragraph, drawn with ``face`` at one bidi ``level``."""

    start: int
    end: int
    face: FontFace
    level: int

    @property
    def direction(self) -> str:
        """Return ``rtl`` for odd levels, ``ltr`` for even ones."""
        return "rtl" if self.level % 2 else "ltr"


def face_for_cluster(cluster: str, stack: FontStack) -> FontFace | None:
    """Return the first face of ``stack`` that covers every character of ``cluster``.

    Falls back to the first face covering the base character; None if no face
    covers it (the primary face then draws it as a missing glyph).
    """
    needed = [ord(c) for c in cluster if ord(c) not in _IGNORABLE]
    base = ord(cluster[0])
    for face in stack.faces:
        if all(face.covers(cp) for cp in needed):
            return face
    for face in stack.faces:
        if face.covers(base):
            return face
    return None


def assign_faces(
    text: str, graphemes: list[int], stack: FontStack
) -> tuple[list[FontFace], list[int]]:
    """Return the face of every character, and the offsets of characters no face covers."""
    faces: list[FontFace] = [stack.primary] * len(text)
    missing: list[int] = []
    for a, b in zip(graphemes, graphemes[1:], strict=False):
        cluster = text[a:b]
        face = face_for_cluster(cluster, stack)
        if face is None:
            if not cluster.isspace():
                missing.append(a)
            face = stack.primary
        for i in range(a, b):
            faces[i] = face
    return faces, missing


def make_pieces(
    text: str, faces: list[FontFace], levels: list[int], cuts: list[int]
) -> list[Piece]:
    """Return maximal pieces of one face and one bidi level, also split at each of ``cuts``."""
    pieces: list[Piece] = []
    cut_set = set(cuts)
    start = 0
    for i in range(1, len(text) + 1):
        if (
            i == len(text)
            or i in cut_set
            or faces[i] is not faces[start]
            or levels[i] != levels[start]
        ):
            pieces.append(Piece(start, i, faces[start], levels[start]))
            start = i
    return pieces

"""Cut a paragraph into pieces of one face and one direction, split at wrap opportunities.

Takes the paragraph text, its font stack and base direction; returns the
pieces in logical order and which face drew each character, so fallbacks can be
reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from offer_render.layout.segment import char_direction_class
from offer_render.resources.types import FontFace, FontStack

# Characters that never decide a face: joiners and variation selectors follow
# their base character (CSS Fonts 4, cluster matching).
_IGNORABLE = {0x200C, 0x200D, 0xFE0E, 0xFE0F, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}


@dataclass(frozen=True)
class Piece:
    """Characters ``start:end`` of a paragraph, drawn with ``face`` in ``direction``."""

    start: int
    end: int
    face: FontFace
    direction: str


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


def resolve_directions(text: str, base: str) -> list[str]:
    """Return ``ltr`` or ``rtl`` per character: strong ones as they are, neutrals resolved.

    A run of neutrals between two strong characters of one direction takes that
    direction; otherwise it takes the paragraph's base direction (UAX #9 rules
    N1 and N2, simplified: numbers count as left-to-right).
    """
    classes = [char_direction_class(c) for c in text]
    out = list(classes)
    i = 0
    n = len(text)
    while i < n:
        if classes[i] != "neutral":
            i += 1
            continue
        j = i
        while j < n and classes[j] == "neutral":
            j += 1
        before = classes[i - 1] if i > 0 else base
        after = classes[j] if j < n else base
        fill = before if before == after else base
        for k in range(i, j):
            out[k] = fill
        i = j
    return out


def make_pieces(
    text: str, faces: list[FontFace], directions: list[str], cuts: list[int]
) -> list[Piece]:
    """Return maximal pieces of equal face and direction, also split at every offset in ``cuts``."""
    pieces: list[Piece] = []
    cut_set = set(cuts)
    start = 0
    for i in range(1, len(text) + 1):
        if (
            i == len(text)
            or i in cut_set
            or faces[i] is not faces[start]
            or directions[i] != directions[start]
        ):
            pieces.append(Piece(start, i, faces[start], directions[start]))
            start = i
    return pieces

"""Cut a paragraph into pieces of one face and one bidi level, split at wrap opportunities.

Takes the paragraph text, its font stack and bidi levels; returns the
pieces in logical order and which face drew each character, so fallbacks can be
reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from offer_render.resources.coverage import pick_face
from offer_render.resources.types import FontFace, FontStack


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
    """Return the face of ``stack`` that draws ``cluster`` (see
    :func:`offer_render.resources.coverage.pick_face`); None if no face covers it (the
    primary face then draws it as a missing glyph)."""
    return pick_face(cluster, stack.faces)


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

"""Pick, among one family's candidate faces, those CSS Fonts 4 §5.2 matches for a weight and style.

Takes candidates that describe themselves with ``weight_min``, ``weight_max``
and ``style`` (an @font-face rule or an installed face) and returns the faces
sharing the winning descriptor, last-defined first, as CSS checks a family
segmented by unicode-range. ``font-stretch`` is not a template property, so
every face is taken as ``normal`` width and step 4a is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

STYLE_ORDER: dict[str, tuple[str, ...]] = {
    "italic": ("italic", "oblique", "normal"),
    "oblique": ("oblique", "italic", "normal"),
    "normal": ("normal", "oblique", "italic"),
}
"""Styles tried in order for each desired style (CSS Fonts 4 §5.2 step 4b)."""


class Candidate(Protocol):
    """What matching reads of a face: its weight range and style."""

    @property
    def weight_min(self) -> int: ...

    @property
    def weight_max(self) -> int: ...

    @property
    def style(self) -> str: ...


C = TypeVar("C", bound=Candidate)


def match_faces(candidates: Sequence[C], weight: int, style: str) -> list[C]:
    """Return the faces matching ``weight`` and ``style``, last-defined first; [] if none.

    Style narrows first (italic → oblique → normal; oblique → italic → normal;
    normal → oblique → italic), then weight (see :func:`weight_key`). All faces
    with exactly the winning (style, weight range) are returned: together they
    are one segmented face. Ties between different ranges go to the later one.
    """
    if style not in STYLE_ORDER:
        msg = f"font style must be normal, italic or oblique, not {style!r}"
        raise ValueError(msg)
    pool = _narrow_style(list(reversed(candidates)), style)
    if not pool:
        return []
    best = min(pool, key=lambda c: weight_key(weight, c.weight_min, c.weight_max))
    want = (best.style, best.weight_min, best.weight_max)
    return [c for c in pool if (c.style, c.weight_min, c.weight_max) == want]


def _narrow_style(candidates: list[C], style: str) -> list[C]:
    for wanted in STYLE_ORDER[style]:
        pool = [c for c in candidates if c.style == wanted]
        if pool:
            return pool
    return []


def weight_key(desired: int, lo: int, hi: int) -> tuple[int, int]:
    """Return a sort key: smaller is a better match of a face weighing ``lo``..``hi``.

    A range containing ``desired`` matches exactly. Otherwise (CSS Fonts 4 §5.2
    step 4c), distances are to the nearer end of the range, and:
    desired 400..500: heavier faces up to 500 ascending, then lighter ones
    descending, then heavier than 500 ascending; desired below 400: lighter
    descending, then heavier ascending; desired above 500: heavier ascending,
    then lighter descending.
    """
    if lo <= desired <= hi:
        return (0, 0)
    heavier = lo > desired
    distance = lo - desired if heavier else desired - hi
    if 400 <= desired <= 500:
        if heavier:
            return (1, distance) if lo <= 500 else (3, distance)
        return (2, distance)
    if desired < 400:
        return (2, distance) if heavier else (1, distance)
    return (1, distance) if heavier else (2, distance)

"""CSS Fonts 4 §5.2 font matching: style order, the three weight rules, ranges, segments."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from offer_render.resources.matching import match_faces, weight_key


@dataclass(frozen=True)
class Face:
    """A candidate as matching sees it; ``tag`` names it in the tables."""

    tag: str
    weight_min: int
    weight_max: int
    style: str = "normal"


def _faces(spec: str) -> list[Face]:
    """Build faces from ``"300 400 600-800i 700o"``: weight or range, i=italic, o=oblique."""
    out = []
    for item in spec.split():
        style = {"i": "italic", "o": "oblique"}.get(item[-1], "normal")
        weights = item.rstrip("io")
        lo, _, hi = weights.partition("-")
        out.append(Face(item, int(lo), int(hi or lo), style))
    return out


@pytest.mark.parametrize(
    ("available", "weight", "expected"),
    [
        # desired 400..500: >= desired up to 500 ascending, then below descending, then > 500
        ("300 450 500 600", 400, "450"),
        ("300 500 600", 400, "500"),
        ("300 350 600", 400, "350"),
        ("600 700", 400, "600"),
        ("100 600", 450, "100"),  # below desired beats above 500
        ("400 600", 500, "400"),
        ("300 400 500", 500, "500"),  # exact
        ("300 600", 500, "300"),
        # desired < 400: below-or-equal descending, then above ascending
        ("100 200 500", 300, "200"),
        ("300 500", 300, "300"),
        ("500 400", 300, "400"),
        ("900 600", 100, "600"),
        # desired > 500: above-or-equal ascending, then below descending
        ("400 800 900", 600, "800"),
        ("300 500", 700, "500"),
        ("100 200", 900, "200"),
        ("700", 700, "700"),
        # ranges: containing the desired weight is exact; else the nearer end counts
        ("100-300 400-900", 700, "400-900"),
        ("100-300 600-900", 400, "100-300"),  # 400..500: below (distance 100) before > 500
        ("100-300 450-900", 400, "450-900"),  # 450 is within 400..500, ascending
        ("100-300 500-900", 350, "100-300"),
        ("100-300 500-900", 650, "500-900"),
        ("100-200 300-400", 650, "300-400"),
        ("400", 100, "400"),
    ],
)
def test_weight_rules(available: str, weight: int, expected: str) -> None:
    # Arrange
    faces = _faces(available)
    # Act
    found = match_faces(faces, weight, "normal")
    # Assert
    assert [f.tag for f in found] == [expected]


@pytest.mark.parametrize(
    ("available", "style", "expected"),
    [
        ("400 400i 400o", "italic", "400i"),
        ("400 400o", "italic", "400o"),
        ("400", "italic", "400"),
        ("400 400i 400o", "oblique", "400o"),
        ("400 400i", "oblique", "400i"),
        ("400", "oblique", "400"),
        ("400 400i 400o", "normal", "400"),
        ("400i 400o", "normal", "400o"),
        ("400i", "normal", "400i"),
        # style narrows before weight: a far weight in the right style wins
        ("700 100i", "italic", "100i"),
        ("100 900o 700i", "normal", "100"),
    ],
)
def test_style_order(available: str, style: str, expected: str) -> None:
    # Arrange
    faces = _faces(available)
    # Act
    found = match_faces(faces, 400, style)
    # Assert
    assert [f.tag for f in found] == [expected]


def test_segmented_family_returns_every_segment_last_defined_first() -> None:
    # Arrange: three unicode-range segments of the same face, plus another weight
    faces = [Face("cyrillic", 400, 700), Face("bold", 800, 800), Face("latin-ext", 400, 700),
             Face("latin", 400, 700)]
    # Act
    found = match_faces(faces, 500, "normal")
    # Assert
    assert [f.tag for f in found] == ["latin", "latin-ext", "cyrillic"]


def test_equal_ranks_go_to_the_later_rule() -> None:
    # Arrange: both ranges contain 500
    faces = [Face("early", 400, 700), Face("late", 100, 900)]
    # Act / Assert
    assert [f.tag for f in match_faces(faces, 500, "normal")] == ["late"]


def test_no_candidates() -> None:
    # Arrange / Act / Assert
    assert match_faces([], 400, "normal") == []


def test_bad_style_is_a_clear_error() -> None:
    # Arrange / Act / Assert
    with pytest.raises(ValueError, match="font style must be normal, italic or oblique"):
        match_faces(_faces("400"), 400, "slanted")


@pytest.mark.parametrize(
    ("desired", "lo", "hi", "key"),
    [(450, 400, 500, (0, 0)), (400, 450, 450, (1, 50)), (400, 300, 300, (2, 100)),
     (400, 600, 600, (3, 200)), (300, 200, 200, (1, 100)), (300, 500, 600, (2, 200)),
     (600, 700, 800, (1, 100)), (600, 100, 500, (2, 100))],
)
def test_weight_key(desired: int, lo: int, hi: int, key: tuple[int, int]) -> None:
    # Arrange / Act / Assert
    assert weight_key(desired, lo, hi) == key

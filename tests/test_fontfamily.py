"""Parse CSS font-family values: names, generics, CSS-wide keywords and bad syntax."""

from __future__ import annotations

import pytest

from offer_render.resources.fontfamily import FamilyName, parse_font_family

G = FamilyName  # short alias for the tables


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Raleway", (G("Raleway"),)),
        ("'Playfair Display', serif", (G("Playfair Display"), G("serif", generic=True))),
        ('"Open Sans"', (G("Open Sans"),)),
        ("Times  New \t Roman, Georgia", (G("Times New Roman"), G("Georgia"))),
        ("SANS-SERIF", (G("sans-serif", generic=True),)),
        ("monospace, cursive, fantasy, system-ui", (
            G("monospace", True), G("cursive", True), G("fantasy", True), G("system-ui", True))),
        ("'serif'", (G("serif"),)),  # quoted: a family called serif, not the generic
        ("sans serif", (G("sans serif"),)),  # two identifiers: a name, not the generic
        ("Raleway /* comment */, serif", (G("Raleway"), G("serif", True))),
        ("inherit", ()),
        ("  initial ", ()),
        ("'inherit'", (G("inherit"),)),
        ("Noto Sans CJK JP", (G("Noto Sans CJK JP"),)),
    ],
)
def test_parse_font_family(value: str, expected: tuple[FamilyName, ...]) -> None:
    # Arrange / Act
    result = parse_font_family(value)
    # Assert
    assert result == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty font family name"),
        ("Raleway,", "empty font family name"),
        ("Raleway,, serif", "empty font family name"),
        ("'Open Sans' Bold", "after the quoted family name"),
        ("Font 3", "unexpected number"),
        ("Raleway, inherit", "'inherit' must be quoted"),
        ("default", "'default' must be quoted"),
        ("url(x.ttf)", "unexpected url"),
        ("'unterminated", "syntax error"),
        ("''", "empty quoted font family name"),
        ("Raleway; color: red", "unexpected literal"),
    ],
)
def test_parse_font_family_rejects_bad_syntax(value: str, message: str) -> None:
    # Arrange / Act / Assert
    with pytest.raises(ValueError, match=message):
        parse_font_family(value)

"""Parse a CSS ``font-family`` value into a tuple of :class:`FamilyName` (names and generics)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import tinycss2

from offer_render.cache import process_cache

GENERIC_FAMILIES = frozenset(
    {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}
)
"""Generic family keywords the engine maps to bundled faces (see ``fontdb.GENERIC_MAP``)."""

CSS_WIDE_KEYWORDS = frozenset({"inherit", "initial", "unset", "revert", "revert-layer"})
"""Keywords valid only as the whole value; they all mean the browser default here."""

_RESERVED = CSS_WIDE_KEYWORDS | {"default"}
"""Identifiers that may not start an unquoted family name (CSS Fonts 4 §2.1)."""


@dataclass(frozen=True)
class FamilyName:
    """One entry of a ``font-family`` list: a family name, or a generic keyword (lower case)."""

    name: str
    generic: bool = False


_PARSED = process_cache(
    "family_names", lambda value: 256 + 128 * len(value) if isinstance(value, tuple) else 512
)
"""``font-family`` value -> its families, or the ValueError its syntax gives."""


def parse_font_family(value: str) -> tuple[FamilyName, ...]:
    """Return the families of a ``font-family`` value, in order (memoized by value).

    A lone CSS-wide keyword (``inherit``, ``initial``...) returns ``()``: an
    offer rectangle has no parent, so it means the browser default (``serif``).
    Raise ValueError naming the problem on bad syntax.
    """
    found: tuple[FamilyName, ...] | ValueError = _PARSED.get_or_make(
        value, lambda: _parse_or_error(value)
    )
    if isinstance(found, ValueError):
        raise ValueError(*found.args)
    return found


def _parse_or_error(value: str) -> tuple[FamilyName, ...] | ValueError:
    tokens = tinycss2.parse_component_value_list(value, skip_comments=True)
    try:
        return parse_family_tokens(tokens, allow_wide_keyword=True)
    except ValueError as exc:
        return exc


def parse_family_tokens(
    tokens: Iterable[Any], *, allow_wide_keyword: bool = False
) -> tuple[FamilyName, ...]:
    """Return the families of a tokenized ``font-family`` value (see :func:`parse_font_family`)."""
    groups = _split_commas(list(tokens))
    if len(groups) == 1 and _single_ident(groups[0]) in CSS_WIDE_KEYWORDS:
        if allow_wide_keyword:
            return ()
        msg = f"'{_single_ident(groups[0])}' is not allowed here"
        raise ValueError(msg)
    return tuple(_family(group) for group in groups)


def _split_commas(tokens: list[Any]) -> list[list[Any]]:
    groups: list[list[Any]] = [[]]
    for token in tokens:
        if token.type == "literal" and token.value == ",":
            groups.append([])
        elif token.type != "whitespace":
            groups[-1].append(token)
    if any(not g for g in groups):
        msg = "empty font family name (check the commas)"
        raise ValueError(msg)
    return groups


def _single_ident(group: list[Any]) -> str | None:
    if len(group) == 1 and group[0].type == "ident":
        return str(group[0].lower_value)
    return None


def _family(group: list[Any]) -> FamilyName:
    first = group[0]
    if first.type == "string":
        if len(group) > 1:
            msg = f"unexpected {_describe(group[1])} after the quoted family name {first.value!r}"
            raise ValueError(msg)
        if not first.value.strip():
            msg = "empty quoted font family name"
            raise ValueError(msg)
        return FamilyName(first.value)
    bad = next((t for t in group if t.type != "ident"), None)
    if bad is not None:
        msg = f"unexpected {_describe(bad)} in font family (quote names that are not plain words)"
        raise ValueError(msg)
    keyword = _single_ident(group)
    if keyword in GENERIC_FAMILIES:
        return FamilyName(keyword, generic=True)
    if group[0].lower_value in _RESERVED:
        msg = f"'{group[0].value}' must be quoted to be used as a family name"
        raise ValueError(msg)
    return FamilyName(" ".join(t.value for t in group))


def _describe(token: Any) -> str:
    if token.type == "error":
        return f"syntax error ({token.message})"
    return f"{token.type} {token.serialize()!r}"

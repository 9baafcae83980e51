"""Parse a font stylesheet's text (any CSS, Google Fonts v1/v2 included) into @font-face rules.

Only top-level ``@font-face`` rules are read, with tinycss2. Every other rule is
ignored, ``@import`` included: it is never followed, so one stylesheet costs one
fetch. An invalid descriptor falls back to its initial value and an invalid
``src`` component is skipped, as browsers do; a rule without a family or a
usable ``src`` is dropped with a warning.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import tinycss2

from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics
from offer_render.resources.fontfamily import parse_family_tokens

FONT_STYLES = ("normal", "italic", "oblique")
SUPPORTED_FORMATS = frozenset({"woff2", "woff", "truetype", "opentype", "collection"})
"""``format()`` hints the engine can load; a source with another hint is skipped."""
SUPPORTED_TECH = frozenset(
    {"variations", "features-opentype", "color-colrv0", "color-colrv1", "color-cbdt",
     "color-sbix", "palettes"}
)
"""``tech()`` keywords FreeType and the engine handle; other techs skip the source."""

UnicodeRanges = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class FontSource:
    """One ``url()`` entry of a ``src`` descriptor, resolved to an absolute URL."""

    url: str
    format: str | None = None
    """Lower-cased ``format()`` hint (``woff2``, ``truetype``...), None when absent."""
    tech: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        """Return whether the format and tech hints allow the engine to use this source."""
        fmt_ok = self.format is None or self.format in SUPPORTED_FORMATS
        return fmt_ok and all(t in SUPPORTED_TECH for t in self.tech)


@dataclass(frozen=True)
class FontFaceRule:
    """One ``@font-face`` rule: descriptors for matching and where the font data is."""

    family: str
    weight_min: int = 400
    weight_max: int = 400
    style: str = "normal"
    unicode_ranges: UnicodeRanges | None = None
    """Inclusive code point ranges; None when the rule has no ``unicode-range`` (all)."""
    sources: tuple[FontSource, ...] = ()
    local_names: tuple[str, ...] = ()
    """Names from ``local()`` entries (full or PostScript names of installed fonts)."""
    src_order: tuple[str, ...] = ()
    """``"url"``/``"local"`` per ``src`` entry, so loaders try them in the written order."""

    def intersects(self, codepoints: Sequence[int]) -> bool:
        """Return whether the rule's unicode-range contains any of ``codepoints`` (sorted)."""
        if self.unicode_ranges is None:
            return True
        for lo, hi in self.unicode_ranges:
            i = bisect_left(codepoints, lo)
            if i < len(codepoints) and codepoints[i] <= hi:
                return True
        return False


def parse_stylesheet(
    text: str,
    base_url: str,
    *,
    limits: Limits,
    diag: Diagnostics | None = None,
    path: str = "",
    rect: int | None = None,
) -> tuple[FontFaceRule, ...]:
    """Return the @font-face rules of ``text``, with URLs resolved against ``base_url``.

    At most ``limits.max_font_face_rules`` rules are read; more give the warning
    ``stylesheet_truncated``. Invalid rules give ``font_face_ignored``.
    """
    nodes = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    rules: list[FontFaceRule] = []
    for node in nodes:
        if node.type != "at-rule" or node.lower_at_keyword != "font-face" or node.content is None:
            continue
        if len(rules) >= limits.max_font_face_rules:
            _warn(diag, "stylesheet_truncated",
                  f"{base_url}: only the first {limits.max_font_face_rules} @font-face rules "
                  "are read", path, rect)
            break
        try:
            rules.append(parse_font_face(node.content, base_url))
        except ValueError as exc:
            _warn(diag, "font_face_ignored", f"{base_url}: @font-face rule ignored: {exc}",
                  path, rect)
    return tuple(rules)


def _warn(diag: Diagnostics | None, code: str, msg: str, path: str, rect: int | None) -> None:
    if diag is not None:
        diag.warn(code, msg, path, rect=rect)


def parse_font_face(content: list[Any], base_url: str) -> FontFaceRule:
    """Return the rule of one ``@font-face`` block's content; ValueError if it is unusable."""
    decls = tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True)
    values: dict[str, list[Any]] = {}
    for decl in decls:
        if decl.type == "declaration":
            values[decl.lower_name] = [t for t in decl.value if t.type != "comment"]
    if "font-family" not in values:
        msg = "no font-family descriptor"
        raise ValueError(msg)
    family = _rule_family(values["font-family"])
    weight_min, weight_max = parse_weight(values.get("font-weight", []))
    srcs, locals_, order = parse_src(values.get("src", []), base_url)
    if not order:
        msg = f"family {family!r}: no usable src"
        raise ValueError(msg)
    return FontFaceRule(
        family=family,
        weight_min=weight_min,
        weight_max=weight_max,
        style=parse_style(values.get("font-style", [])),
        unicode_ranges=parse_unicode_range(values.get("unicode-range", [])),
        sources=srcs,
        local_names=locals_,
        src_order=order,
    )


def _rule_family(tokens: list[Any]) -> str:
    try:
        families = parse_family_tokens(tokens)
    except ValueError as exc:
        msg = f"bad font-family: {exc}"
        raise ValueError(msg) from None
    if len(families) != 1 or families[0].generic:
        msg = "font-family must name exactly one family, not a list or a generic keyword"
        raise ValueError(msg)
    return families[0].name


def _significant(tokens: list[Any]) -> list[Any]:
    return [t for t in tokens if t.type not in ("whitespace", "comment")]


def _weight_value(token: Any) -> float | None:
    if token.type == "ident":
        return {"normal": 400.0, "bold": 700.0}.get(token.lower_value)
    if token.type == "number" and 1 <= token.value <= 1000:
        return float(token.value)
    return None


def parse_weight(tokens: list[Any]) -> tuple[int, int]:
    """Return the (min, max) of a ``font-weight`` descriptor; (400, 400) when absent or invalid.

    ``auto`` and invalid values give the initial ``normal``; a decreasing range
    is swapped, as CSS Fonts 4 requires.
    """
    toks = _significant(tokens)
    vals = [_weight_value(t) for t in toks]
    if not 1 <= len(vals) <= 2 or any(v is None for v in vals):
        return (400, 400)
    nums = [round(v) for v in vals if v is not None]
    return (min(nums), max(nums))


def parse_style(tokens: list[Any]) -> str:
    """Return ``normal``, ``italic`` or ``oblique`` for a ``font-style`` descriptor.

    Oblique angles are accepted and dropped (the engine skews by a fixed angle);
    invalid values give the initial ``normal``.
    """
    toks = _significant(tokens)
    if not toks or toks[0].type != "ident" or toks[0].lower_value not in FONT_STYLES:
        return "normal"
    style = str(toks[0].lower_value)
    rest = toks[1:]
    if not rest:
        return style
    if style == "oblique" and len(rest) <= 2 and all(_is_angle(t) for t in rest):
        return style
    return "normal"


def _is_angle(token: Any) -> bool:
    if token.type == "dimension":
        return bool(token.lower_unit in ("deg", "rad", "grad", "turn"))
    return bool(token.type == "number" and token.value == 0)


def parse_unicode_range(tokens: list[Any]) -> UnicodeRanges | None:
    """Return the inclusive ranges of a ``unicode-range`` descriptor; None when absent or invalid.

    An invalid descriptor is ignored as a whole (the rule then covers everything),
    as in browsers.
    """
    toks = _significant(tokens)
    if not toks:
        return None
    ranges: list[tuple[int, int]] = []
    expect_range = True
    for tok in toks:
        if expect_range and tok.type == "unicode-range":
            lo, hi = int(tok.start), min(int(tok.end), 0x10FFFF)
            if lo > hi:
                return None
            ranges.append((lo, hi))
        elif not expect_range and tok.type == "literal" and tok.value == ",":
            pass
        else:
            return None
        expect_range = not expect_range
    return tuple(ranges) if ranges and not expect_range else None


def parse_src(
    tokens: list[Any], base_url: str
) -> tuple[tuple[FontSource, ...], tuple[str, ...], tuple[str, ...]]:
    """Return the url sources, the local() names and the entry order of a ``src`` descriptor.

    Unrecognized components are skipped (CSS Fonts 4 forgiving parsing).
    """
    sources: list[FontSource] = []
    local_names: list[str] = []
    order: list[str] = []
    for component in _split(tokens):
        local = _local_name(component)
        if local is not None:
            local_names.append(local)
            order.append("local")
            continue
        source = _url_source(component, base_url)
        if source is not None:
            sources.append(source)
            order.append("url")
    return tuple(sources), tuple(local_names), tuple(order)


def _split(tokens: list[Any]) -> list[list[Any]]:
    groups: list[list[Any]] = [[]]
    for tok in _significant(tokens):
        if tok.type == "literal" and tok.value == ",":
            groups.append([])
        else:
            groups[-1].append(tok)
    return [g for g in groups if g]


def _local_name(component: list[Any]) -> str | None:
    if len(component) != 1 or component[0].type != "function":
        return None
    if component[0].lower_name != "local":
        return None
    try:
        names = parse_family_tokens(component[0].arguments)
    except ValueError:
        return None
    return names[0].name if len(names) == 1 else None


def _url_source(component: list[Any], base_url: str) -> FontSource | None:
    ref = _url_ref(component[0])
    if ref is None:
        return None
    fmt: str | None = None
    tech: tuple[str, ...] = ()
    for tok in component[1:]:
        if tok.type != "function" or tok.lower_name not in ("format", "tech"):
            return None
        args = _function_words(tok)
        if args is None:
            return None
        if tok.lower_name == "format":
            if fmt is not None or len(args) != 1:
                return None
            fmt = args[0]
        else:
            tech = tuple(args)
    return FontSource(url=urljoin(base_url, ref.strip()), format=fmt, tech=tech)


def _url_ref(token: Any) -> str | None:
    if token.type == "url":
        return str(token.value) if token.value.strip() else None
    if token.type == "function" and token.lower_name == "url":
        args = _significant(token.arguments)
        if len(args) == 1 and args[0].type == "string" and args[0].value.strip():
            return str(args[0].value)
    return None


def _function_words(token: Any) -> list[str] | None:
    words: list[str] = []
    for group in _split(token.arguments):
        if len(group) != 1 or group[0].type not in ("string", "ident"):
            return None
        words.append(str(group[0].value).lower())
    return words or None

"""Resolve one rectangle's fonts: take its font_family, font_url and text, return its FontStack.

The stack runs as CSS fallback does: each ``font_family`` entry in order (the
stylesheet's @font-face faces, else installed fonts of that name), then the generic
family (``serif`` if none was named: Chromium's default standard font), each mapped
by ``RendererConfig.generic_families`` to a named face; then, for the characters no
face so far draws, the faces the fallback chain names per script (see
:mod:`~offer_render.resources.fallback`). Only the unicode-range subsets the text
needs are fetched, and each passes the OpenType Sanitizer before it is parsed;
installed and bundled fonts are trusted. Problems become warnings:
``font_unavailable``, ``family_not_in_stylesheet``, ``family_not_found``,
``font_family_invalid``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import ResourceError
from offer_render.resources.fallback import FontProviders
from offer_render.resources.fetch import Fetcher
from offer_render.resources.fontdb import FontDatabase, InstalledFace
from offer_render.resources.fontfamily import FamilyName, parse_font_family
from offer_render.resources.matching import match_faces
from offer_render.resources.stylesheet import FontFaceRule
from offer_render.resources.types import FontFace, FontStack
from offer_render.resources.webfonts import (
    DEFAULT_CACHE,
    FaceRequest,
    FontCache,
    Stylesheet,
    rule_face,
)
from offer_render.template.models import Rectangle

DEFAULT_GENERIC = "serif"
"""Chromium's default ``font-family`` (its "standard font" setting is Times New Roman,
which fontconfig resolves like ``serif``)."""
SPACE = 0x20
_GRAPHEME = regex.compile(r"\X")
"""An extended grapheme cluster (UAX #29), the unit a face is chosen for."""


@dataclass
class _Family:
    """What one ``font_family`` entry gave: its faces and, if it fell short, why."""

    entry: FamilyName
    faces: list[FontFace] = field(default_factory=list)
    problem: str | None = None
    """``not_in_stylesheet`` or ``not_found`` when the name had to be looked up or skipped."""
    primary: FontFace | None = None
    """The first face whose unicode-range includes U+0020: CSS's "first available font"."""

    @classmethod
    def single(cls, entry: FamilyName, face: FontFace | None, problem: str | None = None
               ) -> _Family:
        """Return the result of an installed or generic face (no unicode-range: it is primary)."""
        return cls(entry, [face] if face else [], problem, face)


def resolve_font_stack(
    rect: Rectangle,
    text: str,
    *,
    fetcher: Fetcher,
    fontdb: FontDatabase,
    limits: Limits,
    diag: Diagnostics,
    rect_index: int,
    cache: FontCache | None = None,
    providers: FontProviders | None = None,
    language: str | None = None,
) -> FontStack:
    """Return the faces ``rect`` may draw ``text`` with, in fallback order, and its primary face.

    ``providers`` say where generic and fallback faces come from (default: the
    installed folders of ``fontdb`` only, no font source); ``language`` (the render
    locale) picks the CJK face for Han. Raise ResourceError only when not even a
    bundled face can be loaded (or in strict mode, through ``diag``, on the first font
    warning strict mode forbids).
    """
    resolver = _Resolver(rect, text, fetcher, providers or FontProviders(fontdb), limits,
                         diag, rect_index, cache or DEFAULT_CACHE, language)
    return resolver.stack()


class _Resolver:
    """Walk one rectangle's family list; holds the per-call context so functions stay small."""

    def __init__(
        self, rect: Rectangle, text: str, fetcher: Fetcher, providers: FontProviders,
        limits: Limits, diag: Diagnostics, rect_index: int, cache: FontCache,
        language: str | None,
    ) -> None:
        self.rect, self.text, self.fetcher = rect, text, fetcher
        self.providers, self.fontdb = providers, providers.fontdb
        self.limits, self.diag, self.index, self.cache = limits, diag, rect_index, cache
        self.language = language
        self.weight, self.style = rect.weight, rect.font_style
        self.request = FaceRequest(rect.weight, rect.font_style, rect.font_size)
        self.needed = sorted({ord(c) for c in text})
        self.sheet: Stylesheet | None = None

    # -- the walk ---------------------------------------------------------------------

    def stack(self) -> FontStack:
        families = self._families()
        self.sheet = self._stylesheet()
        results = [self._resolve(entry) for entry in families]
        if not any(entry.generic for entry in families):
            results.append(self._generic(FamilyName(DEFAULT_GENERIC, generic=True)))
        self._report(results)
        faces = _dedupe([f for r in results for f in r.faces] + self._fallbacks(results))
        if not faces:
            raise ResourceError(str(self.fontdb.dirs), "no font available, not even a bundled one",
                                field=self._path("font_family"))
        primary = next((r.primary for r in results if r.primary), faces[0])
        # a primary dropped as a duplicate is replaced by the face that covers it
        if not any(f is primary for f in faces):
            primary = next((f for f in faces if f.key == primary.key), faces[0])
        return FontStack(tuple(faces), primary, tuple(f.name for f in families))

    def _fallbacks(self, results: list[_Family]) -> list[FontFace]:
        """Return the faces the fallback chain names for the clusters no earlier face draws.

        Only those are loaded: CJK and emoji faces are megabytes each.
        """
        earlier = [f for r in results for f in r.faces]
        clusters = [c for c in _GRAPHEME.findall(self.text) if not c.isspace()]
        return self.providers.fallback_faces(
            clusters, earlier, self.request, language=self.language, text=self.text)

    def _families(self) -> tuple[FamilyName, ...]:
        try:
            return parse_font_family(self.rect.font_family)
        except ValueError as exc:
            self._warn("font_family_invalid",
                       f"font_family {self.rect.font_family!r} is not valid CSS ({exc}); "
                       f"using the default family '{DEFAULT_GENERIC}' as a browser would",
                       "font_family")
            return ()

    def _stylesheet(self) -> Stylesheet | None:
        url = self.rect.font_url
        if not url:
            return None
        try:
            sheet = self.cache.stylesheet(url, self.fetcher, self.limits)
        except ResourceError as exc:
            self._warn("font_unavailable", f"stylesheet not loaded, web fonts skipped: {exc}",
                       "font_url", cause=exc)
            return None
        for code, message in sheet.notes:
            self._warn(code, message, "font_url")
        return sheet

    def _resolve(self, entry: FamilyName) -> _Family:
        if entry.generic:
            return self._generic(entry)
        rules = self._rules_of(entry.name)
        if rules:
            return self._web_family(entry, rules)
        installed = self.fontdb.match(entry.name, self.weight, self.style)
        problem = "not_in_stylesheet" if self.sheet is not None else None
        if installed is None:
            return _Family(entry, [], problem or "not_found")
        return _Family.single(entry, self._installed(installed, "installed"), problem)

    def _generic(self, entry: FamilyName) -> _Family:
        """Return the face the generic keyword maps to (``GenericFamilies``), from the first
        provider that has it; its face holding U+0020 is the primary."""
        family = self.providers.generics.family_for(entry.name)
        if family is None:
            return _Family(entry)
        needed = sorted({*self.needed, SPACE})
        faces = self.providers.named(family, self.request, needed, origin="generic")
        primary = next((f for f in faces if f.covers(SPACE)), faces[0] if faces else None)
        return _Family(entry, faces, None, primary)

    def _rules_of(self, family: str) -> list[FontFaceRule]:
        if self.sheet is None:
            return []
        key = family.casefold()
        return [r for r in self.sheet.rules if r.family.casefold() == key]

    # -- loading faces ----------------------------------------------------------------

    def _web_family(self, entry: FamilyName, rules: list[FontFaceRule]) -> _Family:
        """Load the matched faces the text needs, plus the one whose range holds U+0020.

        The U+0020 face is CSS's first available font (the primary, whose metrics
        set the line height), so it is loaded even when the text has no space.
        """
        matched = match_faces(rules, self.weight, self.style)
        space_rule = next((r for r in matched if r.intersects([SPACE])), None)
        faces: list[FontFace] = []
        primary: FontFace | None = None
        for rule in matched:
            if rule is not space_rule and not rule.intersects(self.needed):
                continue
            face = self._web_face(rule)
            if face is not None:
                faces.append(face)
                primary = primary or (face if rule.intersects([SPACE]) else None)
        return _Family(entry, faces, None, primary)

    def _web_face(self, rule: FontFaceRule) -> FontFace | None:
        fetch_errors: list[ResourceError] = []
        face, failures = rule_face(
            rule, self.request, fetcher=self.fetcher, fontdb=self.fontdb, limits=self.limits,
            cache=self.cache, origin="stylesheet", provider="stylesheet",
            fetch_errors=fetch_errors,
        )
        if face is not None:
            return face
        reason = "; ".join(failures) or (
            "no src in a supported format (woff2, woff, truetype, opentype)")
        self._warn("font_unavailable",
                   f"font '{rule.family}' {_describe_rule(rule)} not loaded: {reason}",
                   "font_family", cause=fetch_errors[0] if fetch_errors else None)
        return None

    def _installed(self, face: InstalledFace, origin: str) -> FontFace | None:
        failures: list[str] = []
        found = self.providers.installed_face(self.fontdb, face, self.request, origin, failures)
        if found is None:
            self._warn("font_unavailable", f"installed font not loaded: {failures[0]}",
                       "font_family")
        return found

    # -- reporting --------------------------------------------------------------------

    def _report(self, results: list[_Family]) -> None:
        for i, res in enumerate(results):
            if res.problem is None:
                continue
            instead = _instead(res, results[i + 1:])
            name = res.entry.name
            if res.problem == "not_in_stylesheet":
                sheet_url = self.sheet.url if self.sheet else self.rect.font_url
                self._warn("family_not_in_stylesheet",
                           f"font family '{name}' is not defined by the stylesheet "
                           f"{sheet_url}; {instead}", "font_family")
            else:
                self._warn("family_not_found",
                           f"font family '{name}' is neither in a stylesheet nor installed; "
                           f"{instead}", "font_family")

    def _path(self, key: str) -> str:
        return f"rectangles[{self.index}].{key}"

    def _warn(self, code: str, message: str, key: str,
              cause: ResourceError | None = None) -> None:
        self.diag.warn(code, message, self._path(key), rect=self.index, cause=cause)


def _instead(res: _Family, later: list[_Family]) -> str:
    """Say which face is used instead of a family that fell short."""
    if res.faces:
        face = res.faces[0]
        return f"using the installed font '{face.family}' ({face.source})"
    nxt = next((r for r in later if r.faces), None)
    not_installed = "it is not installed either; " if res.problem == "not_in_stylesheet" else ""
    if nxt is None:
        return f"{not_installed}using the bundled fallback fonts"
    return (f"{not_installed}using the next family '{nxt.entry.name}' "
            f"({nxt.faces[0].family}, {nxt.faces[0].origin})")


def _describe_rule(rule: FontFaceRule) -> str:
    weight = (str(rule.weight_min) if rule.weight_min == rule.weight_max
              else f"{rule.weight_min}-{rule.weight_max}")
    return f"{weight} {rule.style}"


def _dedupe(faces: list[FontFace]) -> list[FontFace]:
    """Drop a face that an earlier one with the same key already covers (generic = fallback)."""
    out: list[FontFace] = []
    for face in faces:
        if not any(f.key == face.key and face.coverage <= f.coverage for f in out):
            out.append(face)
    return out

"""Resolve one rectangle's fonts: take its font_family, font_url and text, return its FontStack.

The stack runs as CSS fallback does: each ``font_family`` entry in order (the
stylesheet's @font-face faces, else installed fonts of that name, or a
generic's bundled face), then ``serif`` if no generic was named (Chromium's
default standard font), then the bundled last-resort faces. Only the
unicode-range subsets the text needs are fetched, and each passes the OpenType
Sanitizer (:mod:`offer_render.resources.sanitize`) before it is parsed; installed
and bundled fonts are trusted. Problems become warnings:
``font_unavailable``, ``family_not_in_stylesheet``, ``family_not_found``,
``font_family_invalid``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from offer_render.cache import BoundedMemo, process_cache
from offer_render.config import CacheLimits, Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import ResourceError
from offer_render.resources.fetch import Fetched, Fetcher
from offer_render.resources.fontdb import FontDatabase, InstalledFace
from offer_render.resources.fontfamily import FamilyName, parse_font_family
from offer_render.resources.fontfile import ParsedFont, load_font, make_face, parsed_font_bytes
from offer_render.resources.matching import match_faces
from offer_render.resources.sanitize import sanitize_font
from offer_render.resources.stylesheet import FontFaceRule, parse_stylesheet
from offer_render.resources.types import FontFace, FontStack
from offer_render.template.models import Rectangle

DEFAULT_GENERIC = "serif"
"""Chromium's default ``font-family`` (its "standard font" setting is Times New Roman,
which fontconfig resolves like ``serif``)."""
SPACE = 0x20


@dataclass(frozen=True)
class Stylesheet:
    """A fetched and parsed stylesheet, with the warnings its parsing gave (replayed per use)."""

    url: str
    rules: tuple[FontFaceRule, ...]
    notes: tuple[tuple[str, str], ...] = ()


class FontCache:
    """In-memory, bounded, thread-safe caches of parsed stylesheets and fonts, by content.

    Every use fetches through the fetcher (whose own cache decides whether the
    bytes are still fresh, so a changed font at the same URL is picked up) and
    parses only bytes not seen before: entries are keyed by the sha256 of what
    was fetched. Failures are not cached. Without arguments it has caches of its own
    with the default budgets (``CacheLimits.stylesheet_bytes``, ``web_font_bytes``);
    :data:`DEFAULT_CACHE` uses the process-wide ones.
    """

    def __init__(
        self, stylesheets: BoundedMemo | None = None, fonts: BoundedMemo | None = None
    ) -> None:
        self._sheets = stylesheets or BoundedMemo(_LIMITS.stylesheet_bytes, _stylesheet_bytes)
        self._fonts = fonts or BoundedMemo(_LIMITS.web_font_bytes, parsed_font_bytes)

    def stylesheet(self, url: str, fetcher: Fetcher, limits: Limits) -> Stylesheet:
        """Return the parsed stylesheet at ``url``; raise ResourceError if it cannot be had."""
        fetched = fetcher.fetch(url, max_bytes=limits.max_stylesheet_bytes, what="stylesheet")
        return self._sheets.get_or_make(
            (fetched.digest, fetched.url, limits.max_stylesheet_bytes, limits.max_font_face_rules),
            lambda: _parse_stylesheet(fetched, limits),
        )

    def font(self, url: str, fetcher: Fetcher, limits: Limits) -> ParsedFont:
        """Return the parsed font at ``url``; ResourceError if not had, ValueError if rejected.

        A web font is parsed only once the OpenType Sanitizer has accepted it.
        """
        fetched = fetcher.fetch(url, max_bytes=limits.max_font_bytes, what="font")
        return self._fonts.get_or_make(
            (fetched.digest, limits.max_font_bytes, limits.max_sfnt_bytes),
            lambda: load_font(sanitize_font(fetched.data, limits=limits)),
        )

    def clear(self) -> None:
        """Forget everything cached."""
        self._sheets.clear()
        self._fonts.clear()


def _stylesheet_bytes(sheet: Stylesheet) -> int:
    """Return a rough size of a parsed stylesheet (for the cache's budget)."""
    return 1024 + 512 * len(sheet.rules)


_LIMITS = CacheLimits()
DEFAULT_CACHE = FontCache(
    process_cache("stylesheet", _stylesheet_bytes), process_cache("web_font", parsed_font_bytes)
)
"""The process-wide cache :func:`resolve_font_stack` uses unless given another."""


def _parse_stylesheet(fetched: Fetched, limits: Limits) -> Stylesheet:
    text = fetched.data.decode("utf-8-sig", errors="replace")
    notes = Diagnostics()
    rules = parse_stylesheet(text, fetched.url, limits=limits, diag=notes)
    return Stylesheet(fetched.url, rules, tuple((w.code, w.message) for w in notes.warnings))


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
) -> FontStack:
    """Return the faces ``rect`` may draw ``text`` with, in fallback order, and its primary face.

    Raise ResourceError only when not even a bundled face can be loaded (or in
    strict mode, through ``diag``, on the first font warning strict mode forbids).
    """
    resolver = _Resolver(rect, text, fetcher, fontdb, limits, diag, rect_index,
                         cache or DEFAULT_CACHE)
    return resolver.stack()


class _Resolver:
    """Walk one rectangle's family list; holds the per-call context so functions stay small."""

    def __init__(
        self, rect: Rectangle, text: str, fetcher: Fetcher, fontdb: FontDatabase,
        limits: Limits, diag: Diagnostics, rect_index: int, cache: FontCache,
    ) -> None:
        self.rect, self.fetcher, self.fontdb = rect, fetcher, fontdb
        self.limits, self.diag, self.index, self.cache = limits, diag, rect_index, cache
        self.weight, self.style = rect.weight, rect.font_style
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
        """Return the bundled last-resort faces that draw characters no earlier face covers.

        Only those are loaded: the CJK and emoji faces are megabytes each.
        """
        earlier = [f for r in results for f in r.faces]
        remaining = [cp for cp in self.needed if cp > 0x20 and not any(
            f.covers(cp) for f in earlier)]
        chosen: list[FontFace] = []
        for entry in self.fontdb.fallback_faces(self.weight, self.style):
            if not remaining and (earlier or chosen):
                break
            face = self._installed(entry, "fallback")
            if face is None:
                continue
            if any(face.covers(cp) for cp in remaining) or not (earlier or chosen):
                chosen.append(face)
                remaining = [cp for cp in remaining if not face.covers(cp)]
        return chosen

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
                       "font_url")
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
        found = self.fontdb.match_generic(entry.name, self.weight, self.style)
        return _Family.single(entry, self._installed(found, "generic") if found else None)

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
        failures: list[str] = []
        for source, parsed in self._sources(rule, failures):
            return make_face(
                parsed, family=rule.family, weight=(rule.weight_min, rule.weight_max),
                style=rule.style, source=source, origin="stylesheet",
                unicode_ranges=rule.unicode_ranges, requested_weight=self.weight,
                requested_style=self.style, optical_size=self.rect.font_size,
            )
        reason = "; ".join(failures) or (
            "no src in a supported format (woff2, woff, truetype, opentype)")
        self._warn("font_unavailable",
                   f"font '{rule.family}' {_describe_rule(rule)} not loaded: {reason}",
                   "font_family")
        return None

    def _sources(self, rule: FontFaceRule, failures: list[str]) -> Iterator[tuple[str, ParsedFont]]:
        """Yield (source, font) for each ``src`` entry that loads, in the written order."""
        urls, names = iter(rule.sources), iter(rule.local_names)
        for kind in rule.src_order:
            if kind == "local":
                local = self.fontdb.find_local(next(names))
                parsed = self._load_installed(local, failures) if local else None
                if local and parsed:
                    yield str(local.path), parsed
                continue
            src = next(urls)
            if not src.supported:
                continue
            try:
                yield src.url, self.cache.font(src.url, self.fetcher, self.limits)
            except (ResourceError, ValueError) as exc:
                failures.append(str(exc) if isinstance(exc, ResourceError) else
                                f"{src.url}: {exc}")

    def _load_installed(self, face: InstalledFace, failures: list[str]) -> ParsedFont | None:
        try:
            return self.fontdb.load(face)
        except ValueError as exc:
            failures.append(str(exc))
            return None

    def _installed(self, face: InstalledFace, origin: str) -> FontFace | None:
        failures: list[str] = []
        parsed = self._load_installed(face, failures)
        if parsed is None:
            self._warn("font_unavailable", f"installed font not loaded: {failures[0]}",
                       "font_family")
            return None
        return make_face(
            parsed, family=face.family, weight=face.weight, style=face.style,
            source=str(face.path), origin=origin, unicode_ranges=None,
            requested_weight=self.weight, requested_style=self.style,
            optical_size=self.rect.font_size,
        )

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

    def _warn(self, code: str, message: str, key: str) -> None:
        self.diag.warn(code, message, self._path(key), rect=self.index)


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

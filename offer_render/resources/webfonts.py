"""Take stylesheet and font URLs and a fetcher; return parsed stylesheets and faces, by content.

Every use fetches through the fetcher (whose own cache decides whether the bytes are
still fresh, so a changed font at the same URL is picked up) and parses only bytes
not seen before: parsed stylesheets and fonts are kept by the sha256 of what was
fetched. A downloaded font is parsed only once the OpenType Sanitizer has accepted
it (:mod:`offer_render.resources.sanitize`). :func:`rule_face` turns one
``@font-face`` rule into a face, trying its ``src`` entries in the written order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from offer_render.cache import BoundedMemo, process_cache
from offer_render.config import CacheLimits, Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import ResourceError
from offer_render.resources.fetch import Fetched, Fetcher
from offer_render.resources.fontdb import FontDatabase, InstalledFace
from offer_render.resources.fontfile import ParsedFont, load_font, make_face, parsed_font_bytes
from offer_render.resources.sanitize import sanitize_font
from offer_render.resources.stylesheet import FontFaceRule, parse_stylesheet
from offer_render.resources.types import FontFace


@dataclass(frozen=True)
class Stylesheet:
    """A fetched and parsed stylesheet, with the warnings its parsing gave (replayed per use)."""

    url: str
    rules: tuple[FontFaceRule, ...]
    notes: tuple[tuple[str, str], ...] = ()


def _stylesheet_bytes(sheet: Stylesheet) -> int:
    """Return a rough size of a parsed stylesheet (for the cache's budget)."""
    return 1024 + 512 * len(sheet.rules)


_LIMITS = CacheLimits()


class FontCache:
    """In-memory, bounded, thread-safe caches of parsed stylesheets and fonts, by content.

    Failures are not cached. Without arguments it has caches of its own with the
    default budgets (``CacheLimits.stylesheet_bytes``, ``web_font_bytes``);
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


DEFAULT_CACHE = FontCache(
    process_cache("stylesheet", _stylesheet_bytes), process_cache("web_font", parsed_font_bytes)
)
"""The process-wide cache font resolution uses unless given another."""


def _parse_stylesheet(fetched: Fetched, limits: Limits) -> Stylesheet:
    text = fetched.data.decode("utf-8-sig", errors="replace")
    notes = Diagnostics()
    rules = parse_stylesheet(text, fetched.url, limits=limits, diag=notes)
    return Stylesheet(fetched.url, rules, tuple((w.code, w.message) for w in notes.warnings))


@dataclass(frozen=True)
class FaceRequest:
    """What a face is loaded for: the rectangle's weight, style and size in CSS px.

    ``match_weight`` and ``match_style``, when set, choose the face instead of
    ``weight`` and ``style``, which the face is then drawn at (bold or italic
    synthesized if it lacks them), as Chromium on Linux takes a fallback face
    regular and upright (see :class:`~offer_render.resources.fallback.FontProviders`).
    """

    weight: int
    style: str
    optical_size: float | None = None
    match_weight: int | None = None
    match_style: str | None = None

    @property
    def matching(self) -> tuple[int, str]:
        """Return the weight and style that choose the face."""
        return (self.match_weight or self.weight, self.match_style or self.style)


def rule_face(
    rule: FontFaceRule,
    request: FaceRequest,
    *,
    fetcher: Fetcher,
    fontdb: FontDatabase,
    limits: Limits,
    cache: FontCache,
    origin: str,
    provider: str,
    fetch_errors: list[ResourceError] | None = None,
) -> tuple[FontFace | None, list[str]]:
    """Return the face of the first ``src`` of ``rule`` that loads, and why others did not.

    ``local()`` entries are installed fonts found by their full or PostScript name;
    ``url()`` entries in a supported format are fetched, sanitized and parsed. The
    fetches that failed are added to ``fetch_errors``, when given, as raised.
    """
    failures: list[str] = []
    errors = fetch_errors if fetch_errors is not None else []
    for source, parsed in _sources(rule, failures, errors, fetcher, fontdb, limits, cache):
        face = make_face(
            parsed, family=rule.family, weight=(rule.weight_min, rule.weight_max),
            style=rule.style, source=source, origin=origin, provider=provider,
            unicode_ranges=rule.unicode_ranges, requested_weight=request.weight,
            requested_style=request.style, optical_size=request.optical_size,
        )
        return face, failures
    return None, failures


def _sources(
    rule: FontFaceRule, failures: list[str], errors: list[ResourceError], fetcher: Fetcher,
    fontdb: FontDatabase, limits: Limits, cache: FontCache,
) -> Iterator[tuple[str, ParsedFont]]:
    """Yield (source, font) for each ``src`` entry that loads, in the written order."""
    urls, names = iter(rule.sources), iter(rule.local_names)
    for kind in rule.src_order:
        if kind == "local":
            local = fontdb.find_local(next(names))
            parsed = load_installed(fontdb, local, failures) if local else None
            if local and parsed:
                yield str(local.path), parsed
            continue
        src = next(urls)
        if not src.supported:
            continue
        try:
            yield src.url, cache.font(src.url, fetcher, limits)
        except ResourceError as exc:
            failures.append(str(exc))
            errors.append(exc)
        except ValueError as exc:
            failures.append(f"{src.url}: {exc}")


def load_installed(
    fontdb: FontDatabase, face: InstalledFace, failures: list[str]
) -> ParsedFont | None:
    """Return the parsed font of an installed face, or None (the reason goes to ``failures``)."""
    try:
        return fontdb.load(face)
    except ValueError as exc:
        failures.append(str(exc))
        return None

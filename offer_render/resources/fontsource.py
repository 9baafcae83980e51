"""Take a family name, a weight and the characters needed; return faces from a font source.

A font source is a Google-Fonts-compatible CSS API (the public one by default, or a
mirror): the engine asks ``{base}/css2?family=Noto+Sans+KR:wght@700``, as the CSS API
v2 documents, and reads the answer as any ``@font-face`` stylesheet. Only the rules
whose ``unicode-range`` holds a needed character are downloaded (Google splits CJK
families into a hundred subsets), and every download goes through the engine's
fetcher: the network policy, the deadline, and the memory and disk caches, so a face
is fetched once and ``--offline`` never fetches. A family the source does not have
(HTTP 400) or cannot serve now is remembered for :data:`FAILURE_TTL` seconds, so a
dead source costs one deadline, not one per render.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from urllib.parse import quote

from offer_render.config import Limits
from offer_render.errors import ResourceError
from offer_render.resources.fetch import Fetcher
from offer_render.resources.fontdb import FontDatabase
from offer_render.resources.matching import match_faces
from offer_render.resources.types import FontFace
from offer_render.resources.webfonts import FaceRequest, FontCache, rule_face

log = logging.getLogger(__name__)

FAILURE_TTL = 60.0
"""Seconds a family the source could not give is not asked again. Default: 60."""
MAX_REMEMBERED = 1024
"""Most failures remembered at once (oldest dropped). Default: 1024."""
PROVIDER = "font_source"


def css_weight(weight: int) -> int:
    """Return ``weight`` as the CSS API takes it: a multiple of 100 from 100 to 900."""
    return max(100, min(900, round(weight / 100) * 100))


class FontSource:
    """Faces of named families from a Google-Fonts-compatible CSS API at ``base_url``."""

    def __init__(
        self, base_url: str, *, fetcher: Fetcher, fontdb: FontDatabase, limits: Limits,
        cache: FontCache, failure_ttl: float = FAILURE_TTL,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.fetcher = fetcher
        self.fontdb = fontdb
        self.limits = replace(limits, max_font_bytes=limits.max_font_source_bytes)
        """The limits with the font source's size cap for fonts (``max_font_source_bytes``)."""
        self.cache = cache
        self.failure_ttl = failure_ttl
        self._failures: dict[str, float] = {}
        self._lock = threading.Lock()

    def stylesheet_url(self, family: str, weight: int) -> str:
        """Return the CSS API v2 URL of ``family`` at ``weight``."""
        name = quote(family, safe="").replace("%20", "+")
        return f"{self.base_url}/css2?family={name}:wght@{css_weight(weight)}"

    def faces(
        self, family: str, request: FaceRequest, needed: list[int], *, origin: str
    ) -> list[FontFace]:
        """Return the faces of ``family`` the source has for ``needed`` (sorted code points).

        Upright faces are asked for (fallback faces have no italics); an italic request
        is synthesized by the face, as Chromium does. Empty when the source has none.
        """
        weight, style = request.matching
        url = self.stylesheet_url(family, weight)
        if self._failed_recently(url):
            return []
        try:
            sheet = self.cache.stylesheet(url, self.fetcher, self.limits)
        except ResourceError as exc:
            self._remember_failure(url, exc.reason)
            return []
        key = family.casefold()
        rules = [r for r in sheet.rules if r.family.casefold() == key]
        faces: list[FontFace] = []
        for rule in match_faces(rules, weight, style):
            if not rule.intersects(needed):
                continue
            face, failures = rule_face(
                rule, request, fetcher=self.fetcher, fontdb=self.fontdb, limits=self.limits,
                cache=self.cache, origin=origin, provider=PROVIDER,
            )
            if face is not None:
                faces.append(face)
            elif failures:
                log.warning("font source %s: %s not loaded: %s", self.base_url, family,
                            "; ".join(failures))
        return faces

    def _failed_recently(self, url: str) -> bool:
        with self._lock:
            at = self._failures.get(url)
            return at is not None and time.monotonic() - at < self.failure_ttl

    def _remember_failure(self, url: str, reason: str) -> None:
        log.info("font source: %s not had: %s", url, reason)
        with self._lock:
            self._failures[url] = time.monotonic()
            while len(self._failures) > MAX_REMEMBERED:
                self._failures.pop(next(iter(self._failures)))

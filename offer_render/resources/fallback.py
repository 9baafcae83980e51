"""Take the clusters no face of a rectangle's families draws; return the faces fallback names.

:class:`FontProviders` finds a named face (``Noto Sans KR``, say) in, in order: the
bundled fonts and the configured font folders, the font source (a
Google-Fonts-compatible CSS API, see :mod:`~offer_render.resources.fontsource`), and the
machine's system fonts when configured. :meth:`FontProviders.fallback_faces` walks
each cluster's families (see :mod:`~offer_render.resources.scripts`) until a face
draws it, loading each family once for all the clusters that ask for it; what no
named face draws goes to the bundled last-resort faces.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from offer_render.config import GenericFamilies
from offer_render.resources.coverage import needed_codepoints, pick_face
from offer_render.resources.fontdb import FontDatabase, InstalledFace
from offer_render.resources.fontfile import make_face
from offer_render.resources.fontsource import FontSource
from offer_render.resources.scripts import EMOJI_FAMILY, cjk_family, emoji_presentation
from offer_render.resources.scripts import fallback_families as families_for
from offer_render.resources.types import FontFace
from offer_render.resources.webfonts import FaceRequest, load_installed

log = logging.getLogger(__name__)


@dataclass
class FontProviders:
    """Where named faces come from: installed folders, the font source, system fonts."""

    fontdb: FontDatabase
    """The bundled folder and the configured font folders."""
    source: FontSource | None = None
    system: FontDatabase | None = None
    generics: GenericFamilies = field(default_factory=GenericFamilies)
    fallback_by_style: bool = False
    """Choose fallback faces by the text's weight and style (the Bold face for bold
    text), as Android's ``matchFamilyStyleCharacter`` does. Default: False: by the
    character alone, regular and upright, bold and italic then synthesized, as
    Chromium on Linux does (``ui/gfx/font_fallback_linux.cc`` asks fontconfig by
    language and character only; ``FontCache::PlatformFallbackFontForCharacter``
    synthesizes the rest) and as the browser check measures."""

    def installed_face(
        self, db: FontDatabase, face: InstalledFace, request: FaceRequest, origin: str,
        failures: list[str] | None = None,
    ) -> FontFace | None:
        """Return the face an installed font draws for ``request``; None if it cannot load."""
        parsed = load_installed(db, face, failures if failures is not None else [])
        if parsed is None:
            return None
        return make_face(
            parsed, family=face.family, weight=face.weight, style=face.style,
            source=str(face.path), origin=origin, provider=db.provider_of(face),
            unicode_ranges=None, requested_weight=request.weight,
            requested_style=request.style, optical_size=request.optical_size,
        )

    def named(
        self, family: str, request: FaceRequest, needed: Sequence[int], *, origin: str
    ) -> list[FontFace]:
        """Return the faces of ``family`` from the first provider that has it ([] if none):
        the installed folders, then the font source, then the system fonts."""
        face = self._installed_named(self.fontdb, family, request, origin)
        if face is not None:
            return [face]
        if self.source is not None:
            faces = self.source.faces(family, request, sorted(needed), origin=origin)
            if faces:
                return faces
        if self.system is not None:
            face = self._installed_named(self.system, family, request, origin)
            if face is not None:
                return [face]
        return []

    def _installed_named(
        self, db: FontDatabase, family: str, request: FaceRequest, origin: str
    ) -> FontFace | None:
        found = db.match_loose(family, *request.matching)
        return self.installed_face(db, found, request, origin) if found is not None else None

    def fallback_faces(
        self, clusters: Sequence[str], earlier: Sequence[FontFace], request: FaceRequest, *,
        language: str | None, text: str,
    ) -> list[FontFace]:
        """Return the faces that draw the ``clusters`` ``earlier`` faces do not, in order.

        Han takes the CJK family of ``language`` and ``text`` (see
        :func:`~offer_render.resources.scripts.cjk_family`), whose faces come first
        among the fallback faces, so Han next to Hangul or kana still takes it.
        """
        han = cjk_family(language, text)
        if not self.fallback_by_style:
            request = replace(request, match_weight=400, match_style="normal")
        pending = [c for c in dict.fromkeys(clusters) if not _drawn(c, earlier, strict=True)]
        chosen: list[FontFace] = []
        asked: dict[str, set[int]] = {}
        while pending:
            groups: dict[str, set[int]] = {}
            for cluster in pending:
                cps = set(needed_codepoints(cluster))
                family = next((f for f in families_for(cluster, han=han)
                               if not cps <= asked.get(f, set())), None)
                if family is not None:
                    groups.setdefault(family, set()).update(cps)
            if not groups:
                break
            for family, cps in groups.items():
                asked.setdefault(family, set()).update(cps)
                new = [f for f in self.named(family, request, sorted(cps), origin="fallback")
                       if all(f.key != c.key or f.coverage != c.coverage for c in chosen)]
                chosen.extend(new)
            pending = [c for c in pending
                       if not _drawn(c, chosen, strict=EMOJI_FAMILY not in asked)]
        chosen.extend(self._last_resort(pending, earlier, chosen, request))
        return sorted(chosen, key=lambda f: f.family != han)  # stable: han's faces first

    def _last_resort(
        self, pending: Sequence[str], earlier: Sequence[FontFace], chosen: Sequence[FontFace],
        request: FaceRequest,
    ) -> list[FontFace]:
        """Return the bundled last-resort faces that draw what is still pending; the first
        one anyway when no face at all was found (a stack is never empty)."""
        out: list[FontFace] = []
        for entry in self.fontdb.last_resort_faces(*request.matching):
            if not pending and (earlier or chosen or out):
                break
            face = self.installed_face(self.fontdb, entry, request, "fallback")
            if face is None:
                continue
            if any(_drawn(c, [face], strict=False) for c in pending) or not (
                    earlier or chosen or out):
                out.append(face)
                pending = [c for c in pending if not _drawn(c, [face], strict=False)]
        if pending:
            log.debug("no face draws %r", "".join(pending)[:80])
        return out


def _drawn(cluster: str, faces: Sequence[FontFace], *, strict: bool) -> bool:
    """Return whether a face of ``faces`` draws all of ``cluster``.

    ``strict``: an emoji-presentation cluster counts as drawn only by a colour face
    when it asks for one with U+FE0F, or by any face of the ``font_family`` list; so the
    colour emoji font is tried before a text face that happens to have the character.
    """
    face = pick_face(cluster, faces)
    if face is None or not all(face.covers(cp) for cp in needed_codepoints(cluster)):
        return False
    if strict and emoji_presentation(cluster) and face.origin == "fallback":
        return face.color_glyphs
    if "\ufe0f" in cluster and not face.color_glyphs:
        return not strict
    return True

"""Compute an item's input hash: take offer, template, locale, options and a fetcher; return hex.

The hash is sha256 over the canonical JSON (sorted keys, no spaces) of:

- the engine version (``offer_render.__version__``);
- the template used (``--template``, else the offer's own ``image_template``);
- the whole offer, the locale and the render options (format, quality, scale,
  strict, context, collections, default locale, limits), a fingerprint of the
  installed font folders;
- the versions of the resources: the sha256 of the bytes of the background, of
  every ``font_url`` stylesheet, and of the whole font files those stylesheets give
  for the families the template names (per ``@font-face`` rule without a
  ``unicode-range``, the first ``url()`` source in a supported format that can be
  had, as the engine tries them). A resource that cannot be had hashes as its
  error, so the item renders again once it can be had.

A family split into ``unicode-range`` subsets (Google Fonts serves a CJK family as
about a hundred) is versioned by its stylesheet alone, which lists every subset's
URL: fetching every subset to hash it would cost megabytes per worker for the few
the text needs, and font CDNs give a new release new URLs (Google's carry the
version, ``/s/notosanskr/v36/...``), so the stylesheet's bytes change with it. A
subset replaced in place under the same URL is not noticed until the stylesheet
changes or ``--force``.

It is computed *before* rendering, from the resources alone, so a resumed run
can tell an item is up to date without drawing it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import offer_render
from offer_render.batch.memofetch import MemoFetcher
from offer_render.config import Limits
from offer_render.resources.fontfamily import parse_font_family
from offer_render.resources.stylesheet import FontFaceRule
from offer_render.resources.webfonts import DEFAULT_CACHE


def canonical_json(value: object) -> bytes:
    """Return ``value`` as canonical JSON bytes: sorted keys, no whitespace, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def font_dirs_fingerprint(dirs: tuple[Path, ...]) -> str:
    """Return a sha256 over the name, size and mtime of every file in the font folders."""
    digest = hashlib.sha256()
    for folder in dirs:
        digest.update(str(folder).encode() + b"\0")
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            st = path.stat()
            digest.update(f"{path.relative_to(folder)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class InputHasher:
    """Hash items' inputs, fetching resources through a MemoFetcher (each URL once)."""

    def __init__(self, fetcher: MemoFetcher, limits: Limits) -> None:
        self.fetcher = fetcher
        self.limits = limits

    def input_hash(
        self,
        *,
        offer: Mapping[str, Any],
        template: Mapping[str, Any] | None,
        locale: str | None,
        options: Mapping[str, Any],
    ) -> str:
        """Return the hex sha256 of everything the item's image depends on."""
        used = template if template is not None else offer.get("image_template")
        doc = {
            "engine": offer_render.__version__,
            "template": used,
            "offer": offer,
            "locale": locale,
            "options": options,
            "resources": self.resources(used),
        }
        return hashlib.sha256(canonical_json(doc)).hexdigest()

    def resources(self, template: object) -> dict[str, Any]:
        """Return the digests of the background, stylesheets and fonts ``template`` uses."""
        if not isinstance(template, Mapping):
            return {}
        out: dict[str, Any] = {}
        background = template.get("background_url")
        if isinstance(background, str) and background.strip():
            out["background"] = self.fetcher.digest(
                background, max_bytes=self.limits.max_background_bytes, what="background")
        families: dict[str, set[str]] = {}
        rects = template.get("rectangles")
        for rect in rects if isinstance(rects, list) else ():
            if not isinstance(rect, Mapping):
                continue
            url = rect.get("font_url")
            if isinstance(url, str) and url.strip():
                families.setdefault(url, set()).update(_families(rect.get("font_family")))
        out["stylesheets"] = {url: self._stylesheet(url, names) for url, names in families.items()}
        return out

    def _stylesheet(self, url: str, families: set[str]) -> dict[str, Any]:
        limits = self.limits
        digest = self.fetcher.digest(url, max_bytes=limits.max_stylesheet_bytes, what="stylesheet")
        if digest.startswith("error:"):
            return {"sheet": digest}
        # parsed once per content, in the process-wide stylesheet cache the render uses
        sheet = DEFAULT_CACHE.stylesheet(url, self.fetcher, limits)
        fonts: dict[str, str] = {}
        for rule in sheet.rules:
            if rule.family.casefold() in families and rule.unicode_ranges is None:
                fonts.update(self._rule_fonts(rule))
        return {"sheet": digest, "fonts": fonts}

    def _rule_fonts(self, rule: FontFaceRule) -> dict[str, str]:
        """Return the digest of the source the engine would load, and of those that failed."""
        tried: dict[str, str] = {}
        for source in rule.sources:
            if not source.supported:
                continue
            digest = self.fetcher.digest(source.url, max_bytes=self.limits.max_font_bytes,
                                         what="font")
            tried[source.url] = digest
            if not digest.startswith("error:"):
                break
        return tried


def _families(value: object) -> set[str]:
    if not isinstance(value, str):
        return set()
    try:
        return {f.name.casefold() for f in parse_font_family(value) if not f.generic}
    except ValueError:
        return set()

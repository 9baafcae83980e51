"""Compute an item's input hash: take offer, template, locale, options and a fetcher; return hex.

The hash is sha256 over the canonical JSON (sorted keys, no spaces) of:

- the engine version (``offer_render.__version__``);
- the template given apart from the offer (``--template``; null when the offer's own
  ``image_template`` is used, as the offer holds it already);
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
can tell an item is up to date without drawing it. A batch hashes thousands of offers
that share a few templates' resources and one set of options, so both are worked out
once: the options' JSON per options object, and the resources' digests per set of
URLs and families for as long as the fetcher has loaded nothing new (its
:attr:`~offer_render.batch.memofetch.MemoFetcher.loads` count).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import offer_render
from offer_render.batch.memofetch import MemoFetcher
from offer_render.cache import BoundedCache
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


MEMO_ENTRIES = 256
"""Sets of resources whose digests an :class:`InputHasher` keeps, the least recently used
dropped first. Default: 256 (a batch's templates; each entry is a few short strings)."""

_ENGINE_JSON = canonical_json(offer_render.__version__)


class InputHasher:
    """Hash items' inputs, fetching resources through a MemoFetcher (each URL once)."""

    def __init__(self, fetcher: MemoFetcher, limits: Limits) -> None:
        self.fetcher = fetcher
        self.limits = limits
        self._options: tuple[Mapping[str, Any], bytes] | None = None
        self._memo: BoundedCache[tuple[int, dict[str, Any]]] = BoundedCache(
            MEMO_ENTRIES, lambda _: 1)

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
        # canonical_json of {"engine", "locale", "offer", "options", "resources",
        # "template"}, written key by key (sorted), so the options' part is reused
        doc = b"".join((
            b'{"engine":', _ENGINE_JSON, b',"locale":', canonical_json(locale),
            b',"offer":', canonical_json(offer), b',"options":', self._options_json(options),
            b',"resources":', canonical_json(self.resources(used)),
            b',"template":', canonical_json(template), b"}",
        ))
        return hashlib.sha256(doc).hexdigest()

    def _options_json(self, options: Mapping[str, Any]) -> bytes:
        """Return ``canonical_json(options)``, kept for the options object last given."""
        kept = self._options
        if kept is None or kept[0] is not options:
            kept = self._options = (options, canonical_json(options))
        return kept[1]

    def resources(self, template: object) -> dict[str, Any]:
        """Return the digests of the background, stylesheets and fonts ``template`` uses."""
        if not isinstance(template, Mapping):
            return {}
        background = template.get("background_url")
        families: dict[str, set[str]] = {}
        rects = template.get("rectangles")
        for rect in rects if isinstance(rects, list) else ():
            if not isinstance(rect, Mapping):
                continue
            url = rect.get("font_url")
            if isinstance(url, str) and url.strip():
                families.setdefault(url, set()).update(_families(rect.get("font_family")))
        if not isinstance(background, str):
            background = None
        key = (background, *((url, *sorted(names)) for url, names in families.items()))
        loads = self.fetcher.loads
        found = self._memo.get(key)
        if found is not None and found[0] == loads:
            return found[1]
        out: dict[str, Any] = {}
        if background is not None and background.strip():
            out["background"] = self.fetcher.digest(
                background, max_bytes=self.limits.max_background_bytes, what="background")
        out["stylesheets"] = {url: self._stylesheet(url, names) for url, names in families.items()}
        # Kept while the fetcher loads nothing (so drops nothing: it only drops to make room
        # for a load), and without failures, which it retries after a while.
        if self.fetcher.loads == loads and not _any_failure(out):
            self._memo.put(key, (loads, out))
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


def _any_failure(value: object) -> bool:
    """Return whether a digest in ``value`` (as :meth:`InputHasher.resources` returns) is a
    failure (``error:...``)."""
    if isinstance(value, str):
        return value.startswith("error:")
    if isinstance(value, dict):
        return any(_any_failure(v) for v in value.values())
    return False


def _families(value: object) -> set[str]:
    if not isinstance(value, str):
        return set()
    try:
        return {f.name.casefold() for f in parse_font_family(value) if not f.generic}
    except ValueError:
        return set()

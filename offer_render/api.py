"""Run the whole pipeline: take a template, an offer and options; return image bytes and a report.

``Renderer`` holds configuration, the fetcher and the font database, and is
meant to be kept and shared: the offers service makes one and calls
:meth:`Renderer.render` from many threads. ``render()`` is the one-shot form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from PIL import Image

from offer_render.cache import BoundedCache
from offer_render.config import BUNDLED_FONTS_DIR, RendererConfig
from offer_render.diagnostics import Diagnostics, RenderWarning
from offer_render.encode import MIME_TYPES, encode_composition, normalize_format
from offer_render.encode.encoders import SpliceCaches
from offer_render.errors import InvalidInputError
from offer_render.layout import LayoutCache, layout_size, layout_template
from offer_render.layout.tree import LayoutTree
from offer_render.merge import merge_texts
from offer_render.raster import Composition, compose
from offer_render.raster.draw import RasterCaches, image_bytes, ink_bytes
from offer_render.report import build_report
from offer_render.resources.background import (
    BackgroundCache,
    FittedBackground,
    background_size,
    fit_background,
)
from offer_render.resources.deadline import render_deadline
from offer_render.resources.fetch import Fetcher, default_fetcher
from offer_render.resources.fontdb import FontDatabase
from offer_render.resources.fonts import resolve_font_stack
from offer_render.resources.freetype import require_raqm
from offer_render.resources.types import Resources
from offer_render.template.models import ImageTemplate, Offer
from offer_render.template.validate import check_output_size, parse_offer, parse_template

TEMPLATE_CACHE_ENTRIES = 512
"""Validated templates kept by their JSON. Default: 512 (a club has a handful)."""


@dataclass(frozen=True)
class RenderResult:
    """One rendered image: encoded bytes, pixel size, format and the render report."""

    data: bytes
    width: int
    height: int
    format: str
    report: dict[str, Any] = field(repr=False)

    @property
    def mime_type(self) -> str:
        """Return the MIME type of ``data``."""
        return MIME_TYPES[self.format]


@dataclass(frozen=True)
class Painted:
    """An image drawn but not encoded, with the tree it was drawn from and the warnings.

    ``composition`` is the canvas as background plus ink; ``image`` pastes it together
    on first use (JPEG output of an opaque canvas never needs the whole image).
    """

    composition: Composition
    tree: LayoutTree
    warnings: list[RenderWarning]
    template: ImageTemplate
    locale: str

    @cached_property
    def image(self) -> Image.Image:
        """Return the finished canvas: RGB when opaque, else RGBA."""
        return self.composition.image()


@dataclass
class _Prepared:
    """Inputs validated once for one or more renders; the background is filled on first use."""

    template: ImageTemplate
    offer: Offer | None
    warnings: tuple[RenderWarning, ...]
    scale: float
    strict: bool
    background: FittedBackground | None = None


class Renderer:
    """Render offer images with one configuration; safe to share between threads."""

    def __init__(self, config: RendererConfig | None = None, *, fetcher: Fetcher | None = None):
        require_raqm()
        self.config = config or RendererConfig()
        budgets = self.config.caches
        self.fetcher: Fetcher = fetcher if fetcher is not None else default_fetcher(self.config)
        self.fontdb = FontDatabase((BUNDLED_FONTS_DIR, *self.config.font_dirs))
        self._layouts: LayoutCache = BoundedCache(budgets.layout_bytes, layout_size)
        self._raster = RasterCaches(
            layers=BoundedCache(budgets.layer_bytes, ink_bytes),
            glyphs=BoundedCache(budgets.glyph_bytes, image_bytes),
        )
        self._templates: BoundedCache[tuple[ImageTemplate, tuple[RenderWarning, ...]]] = (
            BoundedCache(TEMPLATE_CACHE_ENTRIES, lambda _value: 1)
        )
        self._backgrounds: BackgroundCache = BoundedCache(
            budgets.background_bytes, background_size
        )
        self._splice = SpliceCaches.with_budgets(budgets.jpeg_rows_bytes, budgets.png_bands_bytes)

    def render(
        self,
        template: Mapping[str, Any] | ImageTemplate | None,
        offer: Mapping[str, Any] | Offer | None = None,
        *,
        format: str = "png",
        quality: int | None = None,
        **options: Any,
    ) -> RenderResult:
        """Render ``template`` (or the offer's own ``image_template``) with the offer's data.

        ``format`` is png, jpeg, webp or avif; ``quality`` applies to the lossy
        ones. Other options are those of :meth:`paint`. Raises
        :class:`~offer_render.errors.OfferRenderError`.
        """
        fmt = normalize_format(format)
        return self._encode(self.paint(template, offer, **options), fmt, quality)

    def render_locales(
        self,
        template: Mapping[str, Any] | ImageTemplate | None,
        offer: Mapping[str, Any] | Offer | None = None,
        *,
        locales: Sequence[str],
        format: str = "png",
        quality: int | None = None,
        **options: Any,
    ) -> dict[str, RenderResult]:
        """Render one image per locale; return the results keyed by locale, in ``locales`` order.

        The template and offer are parsed once and the background is fetched and
        fitted once; each result carries its own report (warnings about the template
        itself appear in every report). A locale named twice renders once. Other
        options are those of :meth:`paint`, except ``locale``. The first locale that
        fails raises, and nothing is returned.
        """
        if "locale" in options:
            raise InvalidInputError([("locale", "give either locale or locales, not both")])
        if isinstance(locales, str) or not locales or not all(
            isinstance(loc, str) and loc.strip() for loc in locales
        ):
            raise InvalidInputError([("locales", "must be a non-empty list of locale names")])
        fmt = normalize_format(format)
        with render_deadline(self._deadline(options.pop("deadline", None))):
            prepared = self._prepare(
                template, offer, scale=options.pop("scale", 1),
                strict=options.pop("strict", False),
            )
            results: dict[str, RenderResult] = {}
            for loc in dict.fromkeys(locales):
                painted = self._paint_prepared(prepared, locale=loc, **options)
                results[loc] = self._encode(painted, fmt, quality)
        return results

    def paint(
        self,
        template: Mapping[str, Any] | ImageTemplate | None,
        offer: Mapping[str, Any] | Offer | None = None,
        *,
        locale: str | None = None,
        scale: float = 1,
        strict: bool = False,
        context: Mapping[str, object] | None = None,
        collections: Sequence[Mapping[str, object]] | None = None,
        deadline: float | None = None,
    ) -> Painted:
        """Run every stage but encoding; return the image, the layout tree and the warnings.

        ``locale`` defaults to the configured default locale; ``scale`` 2 gives an
        @2x image; ``strict`` turns unknown keys, unknown placeholders and missing
        fonts into errors. ``deadline`` (seconds; default
        ``RendererConfig.render_deadline``) bounds the time spent fetching: a font not
        had by then falls back with a warning, a background is an error.
        """
        with render_deadline(self._deadline(deadline)):
            prepared = self._prepare(template, offer, scale=scale, strict=strict)
            return self._paint_prepared(
                prepared, locale=locale, context=context, collections=collections
            )

    def _deadline(self, deadline: float | None) -> float | None:
        """Return the fetch budget of one call: ``deadline`` or the configured default."""
        if deadline is None:
            return self.config.render_deadline
        if isinstance(deadline, bool) or not isinstance(deadline, int | float) or deadline <= 0:
            raise InvalidInputError([("deadline", "must be a number of seconds greater than 0")])
        return float(deadline)

    def _encode(self, painted: Painted, fmt: str, quality: int | None) -> RenderResult:
        data = encode_composition(
            painted.composition, fmt, quality=quality,
            png_compress_level=self.config.png_compress_level, splice=self._splice,
        )
        report = build_report(
            painted.tree, painted.warnings, fmt=fmt, locale=painted.locale,
            css_width=painted.template.width, css_height=painted.template.height,
        )
        return RenderResult(data, painted.tree.width, painted.tree.height, fmt, report)

    def _prepare(
        self,
        template: Mapping[str, Any] | ImageTemplate | None,
        offer: Mapping[str, Any] | Offer | None,
        *,
        scale: float,
        strict: bool,
    ) -> _Prepared:
        """Validate the inputs once; the warnings found go into every render made from them."""
        diag = Diagnostics(strict=strict)
        self._check_scale(scale)
        offer_model = self._offer(offer, diag)
        tmpl = self._template(template, offer_model, diag)
        return _Prepared(tmpl, offer_model, tuple(diag.warnings), scale, strict)

    def _paint_prepared(
        self,
        prepared: _Prepared,
        *,
        locale: str | None = None,
        context: Mapping[str, object] | None = None,
        collections: Sequence[Mapping[str, object]] | None = None,
    ) -> Painted:
        limits = self.config.limits
        diag = Diagnostics(strict=prepared.strict, warnings=list(prepared.warnings))
        locale = locale or self.config.default_locale
        tmpl, scale = prepared.template, prepared.scale
        texts = merge_texts(
            tmpl, prepared.offer, locale=locale, default_locale=self.config.default_locale,
            context=context, collections=collections, limits=limits, diag=diag,
        )
        stacks = tuple(
            resolve_font_stack(
                rect, texts[i], fetcher=self.fetcher, fontdb=self.fontdb, limits=limits,
                diag=diag, rect_index=i,
            )
            for i, rect in enumerate(tmpl.rectangles)
        )
        width, height = check_output_size(tmpl, scale, limits=limits)
        if tmpl.background_url and prepared.background is None:
            # Fetched after the text stages (their errors come first) and kept for the
            # next locale of the same prepared input: the rasterizer only copies it.
            prepared.background = fit_background(
                tmpl.background_url, fetcher=self.fetcher, width=width, height=height,
                limits=limits, cache=self._backgrounds,
            )
        bg = prepared.background
        resources = Resources(bg.image if bg else None, stacks, bg.opaque if bg else False)
        tree = layout_template(
            tmpl, texts, resources, scale=scale,
            language=locale.replace("_", "-"), diag=diag, cache=self._layouts,
        )
        composition = compose(tree, self._raster, background_key=bg.key if bg else None)
        return Painted(composition, tree, diag.warnings, tmpl, locale)

    def _check_scale(self, scale: float) -> None:
        limit = self.config.limits.max_scale
        if not isinstance(scale, int | float) or not (0 < scale <= limit):
            raise InvalidInputError([("scale", f"must be greater than 0 and at most {limit:g}")])

    def _offer(self, offer: Mapping[str, Any] | Offer | None, diag: Diagnostics) -> Offer | None:
        if offer is None or isinstance(offer, Offer):
            return offer
        return parse_offer(offer, limits=self.config.limits, diag=diag)

    def _template(
        self,
        template: Mapping[str, Any] | ImageTemplate | None,
        offer: Offer | None,
        diag: Diagnostics,
    ) -> ImageTemplate:
        if isinstance(template, ImageTemplate):
            return template
        if template is None:
            if offer is None or offer.image_template is None:
                raise InvalidInputError(
                    [("image_template", "no template given and the offer has none")]
                )
            return offer.image_template
        return self._parse_template(template, diag)

    def _parse_template(self, template: Mapping[str, Any], diag: Diagnostics) -> ImageTemplate:
        """Validate ``template``, reusing the result for the same JSON seen before.

        Offers of one club carry copies of the same template, so the service meets the
        same one again and again; its warnings are replayed into ``diag``. In strict
        mode, and for input that is not plain JSON data, it is validated every time.
        """
        if diag.strict:
            return parse_template(template, limits=self.config.limits, diag=diag)
        try:
            key = json.dumps(template, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError):
            return parse_template(template, limits=self.config.limits, diag=diag)
        hit = self._templates.get(key)
        if hit is None:
            seen = Diagnostics()
            hit = self._templates.put(
                key, (parse_template(template, limits=self.config.limits, diag=seen),
                      tuple(seen.warnings))
            )
        diag.warnings.extend(hit[1])
        return hit[0]


def clear_process_caches() -> None:
    """Forget what every Renderer of this process shares: parsed fonts and stylesheets,
    sanitized fonts, HarfBuzz and FreeType faces. For benchmarks of cold renders and
    for tests; a Renderer's own caches go with the Renderer."""
    from offer_render.layout import shaping
    from offer_render.resources import fontfile, fonts, freetype, sanitize

    fonts.DEFAULT_CACHE.clear()
    fontfile.clear_memo()
    sanitize.clear_memo()
    shaping.clear_fonts()
    freetype.clear_fonts()


_default: Renderer | None = None


def render(
    template: Mapping[str, Any] | ImageTemplate | None,
    offer: Mapping[str, Any] | Offer | None = None,
    **options: Any,
) -> RenderResult:
    """Render with a process-wide default :class:`Renderer` (see :meth:`Renderer.render`)."""
    global _default
    if _default is None:
        _default = Renderer()
    return _default.render(template, offer, **options)

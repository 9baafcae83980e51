"""Run the whole pipeline: take a template, an offer and options; return image bytes and a report.

The stages, each a package with one front door:

    template (read_inputs) -> merge (merge_texts) -> resources (gather)
    -> layout (layout_template) -> raster (compose) -> encode (encode_composition)

``Renderer`` holds configuration, the fetcher, the font database and its caches, and
is meant to be kept and shared: the offers service makes one and calls
:meth:`Renderer.render` from many threads. ``render()`` is the one-shot form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from offer_render.config import RendererConfig
from offer_render.diagnostics import Diagnostics, RenderWarning
from offer_render.encode import encode_composition, normalize_format
from offer_render.errors import InvalidInputError
from offer_render.gil import TurnFreeFetcher, render_turn
from offer_render.layout import layout_template
from offer_render.locales import check_locale, parse_locale_list
from offer_render.merge import merge_texts
from offer_render.raster import compose
from offer_render.raster.freetype import require_raqm
from offer_render.renderer_caches import RendererCaches
from offer_render.report import build_report
from offer_render.resources import FittedBackground, font_providers, gather
from offer_render.resources.deadline import check_deadline, render_deadline
from offer_render.resources.fetch import Fetcher, default_fetcher
from offer_render.result import Painted, RenderResult
from offer_render.template import (
    ImageTemplate,
    Offer,
    check_output_size,
    check_scale,
    read_inputs,
)

TemplateInput = Mapping[str, Any] | ImageTemplate | None
"""A template as JSON data or a validated model; None takes the offer's own."""
OfferInput = Mapping[str, Any] | Offer | None
"""An offer as JSON data (the platform's Offer model) or a validated model."""


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
        """Make a renderer; ``fetcher`` replaces :func:`default_fetcher` of ``config``."""
        require_raqm()
        self.config = config or RendererConfig()
        self.fetcher: Fetcher = fetcher if fetcher is not None else default_fetcher(self.config)
        # Fetches wait outside the render turn (offer_render.gil): the standard fetcher
        # gives it up where it reads the network or the disk, another one for its whole call.
        self._waiting_fetcher = self.fetcher if fetcher is None else TurnFreeFetcher(fetcher)
        self.fonts = font_providers(self.config, self._waiting_fetcher)
        self.fontdb = self.fonts.fontdb
        self.caches = RendererCaches.from_limits(self.config.caches)

    def render(
        self,
        template: TemplateInput,
        offer: OfferInput = None,
        *,
        locale: str | None = None,
        format: str = "png",
        quality: int | None = None,
        scale: float = 1,
        strict: bool = False,
        context: Mapping[str, object] | None = None,
        collections: Sequence[Mapping[str, object]] | None = None,
        deadline: float | None = None,
    ) -> RenderResult:
        """Render ``template`` (or the offer's own ``image_template``) with the offer's data.

        ``format`` is png, jpeg, webp or avif; ``quality`` applies to the lossy ones.
        The other options are those of :meth:`paint`. Raises
        :class:`~offer_render.errors.OfferRenderError`.
        """
        fmt = normalize_format(format)
        with render_turn():  # one thread computes at a time: see offer_render.gil
            painted = self.paint(
                template, offer, locale=locale, scale=scale, strict=strict, context=context,
                collections=collections, deadline=deadline,
            )
            return self._encode(painted, fmt, quality)

    def render_locales(
        self,
        template: TemplateInput,
        offer: OfferInput = None,
        *,
        locales: Sequence[str],
        format: str = "png",
        quality: int | None = None,
        scale: float = 1,
        strict: bool = False,
        context: Mapping[str, object] | None = None,
        collections: Sequence[Mapping[str, object]] | None = None,
        deadline: float | None = None,
    ) -> dict[str, RenderResult]:
        """Render one image per locale; return the results keyed by locale, in ``locales`` order.

        The template and offer are parsed once and the background is fetched and
        fitted once; each result carries its own report (warnings about the template
        itself appear in every report). A locale named twice renders once. The other
        options are those of :meth:`render`; ``deadline`` covers all the locales. The
        first locale that fails raises, and nothing is returned.
        """
        if isinstance(locales, str):
            raise InvalidInputError([("locales", "must be a list of locale names, not text")])
        checked = parse_locale_list(list(locales), "locales")
        fmt = normalize_format(format)
        with render_turn(), render_deadline(check_deadline(deadline,
                                                           self.config.render_deadline)):
            prepared = self._prepare(template, offer, scale=scale, strict=strict)
            return {
                loc: self._encode(
                    self._paint(prepared, locale=loc, context=context, collections=collections),
                    fmt, quality,
                )
                for loc in checked
            }

    def paint(
        self,
        template: TemplateInput,
        offer: OfferInput = None,
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
        fonts into errors; ``context`` adds merge fields and ``collections`` gives
        the titles ``{{collection}}`` reads. ``deadline`` (seconds; default
        ``RendererConfig.render_deadline``) bounds the time spent fetching: a font not
        had by then falls back with a warning, a background is an error.
        """
        with render_turn(), render_deadline(check_deadline(deadline,
                                                           self.config.render_deadline)):
            prepared = self._prepare(template, offer, scale=scale, strict=strict)
            return self._paint(prepared, locale=locale, context=context, collections=collections)

    def _prepare(
        self, template: TemplateInput, offer: OfferInput, *, scale: float, strict: bool
    ) -> _Prepared:
        """Validate the inputs once; the warnings found go into every render made from them."""
        diag = Diagnostics(strict=strict)
        scale = check_scale(scale, limits=self.config.limits)
        tmpl, offer_model = read_inputs(
            template, offer, limits=self.config.limits, diag=diag, cache=self.caches.templates
        )
        return _Prepared(tmpl, offer_model, tuple(diag.warnings), scale, strict)

    def _paint(
        self,
        prepared: _Prepared,
        *,
        locale: str | None,
        context: Mapping[str, object] | None,
        collections: Sequence[Mapping[str, object]] | None,
    ) -> Painted:
        """Merge, gather resources, lay out and draw one locale of ``prepared``."""
        limits = self.config.limits
        diag = Diagnostics(strict=prepared.strict, warnings=list(prepared.warnings))
        locale = check_locale(locale, "locale") if locale is not None else (
            self.config.default_locale)
        tmpl = prepared.template
        texts = merge_texts(
            tmpl, prepared.offer, locale=locale, default_locale=self.config.default_locale,
            context=context, collections=collections, limits=limits, diag=diag,
        )
        resources = gather(
            tmpl, texts, size=check_output_size(tmpl, prepared.scale, limits=limits),
            fetcher=self._waiting_fetcher, fonts=self.fonts, limits=limits, diag=diag,
            language=locale.replace("_", "-"), backgrounds=self.caches.backgrounds,
            background=prepared.background,
        )
        prepared.background = resources.background  # the next locale only copies it
        tree = layout_template(
            tmpl, texts, resources, scale=prepared.scale, language=locale.replace("_", "-"),
            diag=diag, cache=self.caches.layouts,
        )
        return Painted(compose(tree, self.caches.raster), tree, diag.warnings, tmpl, locale)

    def _encode(self, painted: Painted, fmt: str, quality: int | None) -> RenderResult:
        """Encode ``painted`` as ``fmt`` and build its report."""
        data = encode_composition(
            painted.composition, fmt, quality=quality,
            png_compress_level=self.config.png_compress_level, splice=self.caches.splice,
        )
        report = build_report(
            painted.tree, painted.warnings, fmt=fmt, locale=painted.locale,
            css_width=painted.template.width, css_height=painted.template.height,
        )
        return RenderResult(
            data, painted.tree.width, painted.tree.height, fmt, report, tuple(painted.warnings)
        )


_default: Renderer | None = None


def render(
    template: TemplateInput,
    offer: OfferInput = None,
    *,
    locale: str | None = None,
    format: str = "png",
    quality: int | None = None,
    scale: float = 1,
    strict: bool = False,
    context: Mapping[str, object] | None = None,
    collections: Sequence[Mapping[str, object]] | None = None,
    deadline: float | None = None,
) -> RenderResult:
    """Render with a process-wide default :class:`Renderer` (see :meth:`Renderer.render`)."""
    global _default
    if _default is None:
        _default = Renderer()
    return _default.render(
        template, offer, locale=locale, format=format, quality=quality, scale=scale,
        strict=strict, context=context, collections=collections, deadline=deadline,
    )

"""Take a request body's bytes in a render worker; return the answer: image, sheet or findings.

These are the task functions the service sends to its
:class:`~offer_render.pool.RenderPool`: each parses its body
(:mod:`~offer_render.service.bodies`), calls the engine exactly as the command line
would (``Renderer.render``; ``Renderer.paint`` and preview's ``draw_overlay`` for a
debug render; ``preview.build_sheet``, ``lint.lint_template``) and
returns plain data for the event loop to write. Nothing here draws or decides.

**ETag.** A render's ETag is its input hash, computed before rendering, the way batch
computes it (:mod:`offer_render.batch.inputhash`): sha256 over the engine version,
the template used (given, else the offer's own), the whole offer, the locale, the
options (format, quality, scale, strict, context, collections, default locale,
limits, a fingerprint of the font folders; ``debug`` when ``?debug=1`` asks for the
overlay) and the sha256 of every resource the template uses (background, stylesheets,
the font files they give for its families). Resources are fetched through the task's
snapshot, so the hash and the image see the same bytes. A request whose
``If-None-Match`` holds it gets 304 without a render.
"""

from __future__ import annotations

import functools
import io
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from offer_render.config import BUNDLED_FONTS_DIR, RendererConfig
from offer_render.errors import InvalidInputError
from offer_render.pool.worker import TaskContext
from offer_render.result import RenderResult
from offer_render.service.bodies import MAX_PREVIEW_CELLS, LintBody, PreviewBody, RenderBody


@dataclass(frozen=True)
class RenderAnswer:
    """What ``POST /v1/render`` answers: the image (or only the ETag for a 304), the
    warnings count, the report when asked, and the seconds the render took."""

    etag: str
    format: str
    not_modified: bool = False
    data: bytes = b""
    mime_type: str = ""
    warnings: int = 0
    report: dict[str, Any] | None = field(default=None, repr=False)
    seconds: float = 0.0


@dataclass(frozen=True)
class SheetAnswer:
    """What ``POST /v1/preview`` answers: the contact sheet as PNG and its warnings count."""

    png: bytes
    cells: int
    warnings: int


def render_request(
    ctx: TaskContext, raw: bytes, *, want_report: bool, debug: bool = False,
    if_none_match: tuple[str, ...] = (),
) -> RenderAnswer:
    """Parse a render body, hash its inputs, and render unless the client has this ETag;
    ``debug`` draws the layout overlay on the image (default: no, the offer's image)."""
    from offer_render.encode import normalize_format

    body = RenderBody.parse(raw)
    fmt = normalize_format(body.format)
    etag = f'"{input_hash(ctx, body, fmt, debug=debug)}"'
    if etag in if_none_match or "*" in if_none_match:
        return RenderAnswer(etag, fmt, not_modified=True)
    start = time.perf_counter()
    result = (_render_debug if debug else _render)(ctx, body, fmt)
    return RenderAnswer(
        etag, fmt, data=result.data, mime_type=result.mime_type, warnings=len(result.warnings),
        report=result.report if want_report else None, seconds=time.perf_counter() - start,
    )


def _render(ctx: TaskContext, body: RenderBody, fmt: str) -> RenderResult:
    """Return the render ``body`` asks for."""
    result: RenderResult = ctx.renderer.render(
        body.template, body.offer, locale=body.locale, format=fmt, quality=body.quality,
        scale=body.scale, strict=body.strict, context=body.context,
        collections=body.collections, deadline=ctx.fetch_budget(),
    )
    return result


def _render_debug(ctx: TaskContext, body: RenderBody, fmt: str) -> RenderResult:
    """Return the render ``body`` asks for with the debug overlay drawn on it (``?debug=1``):
    painted, overlaid as ``offer-render preview --debug`` does, then encoded; the report is
    the plain render's."""
    from offer_render.encode import encode
    from offer_render.preview.overlay import draw_overlay
    from offer_render.report import build_report

    painted = ctx.renderer.paint(
        body.template, body.offer, locale=body.locale, scale=body.scale, strict=body.strict,
        context=body.context, collections=body.collections, deadline=ctx.fetch_budget(),
    )
    image = draw_overlay(painted)  # RGBA, composited onto the canvas: an opaque canvas
    if painted.image.mode == "RGB":  # stays opaque, encoded as RGB as the plain render is
        image = image.convert("RGB")
    data = encode(image, fmt, quality=body.quality,
                  png_compress_level=ctx.config.png_compress_level)
    report = build_report(
        painted.tree, painted.warnings, fmt=fmt, locale=painted.locale,
        css_width=painted.template.width, css_height=painted.template.height,
    )
    return RenderResult(data, image.width, image.height, fmt, report, tuple(painted.warnings))


def input_hash(ctx: TaskContext, body: RenderBody, fmt: str, *, debug: bool = False) -> str:
    """Return the hex input hash of a render body (see the module docstring)."""
    from offer_render.batch.inputhash import InputHasher
    from offer_render.batch.memofetch import MemoFetcher

    config = ctx.config
    options = {
        "format": fmt, "quality": body.quality, "scale": body.scale, "strict": body.strict,
        "context": body.context, "collections": body.collections, **_fixed_options(config),
    }
    if debug:  # only when asked, so a plain render's hash stays batch's
        options["debug"] = True
    hasher = InputHasher(MemoFetcher(ctx.fetcher), config.limits)
    return hasher.input_hash(offer=body.offer or {}, template=body.template,
                             locale=body.locale, options=options)


@functools.cache
def _fixed_options(config: RendererConfig) -> dict[str, Any]:
    """Return the hashed options that come from the configuration: the default locale, the
    limits and the font folders' fingerprint, worked out once per worker (the folders are
    the operator's and change only with a restart)."""
    from offer_render.batch.inputhash import font_dirs_fingerprint

    dirs: tuple[Path, ...] = (BUNDLED_FONTS_DIR, *config.font_dirs)
    return {"default_locale": config.default_locale, "limits": asdict(config.limits),
            "fonts": font_dirs_fingerprint(dirs)}


def preview_request(ctx: TaskContext, raw: bytes) -> SheetAnswer:
    """Parse a preview body; return the contact sheet as ``offer-render preview`` draws it."""
    from offer_render.locales import parse_locale_list
    from offer_render.preview.samples import choose_locales
    from offer_render.preview.sheet import build_sheet
    from offer_render.resources.deadline import render_deadline

    body = PreviewBody.parse(raw)
    samples = _samples(body.template, body.offers)
    given = parse_locale_list(body.locales, "locales") if body.locales is not None else None
    locales = choose_locales(given, samples, ctx.config.default_locale)
    cells = len(samples) * len(locales)
    if cells > MAX_PREVIEW_CELLS:
        raise InvalidInputError([("offers", f"{len(samples)} offers x {len(locales)} locales "
                                  f"make {cells} cells; one preview draws at most "
                                  f"{MAX_PREVIEW_CELLS}")])
    with render_deadline(ctx.fetch_budget()):
        sheet = build_sheet(ctx.renderer, body.template, samples, locales, debug=body.debug)
    out = io.BytesIO()
    sheet.image.save(out, format="PNG")
    warnings = sum(len(cell.warnings) for cell in sheet.cells)
    return SheetAnswer(out.getvalue(), len(sheet.cells), warnings)


def lint_request(ctx: TaskContext, raw: bytes) -> dict[str, Any]:
    """Parse a lint body; return ``{"findings": [...], "errors": n, "warnings": n}``."""
    from offer_render.lint import lint_template
    from offer_render.locales import parse_locale_list
    from offer_render.resources.deadline import render_deadline

    body = LintBody.parse(raw)
    given = parse_locale_list(body.locales, "locales") if body.locales is not None else None
    with render_deadline(ctx.fetch_budget()):
        findings = lint_template(ctx.renderer, body.template, _samples(body.template,
                                 body.offers), locales=given)
    errors = sum(f.severity == "error" for f in findings)
    return {"findings": [f.to_json() for f in findings], "errors": errors,
            "warnings": len(findings) - errors}


def _samples(template: dict[str, Any], offers: list[dict[str, Any]]) -> list[Any]:
    """Return the samples as the command line makes them from ``--offer`` files: each
    offer labelled with its id (else ``offer N``), else the template's own data."""
    from offer_render.preview.samples import NO_OFFER, Sample, offer_label

    if offers:
        return [Sample(offer_label(o, f"offer {n}"), o) for n, o in enumerate(offers, 1)]
    if "image_template" in template:
        return [Sample(offer_label(template, "offer"), template)]
    return [Sample(NO_OFFER, None)]

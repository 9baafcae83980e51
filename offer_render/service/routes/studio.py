"""``GET /studio`` and its files, ``POST /studio/page``: take a browser; answer the designer page.

- ``GET /studio``: the page (``offer_render/service/studio/static/index.html``), with a
  Content-Security-Policy that lets it run only its own scripts and call only this
  service (its frame may load the template's stylesheets, fonts and background from
  anywhere, as a browser drawing the template would).
- ``GET /studio/static/...``: its CSS and JavaScript modules, from the package (no CDN).
- ``GET /studio/fonts/...``: the bundled fonts, for the Browser view's ``@font-face`` rules.
- ``GET /studio/samples.json`` and ``/studio/samples/...``: the sample offers and the
  fonts and backgrounds they use (:mod:`offer_render.service.studio.samples`).
- ``POST /studio/page``: the Browser view of a template, as JSON ``{"html", "width",
  "height"}`` (:mod:`offer_render.service.studio.browserview`, run in a render worker);
  with ``--token-file`` it needs the bearer token, as ``/v1`` calls do.

The page and its files need no token (like ``/docs``): they hold nothing but code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.params import Depends
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from offer_render.config import BUNDLED_FONTS_DIR
from offer_render.service.calls import in_pool, read_body
from offer_render.service.routes.docs import ERRORS, json_body
from offer_render.service.studio.browserview import PageBody, browser_view_request
from offer_render.service.studio.samples import SAMPLES_DIR, sample_offers

STATIC_DIR = Path(__file__).resolve().parents[1] / "studio" / "static"
"""The page's HTML, CSS and JavaScript."""

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "connect-src 'self'",
    # The Browser view's frame (srcdoc, so it shares this policy) draws the template
    # with its own stylesheets, fonts and background, wherever they are served.
    "style-src 'self' 'unsafe-inline' http: https:",
    "font-src 'self' http: https: data:",
    "img-src 'self' blob: data: http: https:",
    "frame-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
])
"""The page's Content-Security-Policy (CSP Level 3): scripts only from the package."""

pages = APIRouter(tags=["studio"])
calls = APIRouter(tags=["studio"])


@pages.get("/studio", summary="The studio: edit a template with live renders",
           response_class=FileResponse,
           responses={200: {"content": {"text/html": {}}, "description": "The page."}})
async def studio() -> FileResponse:
    """Answer the designer page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html",
                        headers={"Content-Security-Policy": CSP,
                                 "X-Content-Type-Options": "nosniff",
                                 "Cache-Control": "no-cache"})


@pages.get("/studio/samples.json", summary="The studio's sample offers")
async def samples() -> JSONResponse:
    """Answer ``[{"name", "title", "url", "offer"}]``, one per sample offer."""
    return JSONResponse(sample_offers(), headers={"Cache-Control": "no-cache"})


@calls.post(
    "/studio/page", summary="The Browser view of a template",
    openapi_extra=json_body(PageBody), responses={**ERRORS},
)
async def page(request: Request) -> Any:
    """Answer the HTML page the browser draws the template as, with the merged texts."""
    raw = await read_body(request)
    return await in_pool(request, browser_view_request, raw)


def install(app: FastAPI, dependencies: Sequence[Depends]) -> None:
    """Add the studio to ``app``: the page, its files, and ``POST /studio/page`` behind
    ``dependencies`` (the bearer check, when the service has tokens)."""
    app.include_router(pages)
    app.include_router(calls, dependencies=list(dependencies))
    for path, folder in (("/studio/static", STATIC_DIR), ("/studio/fonts", BUNDLED_FONTS_DIR),
                         ("/studio/samples", SAMPLES_DIR)):
        app.mount(path, StaticFiles(directory=folder), name=path.strip("/").replace("/", "-"))

"""``POST /v1/render``: take a render body; answer the image, or its report with the image.

The answer is the image bytes with their content type, ``ETag`` (the input hash, see
:mod:`offer_render.service.work`) and ``X-Offer-Render-Warnings`` (how many warnings
the render report has). ``?report=1`` answers ``{"report": {...}, "image":
"<base64>"}`` instead. A request whose ``If-None-Match`` names the ETag (RFC 9110
section 13.1.2, weak comparison) is answered 304 without a render. ``?debug=1`` draws
the layout overlay of ``offer-render preview --debug`` on the image (the studio's "Debug
overlay"); its ETag differs from the plain render's. Both are query parameters, not body
keys: they say how to answer, the body says what to render.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from offer_render.service.answers import error_answer
from offer_render.service.bodies import RenderBody
from offer_render.service.calls import flag, in_pool, read_body
from offer_render.service.routes.docs import ERRORS, json_body
from offer_render.service.work import RenderAnswer, render_request

router = APIRouter(tags=["render"])

_IMAGES: dict[str, Any] = {"image/png": {}, "image/jpeg": {}, "image/webp": {}, "image/avif": {}}


_REPORT = {"name": "report", "in": "query", "required": False, "schema": {"type": "string"},
           "description": "1: answer the render report and the image (base64) as JSON."}
_DEBUG = {"name": "debug", "in": "query", "required": False, "schema": {"type": "string"},
          "description": "1: draw the layout overlay (boxes, padding, lines, clipping, "
                         "fallbacks) on the image, as offer-render preview --debug does."}


@router.post(
    "/v1/render", summary="Render an offer image", response_class=Response,
    openapi_extra={**json_body(RenderBody), "parameters": [_REPORT, _DEBUG]},
    responses={200: {"content": _IMAGES, "description": "The image (or, with ?report=1, "
                                                        "JSON: report and base64 image)."},
               304: {"description": "If-None-Match names the ETag: nothing changed."},
               **ERRORS},
)
async def render(request: Request) -> Response:
    """Render the template (or the offer's own) with the offer's data."""
    metrics = request.app.state.metrics
    try:  # ?report and ?debug are read here, not declared: FastAPI's parameter parsing
        # costs per request
        want_report = flag(request.query_params.get("report"), "report")
        debug = flag(request.query_params.get("debug"), "debug")
        raw = await read_body(request)
        answer: RenderAnswer = await in_pool(
            request, render_request, raw, want_report=want_report, debug=debug,
            if_none_match=_etags(request.headers.get("if-none-match")))
    except Exception as exc:
        status, _, _ = error_answer(exc, "")
        metrics.renders.labels(str(status), "unknown").inc()
        raise
    headers = {"ETag": answer.etag}
    if answer.not_modified:
        metrics.renders.labels("304", answer.format).inc()
        return Response(status_code=304, headers=headers)
    metrics.renders.labels("200", answer.format).inc()
    metrics.render_seconds.labels(answer.format).observe(answer.seconds)
    headers["X-Offer-Render-Warnings"] = str(answer.warnings)
    if want_report:
        image = base64.b64encode(answer.data).decode("ascii")
        return JSONResponse({"report": answer.report, "image": image}, headers=headers)
    return Response(answer.data, media_type=answer.mime_type, headers=headers)


def _etags(header: str | None) -> tuple[str, ...]:
    """Return the entity tags of an ``If-None-Match`` header, weak ones as strong."""
    if not header:
        return ()
    return tuple(tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip())

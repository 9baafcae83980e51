"""``POST /v1/preview``: take a template, sample offers and locales; answer the contact sheet PNG.

The sheet is ``offer-render preview``'s: one row per offer, one column per locale,
each cell labelled ``offer id · locale``; ``debug`` draws the layout overlay.
``X-Offer-Render-Warnings`` counts the warnings of every cell.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from offer_render.service.bodies import PreviewBody
from offer_render.service.calls import in_pool, read_body
from offer_render.service.routes.docs import ERRORS, json_body
from offer_render.service.work import SheetAnswer, preview_request

router = APIRouter(tags=["designers"])


@router.post(
    "/v1/preview", summary="Draw a contact sheet", response_class=Response,
    openapi_extra=json_body(PreviewBody),
    responses={200: {"content": {"image/png": {}}, "description": "The contact sheet."},
               **ERRORS},
)
async def preview(request: Request) -> Response:
    """Render the template for every sample offer and locale, on one labelled sheet."""
    raw = await read_body(request)
    answer: SheetAnswer = await in_pool(request, preview_request, raw)
    return Response(answer.png, media_type="image/png",
                    headers={"X-Offer-Render-Warnings": str(answer.warnings)})

"""``POST /v1/lint``: take a template and sample offers; answer lint's findings as JSON.

``{"findings": [{"severity", "rectangle", "code", "message", "index", "cases"}],
"errors": n, "warnings": n}``: ``offer-render lint --json``'s findings, with the
counts. Findings are an answer, not an error: the status is 200 either way.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from offer_render.service.bodies import LintBody
from offer_render.service.calls import in_pool, read_body
from offer_render.service.routes.docs import ERRORS, json_body
from offer_render.service.work import lint_request

router = APIRouter(tags=["designers"])


class FindingAnswer(BaseModel):
    """One finding."""

    severity: str = Field(description="error or warning.")
    rectangle: str | None = Field(description="The rectangle's name; null: the template.")
    code: str = Field(description="Stable code, e.g. text_clipped, low_contrast.")
    message: str
    index: int | None = Field(description="The rectangle's place in the list.")
    cases: list[str] = Field(description="The renders (offer · locale) that showed it.")


class LintAnswer(BaseModel):
    """The findings and their counts."""

    findings: list[FindingAnswer]
    errors: int
    warnings: int


@router.post(
    "/v1/lint", summary="Lint a template", response_model=LintAnswer,
    openapi_extra=json_body(LintBody), responses={**ERRORS},
)
async def lint(request: Request) -> Any:
    """Check the template with the sample offers and worst-case data."""
    raw = await read_body(request)
    return await in_pool(request, lint_request, raw)

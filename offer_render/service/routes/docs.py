"""Take a body model and answer types; return what ``/openapi.json`` says about a route.

The routes read their bodies themselves (so the size limit holds before anything is
parsed, and parsing happens in a render worker), so FastAPI cannot see the body
models; :func:`json_body` tells the OpenAPI document about them, and
:data:`ERRORS` describes the error answers every ``/v1`` route shares.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from offer_render.service.bodies import Body


class Problem(BaseModel):
    """One field that breaks a rule."""

    path: str = Field(description="The field, e.g. rectangles[0].font_size.")
    message: str = Field(description="The rule it breaks, e.g. must be greater than 0.")


class ErrorAnswer(BaseModel):
    """Every error answer."""

    error: str = Field(description="One line, in the command line's words.")
    problems: list[Problem] = Field(description="Each field at fault (may be empty).")
    request_id: str = Field(description="Also in the X-Request-Id header and the log line.")
    url: str | None = Field(None, description="502: the resource that could not be had.")
    reason: str | None = Field(None, description="502: why.")


def json_body(model: type[Body]) -> dict[str, Any]:
    """Return the ``openapi_extra`` declaring ``model`` as the route's JSON body."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model.model_json_schema()}}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorAnswer, "description": "The body is not JSON."},
    401: {"model": ErrorAnswer, "description": "No valid bearer token (with --token-file)."},
    413: {"model": ErrorAnswer, "description": "The body is larger than --max-body."},
    422: {"model": ErrorAnswer, "description": "Invalid input (problems per field), or a URL "
                                               "the network policy refuses."},
    500: {"model": ErrorAnswer, "description": "A render worker died (it is replaced)."},
    502: {"model": ErrorAnswer, "description": "A font or background could not be fetched."},
    503: {"model": ErrorAnswer, "description": "Every worker busy and the queue full; see "
                                               "Retry-After."},
    504: {"model": ErrorAnswer, "description": "Past the render deadline (--render-timeout)."},
}

"""Take an error raised while serving a request; return its HTTP status, JSON body and headers.

Every error answer is ``{"error": "...", "problems": [{"path", "message"}],
"request_id": "..."}``, with the command line's wording (``error`` is the line the
CLI prints after ``offer-render: error:``):

| status | when |
|---|---|
| 400 | the body is not JSON |
| 401 | a ``/v1`` call without a valid bearer token (with ``WWW-Authenticate: Bearer``) |
| 413 | the body is larger than ``--max-body`` |
| 422 | invalid input (a problem per field), or a URL the network policy refuses (SSRF) |
| 502 | a font or background that could not be fetched (``url`` and ``reason`` added) |
| 503 | every worker busy and the wait queue full, or shutting down (with ``Retry-After``) |
| 504 | the request's deadline passed |
| 500 | a render worker died (it is replaced), or a bug; the request id finds its log line |
"""

from __future__ import annotations

from typing import Any

from offer_render.errors import InvalidInputError, OfferRenderError, ResourceError
from offer_render.pool.errors import PoolBusy, PoolClosed, PoolTimeout, WorkerDied
from offer_render.service.bodies import BodyNotJson


class HttpError(Exception):
    """An answer the service gives on its own (401, 413, ...): a status, a message, headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None,
                 reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.reason = reason
        """What the rejection counts as in ``offer_render_requests_rejected_total``, if it
        is one (``unauthorized``, ``body_too_large``); empty otherwise."""


def error_answer(exc: BaseException, request_id: str) -> tuple[int, dict[str, Any],
                                                                dict[str, str]]:
    """Return the status, JSON body and headers that answer ``exc``."""
    status, message, headers = _status(exc)
    problems: list[dict[str, str]] = []
    body: dict[str, Any] = {"error": message, "problems": problems, "request_id": request_id}
    if isinstance(exc, InvalidInputError):
        problems.extend({"path": path, "message": msg} for path, msg in exc.problems)
    elif isinstance(exc, ResourceError):
        problems.append({"path": exc.field or exc.url, "message": f"{exc.url}: {exc.reason}"})
        body.update(url=exc.url, reason=exc.reason)
    return status, body, headers


def _status(exc: BaseException) -> tuple[int, str, dict[str, str]]:
    if isinstance(exc, HttpError):
        return exc.status, exc.message, exc.headers
    if isinstance(exc, BodyNotJson):
        return 400, str(exc), {}
    if isinstance(exc, InvalidInputError):
        return 422, str(exc), {}
    if isinstance(exc, ResourceError):
        return (422 if exc.refused else 502), str(exc), {}
    if isinstance(exc, PoolBusy):
        return 503, f"{exc}; try again in {exc.retry_after} s", {
            "Retry-After": str(exc.retry_after)}
    if isinstance(exc, PoolClosed):
        return 503, "the service is shutting down; try again", {"Retry-After": "1"}
    if isinstance(exc, PoolTimeout):
        return 504, str(exc), {}
    if isinstance(exc, WorkerDied):
        return 500, f"internal error: {exc}", {}
    if isinstance(exc, OfferRenderError):
        return 500, str(exc), {}
    return 500, f"internal error: {type(exc).__name__}", {}

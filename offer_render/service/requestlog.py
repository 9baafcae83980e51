"""Wrap the app (ASGI): take each request; give it an id, time it, count it, log one JSON line.

The request id is the client's ``X-Request-Id`` when it is a short token of letters,
digits and ``-_.:`` (so a caller's id follows the request through), else a new
random one; every answer carries it back in ``X-Request-Id`` and error bodies name
it. One line per request goes to the ``offer_render.service.requests`` logger (stdlib
logging, INFO): ``{"request_id", "method", "path", "status", "ms", "warnings"}``,
``warnings`` being the render's ``X-Offer-Render-Warnings`` when it has one. The line
holds no header, no query string and no body, so no token or other secret reaches
the log. An exception no handler turned into an answer is logged (with its
traceback, at ERROR) and answered 500 with the request id.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offer_render.service.answers import error_answer
from offer_render.service.metrics import ServiceMetrics

ACCESS_LOGGER = "offer_render.service.requests"
"""The logger of the one-line-per-request JSON log."""

log = logging.getLogger(ACCESS_LOGGER)
errors = logging.getLogger("offer_render.service")

_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_WARNINGS = b"x-offer-render-warnings"


class RequestLog:
    """ASGI middleware: request id, one JSON log line and the HTTP metrics per request."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request (other ASGI events pass through)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        seen: dict[str, Any] = {"status": 500, "warnings": None, "started": False}

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                for name, value in headers:
                    if name == _WARNINGS:
                        seen["warnings"] = int(value)
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
                seen["status"] = message["status"]
                seen["started"] = True
            await send(message)

        try:
            await self.app(scope, receive, answer)
        except Exception as exc:  # no handler answered it: a bug, logged with its traceback
            errors.exception("request %s failed", request_id)
            if not seen["started"]:
                await _answer_500(answer, exc, request_id)
        finally:
            self._done(scope, request_id, seen, start)

    def _done(self, scope: Scope, request_id: str, seen: dict[str, Any], start: float) -> None:
        seconds = time.perf_counter() - start
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        status = str(seen["status"])
        self.metrics.requests.labels(route, status).inc()
        self.metrics.request_seconds.labels(route).observe(seconds)
        if log.isEnabledFor(logging.INFO):
            line = {"request_id": request_id, "method": scope.get("method"),
                    "path": scope.get("path"), "status": seen["status"],
                    "ms": round(seconds * 1000, 1), "warnings": seen["warnings"]}
            log.info(json.dumps(line, separators=(",", ":"), ensure_ascii=False))


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1")
            if _GOOD_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


async def _answer_500(send: Send, exc: Exception, request_id: str) -> None:
    status, body, _ = error_answer(exc, request_id)
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})

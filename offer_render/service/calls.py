"""Take a request; read its body within the size limit and run its work in the render pool.

The two things every ``/v1`` route does. :func:`read_body` refuses a body over
``--max-body`` with 413: by its declared ``Content-Length`` before reading a byte of
it, and a chunked body as soon as what was read passes the limit.
:func:`in_pool` hands a task to the app's :class:`~offer_render.pool.RenderPool`
(refused at once with 503 when every worker is busy and the backlog is full) and
awaits its future without blocking the event loop; when the client goes away first,
a task still waiting is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

from offer_render.errors import InvalidInputError
from offer_render.pool import PoolBusy
from offer_render.service.answers import HttpError

T = TypeVar("T")


async def read_body(request: Request) -> bytes:
    """Return the whole body; raise HttpError 413 once it is over the app's ``max_body``."""
    limit: int = request.app.state.settings.max_body
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, f"the request body is {int(declared):,} bytes; at most {limit:,} "
                             "are taken (--max-body)", reason="body_too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"the request body is over {limit:,} bytes, the most taken "
                                 "(--max-body)", reason="body_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def in_pool(request: Request, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``fn(task_context, *args, **kwargs)`` in a render worker and return its result."""
    state = request.app.state
    if state.pool is None:
        raise HttpError(503, "this service runs no render workers (--workers 0): it only "
                             "takes jobs (POST /v1/jobs)", {"Retry-After": "60"})
    try:
        future = state.pool.submit_call(fn, *args, **kwargs)
    except PoolBusy:
        state.metrics.rejected.labels("busy").inc()
        raise
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:  # the client left: a task still queued is not run (one
        # already sent ahead to a busy worker runs, and its answer is dropped)
        future.cancel()
        raise


def flag(value: str | None, name: str) -> bool:
    """Return the boolean a query parameter such as ``?report=1`` says (absent: False)."""
    if value is None:
        return False
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise InvalidInputError([(name, f"must be 1 or 0 (got {value[:20]!r})")])

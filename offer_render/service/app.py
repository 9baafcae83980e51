"""Take the service's settings; return the ASGI app (FastAPI) that serves the engine over HTTP.

:func:`create_app` is the app factory: routes (:mod:`.routes`), the bearer check on
every ``/v1`` route (:mod:`.auth`), error answers (:mod:`.answers`), the request log
and metrics (:mod:`.requestlog`, :mod:`.metrics`). Its lifespan owns the render
pool: it starts one from the settings (or takes the one it is given, as
``offer-render serve`` starts it first, to report a failure as one line) and closes
it at shutdown, after the server has stopped taking requests. With render workers
it also runs render jobs (:mod:`offer_render.jobs`: the queue's consumer threads
render through the same pool); with ``--workers 0`` it has no pool and only takes
jobs into the queue for ``offer-render worker`` processes. Run it with any ASGI
server: ``uvicorn --factory offer_render.service.app:create_app`` reads the settings
from ``OFFER_RENDER_*`` variables.

FastAPI, not bare Starlette: it is Starlette (lifespan, middleware, responses) plus
the OpenAPI document, built from the same models the bodies are parsed with, and
its ``/docs`` page; ``fastapi-offline`` serves that page's Swagger UI files from the
installed package, so the docs work with no internet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from offer_render.errors import InvalidInputError, OfferRenderError
from offer_render.pool import RenderPool
from offer_render.service.answers import HttpError, error_answer
from offer_render.service.auth import BearerCheck, read_tokens
from offer_render.service.metrics import ServiceMetrics
from offer_render.service.requestlog import RequestLog
from offer_render.service.routes import jobs, lint, preview, probes, render, studio
from offer_render.service.settings import ServiceSettings, load_settings
from offer_render.version import __version__

WORKER_MODULES = ("offer_render.service.work", "offer_render.jobs.work")
"""What the pool's forkserver imports for the service's tasks."""


def create_app(settings: ServiceSettings | None = None, *, pool: RenderPool | None = None
               ) -> FastAPI:
    """Return the app for ``settings`` (default: from the environment).

    ``pool``, when given, is used instead of starting one, and closed at shutdown all
    the same. Raises InvalidInputError for a token file that cannot be read, or a job
    queue, storage or webhook secret that cannot be opened.
    """
    from offer_render.jobs.metrics import JobsCollector
    from offer_render.jobs.runtime import JobsRuntime

    settings = settings or load_settings()
    tokens = read_tokens(settings.token_file) if settings.token_file else None
    runtime = JobsRuntime(settings)
    app = FastAPIOffline(
        title="offer-render", version=__version__, lifespan=_lifespan,
        description="Render offer images from image_template JSON, as a browser would "
                    "draw them. Errors are {error, problems: [{path, message}], request_id}.",
    )
    app.state.settings = settings
    app.state.pool = pool
    app.state.checks = []
    metrics = ServiceMetrics(lambda: app.state.pool.stats() if app.state.pool else None)
    app.state.metrics = metrics
    app.state.jobs = runtime
    app.state.job_workers = None
    metrics.registry.register(JobsCollector(runtime))
    # Without a token file there is nothing to check, and no dependency to run per request.
    needs_token = [Depends(BearerCheck(tokens))] if tokens is not None else []
    for module in (render, preview, lint, jobs):
        app.include_router(module.router, dependencies=needs_token)
    app.include_router(probes.router)
    studio.install(app, needs_token)  # the designer page at /studio
    for kind in (OfferRenderError, HttpError, RequestValidationError,
                 StarletteHTTPException):
        app.add_exception_handler(kind, _answer_error)
    app.add_middleware(RequestLog, metrics=metrics)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the pool (unless given one) and read the readiness checks; close the pool after."""
    from offer_render.doctor import run_checks

    settings: ServiceSettings = app.state.settings
    config = settings.renderer_config()
    if app.state.pool is None:
        app.state.pool = await asyncio.to_thread(start_pool, settings)
    pool: RenderPool | None = app.state.pool
    if pool is not None:
        pool.drive_from_loop()  # answers are read on this loop: no thread hand-over
        app.state.job_workers = await asyncio.to_thread(app.state.jobs.workers, pool)
    app.state.checks = await asyncio.to_thread(run_checks, config.font_dirs, config.cache_dir)
    try:
        yield
    finally:
        if app.state.job_workers is not None:  # jobs in flight finish on the pool first
            await asyncio.to_thread(app.state.job_workers.stop)
        if pool is not None:
            await asyncio.to_thread(pool.close)
        app.state.jobs.close()


def start_pool(settings: ServiceSettings) -> RenderPool | None:
    """Return a started render pool for ``settings`` (None with ``workers`` 0); raise
    PoolError when it cannot start."""
    if settings.workers == 0:
        return None
    return RenderPool(settings.renderer_config(), workers=settings.workers,
                      backlog=settings.backlog, timeout=settings.render_timeout,
                      preload=WORKER_MODULES)


async def _answer_error(request: Request, exc: Exception) -> JSONResponse:
    """Answer an error raised by a route, as :mod:`offer_render.service.answers` says."""
    request_id = getattr(request.state, "request_id", "")
    if isinstance(exc, RequestValidationError):
        exc = _invalid(exc.errors())
    elif isinstance(exc, StarletteHTTPException):  # routing: 404, 405
        exc = HttpError(exc.status_code, _routing_message(request, exc.status_code),
                        dict(exc.headers or {}))
    if isinstance(exc, HttpError) and exc.reason:
        request.app.state.metrics.rejected.labels(exc.reason).inc()
    status, body, headers = error_answer(exc, request_id)
    return JSONResponse(body, status_code=status, headers=headers)


def _invalid(errors: Any) -> InvalidInputError:
    from offer_render.template.validate import errors_to_problems

    plain: list[Any] = [{**e, "loc": tuple(e["loc"][1:])} for e in errors]  # no "query"
    return InvalidInputError(errors_to_problems(plain))


def _routing_message(request: Request, status: int) -> str:
    if status == 404:
        return f"no such endpoint: {request.url.path} (see /docs)"
    if status == 405:
        return f"{request.method} is not allowed on {request.url.path}"
    return f"HTTP {status}"

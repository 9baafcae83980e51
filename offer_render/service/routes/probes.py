"""``GET /healthz``, ``/readyz``, ``/metrics``: take nothing; answer liveness, readiness, metrics.

- ``/healthz``: 200 ``{"status": "ok"}`` while the service answers at all.
- ``/readyz``: 200 when the engine has what it needs (raqm, FriBiDi, HarfBuzz,
  FreeType, the OpenType Sanitizer, ICU, the bundled fonts: the required checks of
  ``offer-render doctor``, run once at start-up), at least one render worker is
  ready (unless it runs none, ``--workers 0``), and the job queue and storage answer
  now; else 503, naming what is missing. Its body lists the checks.
- ``/metrics``: Prometheus text (see :mod:`offer_render.service.metrics`).

None of them needs a token: probes and scrapers hold none.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """Answer while the service runs."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness", responses={503: {"description": "Not ready."}})
async def readyz(request: Request) -> JSONResponse:
    """Answer 200 when the engine's libraries and fonts are there and a worker is ready."""
    state = request.app.state
    checks: list[Any] = state.checks
    missing = [f"{c.name} ({c.detail})" for c in checks if c.required and not c.ok]
    workers = {"ready": 0, "busy": 0, "of": 0}
    if state.pool is not None:  # --workers 0: a front that only takes jobs
        stats = state.pool.stats()
        workers = {"ready": stats.ready, "busy": stats.busy, "of": stats.workers}
        if stats.ready == 0:
            missing.append(f"render workers (0 of {stats.workers} ready)")
    jobs = await asyncio.to_thread(state.jobs.check)
    missing.extend(f"{part} ({why})" for _, part, why in jobs if why is not None)
    body = {
        "ready": not missing, "missing": missing, "workers": workers,
        "checks": [{"key": c.key, "name": c.name, "ok": c.ok, "required": c.required,
                    "version": c.version, "detail": c.detail} for c in checks]
        + [{"key": key, "name": part, "ok": why is None, "required": True, "version": "",
            "detail": why or ""} for key, part, why in jobs],
    }
    return JSONResponse(body, status_code=200 if not missing else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(request: Request) -> Response:
    """Answer the metrics in Prometheus' text format."""
    return Response(generate_latest(request.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)

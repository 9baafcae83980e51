"""``POST /v1/jobs``, ``GET /v1/jobs/{id}``: take render jobs; answer their records.

- ``POST /v1/jobs`` takes ``{offer, template?, collections?, context?, locales,
  format, quality?, scale?, callback_url?}``, checks it at once (422 with a problem
  per field, in the command line's words; 422 for a callback URL the network policy
  refuses) and answers 202 ``{"id", "status"}`` (``queued``, or ``running`` when the
  same job is already under way), or 200 with the job record when the same input
  already has its files in storage: nothing is rendered then. The id is the job's key
  (:mod:`offer_render.jobs.request`): posting the same input again names the same job.
- ``GET /v1/jobs/{id}`` answers the job record (:mod:`offer_render.jobs.records`);
  404 for an id that names no job (any id that is not 64 hex digits, so no id
  reaches the store as a path).

The work is :class:`~offer_render.jobs.runtime.JobsRuntime`'s, in threads: the event
loop only moves bytes.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from offer_render.jobs.request import JobBody
from offer_render.jobs.runtime import ACCEPTED
from offer_render.service.answers import HttpError
from offer_render.service.calls import read_body
from offer_render.service.routes.docs import ERRORS, ErrorAnswer, json_body

router = APIRouter(tags=["jobs"])

_ID = re.compile(r"[0-9a-f]{64}")


class FileAnswer(BaseModel):
    """A file record: what the platform stores as an offer file."""

    url: str = Field(description="--public-url-base + the object name, else its storage URL.")
    width: int = Field(description="In device pixels (the canvas times scale).")
    height: int
    kind: str = Field(description="offer_default.")
    size_type: str = Field(description="base.")
    locale: str | None = Field(description="The locale, or null for a job without locales.")
    format: str = Field(description="png, jpeg, webp or avif.")
    sha256: str = Field(description="Hex sha256 of the file's bytes.")
    bytes: int = Field(description="The file's size.")


class JobAnswer(BaseModel):
    """A job record."""

    id: str = Field(description="The job's key: equal inputs, equal id.")
    status: str = Field(description="queued, running, done or failed.")
    attempts: int = Field(description="Runs started so far.")
    files: list[FileAnswer] = Field(description="One per locale, when done.")
    error: str | None = Field(description="The last failure, in the command line's words.")
    offer_id: str = Field(description="The offer's id, as text.")
    created_at: str = Field(description="RFC 3339, UTC.")
    updated_at: str


class AcceptedAnswer(BaseModel):
    """A job taken."""

    id: str
    status: str = Field(description="queued, or running when the same job is under way.")


@router.post(
    "/v1/jobs", summary="Render an offer's files later", status_code=202,
    response_model=AcceptedAnswer, openapi_extra=json_body(JobBody),
    responses={200: {"model": JobAnswer, "description": "The same input already has its "
                                                       "files: the done record."}, **ERRORS},
)
async def post_job(request: Request) -> Any:
    """Check the job at once and queue it (or answer its files, when already stored)."""
    runtime = request.app.state.jobs
    raw = await read_body(request)
    key, job = await asyncio.to_thread(runtime.prepare, raw)
    status, row = await asyncio.to_thread(runtime.submit, key, job)
    if status == ACCEPTED:
        return JSONResponse({"id": row.id, "status": row.status}, status_code=202)
    return JSONResponse(row.record(), status_code=status)


@router.get(
    "/v1/jobs/{job_id}", summary="A job's record", response_model=JobAnswer,
    responses={404: {"model": ErrorAnswer, "description": "No such job."},
               401: ERRORS[401]},
)
async def get_job(request: Request, job_id: str) -> Any:
    """Answer the job's record: its status, attempts, files and error."""
    row = None
    if _ID.fullmatch(job_id):
        row = await asyncio.to_thread(request.app.state.jobs.job, job_id)
    if row is None:
        raise HttpError(404, f"no such job: {job_id[:80]!r} (ids are what POST /v1/jobs "
                             "answered: 64 hex digits)")
    return JSONResponse(row.record())

"""Take a job's stored state; return the job record the API answers and webhooks carry.

A job record is ``{"id", "status", "attempts", "files", "error", "offer_id",
"created_at", "updated_at"}``: ``status`` is ``queued`` (waiting, or waiting to be
retried), ``running``, ``done`` or ``failed``; ``attempts`` counts the runs started;
``error`` is the last failure's message in the command line's words (while a retry
waits, too), null when done. A file record is what the platform stores as an offer
file: ``{"url", "width", "height", "kind": "offer_default", "size_type": "base",
"locale", "format", "sha256", "bytes"}``, width and height in device pixels.

:class:`JobRow` is the stored state behind it, shared by every process on the queue
(:mod:`.store`, :mod:`.redisstore`); its ``clock`` orders the rows of one status:
when a queued job is due, when a running job's lease ends, when a finished job ended.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from offer_render.jobs.names import KIND, SIZE_TYPE

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)


@dataclass(frozen=True)
class JobRow:
    """A job as stored: its record's fields, its request, and what the workers need."""

    id: str
    status: str
    request: dict[str, Any]
    created: float
    updated: float
    clock: float
    """queued: when due; running: when its lease ends; done, failed: when it ended."""
    attempts: int = 0
    runner: str = ""
    """Who runs it (a worker's token), while running."""
    files: tuple[dict[str, Any], ...] = ()
    names: tuple[str, ...] = ()
    """The object names of ``files``, in order."""
    error: str | None = None

    def record(self) -> dict[str, Any]:
        """Return the public job record (see the module)."""
        return {"id": self.id, "status": self.status, "attempts": self.attempts,
                "files": [dict(f) for f in self.files], "error": self.error,
                "offer_id": self.request.get("offer_id"),
                "created_at": _iso(self.created), "updated_at": _iso(self.updated)}

    def dumps(self) -> str:
        """Return the row as JSON text, for a store."""
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def loads(cls, text: str | bytes) -> JobRow:
        """Return the row :meth:`dumps` wrote."""
        data = json.loads(text)
        data["files"] = tuple(data.get("files") or ())
        data["names"] = tuple(data.get("names") or ())
        return cls(**data)

    def but(self, **changes: Any) -> JobRow:
        """Return a copy with ``changes``."""
        return replace(self, **changes)


@dataclass(frozen=True)
class RenderedImage:
    """One image a render task made, for one locale (None: the default, unnamed)."""

    locale: str | None
    format: str
    width: int
    height: int
    data: bytes = field(repr=False)


def file_record(image: RenderedImage, url: str) -> dict[str, Any]:
    """Return the file record of ``image`` stored at ``url``."""
    return {"url": url, "width": image.width, "height": image.height, "kind": KIND,
            "size_type": SIZE_TYPE, "locale": image.locale, "format": image.format,
            "sha256": hashlib.sha256(image.data).hexdigest(), "bytes": len(image.data)}


def _iso(seconds: float) -> str:
    """Return ``seconds`` since the epoch as RFC 3339 UTC text, to the millisecond."""
    stamp = datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")

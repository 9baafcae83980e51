"""Take a queue URL; return the task queue jobs wait in (Huey) and the store of their rows.

- ``sqlite:///PATH`` (the default: ``DATA_DIR/jobs.db``): Huey's SqliteHuey, embedded,
  durable, no server; the job rows live in the same file (WAL, ``synchronous=NORMAL``:
  every commit survives a killed process; an OS crash or power loss may lose the last
  few, and never corrupts the file). Every process on one machine
  that opens the file shares the queue (SQLite's locking), so ``offer-render worker``
  processes may run beside ``serve``.
- ``redis://HOST:PORT/DB`` (``rediss://`` for TLS, ``unix:///PATH?db=N``): Huey's
  RedisHuey, for a queue shared by many machines; the rows live in the same Redis.

Two tasks: ``run`` (render a job) and ``deliver`` (one webhook delivery). They only
carry ids: the job's request and state are in its row, so a message run twice, or a
job put back on the queue by the sweeper, does no harm (the runner claims a job
before it renders). Delays (retries, backoff) go through Huey's schedule, which is
durable in the same backend. Huey pickles its messages: the queue's backend must be
trusted, as for any Huey or Celery deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from offer_render.errors import InvalidInputError
from offer_render.jobs.store import JobStore

QUEUE_NAME = "offer_render_jobs"
"""Huey's name for the queue (its keys and rows carry it)."""

RunHandler = Callable[[str], None]
DeliverHandler = Callable[[str, int], None]


class JobQueue:
    """The Huey queue of one URL, its two tasks, and the job store beside it."""

    def __init__(self, url: str) -> None:
        """Open the queue at ``url``; raise InvalidInputError (on ``queue``) saying why not."""
        self.url = url
        self.huey, self.store = _open(url)
        self._run: RunHandler | None = None
        self._deliver: DeliverHandler | None = None

        def run(job_id: str) -> None:
            if self._run is not None:
                self._run(job_id)

        def deliver(job_id: str, attempt: int) -> None:
            if self._deliver is not None:
                self._deliver(job_id, attempt)

        self._run_task = self.huey.task(name="offer_render.jobs.run")(run)
        self._deliver_task = self.huey.task(name="offer_render.jobs.deliver")(deliver)

    def serve(self, run: RunHandler, deliver: DeliverHandler) -> None:
        """Have this process's consumer call ``run`` and ``deliver`` for the tasks."""
        self._run, self._deliver = run, deliver

    def enqueue(self, job_id: str, *, delay: float = 0.0) -> None:
        """Put a run of ``job_id`` on the queue, after ``delay`` seconds."""
        if delay > 0:
            self._run_task.schedule(args=(job_id,), delay=delay)
        else:
            self._run_task(job_id)

    def enqueue_delivery(self, job_id: str, attempt: int, *, delay: float = 0.0) -> None:
        """Put webhook delivery number ``attempt`` of ``job_id`` on the queue."""
        if delay > 0:
            self._deliver_task.schedule(args=(job_id, attempt), delay=delay)
        else:
            self._deliver_task(job_id, attempt)

    def depth(self) -> tuple[int, int]:
        """Return the messages waiting now and those scheduled for later."""
        return int(self.huey.pending_count()), int(self.huey.scheduled_count())

    def describe(self) -> str:
        """Return the URL without a password, for messages."""
        return masked(self.url)

    def close(self) -> None:
        """Close the store's and Huey's connections."""
        self.store.close()
        self.huey.storage.close()


def masked(url: str) -> str:
    """Return ``url`` with its password, if any, as ``***`` (for messages and logs)."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return url
    return url.replace(f":{password}@", ":***@", 1) if password else url


def _open(given: str) -> tuple[Any, JobStore]:
    from huey import RedisHuey, SqliteHuey

    url = masked(given)  # what messages show
    parts = urlsplit(given)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        if parts.netloc or not parts.path:
            raise InvalidInputError([("queue", f"{url}: a SQLite queue is sqlite:///PATH (three "
                                               "slashes, then an absolute path)")])
        path = Path("/" + unquote(parts.path).lstrip("/"))  # sqlite:////abs as SQLAlchemy
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            huey = SqliteHuey(QUEUE_NAME, filename=str(path), results=False, utc=True,
                              timeout=30)
            # WAL with synchronous=NORMAL (https://sqlite.org/pragma.html#pragma_synchronous):
            # a commit survives the process being killed; an OS crash may lose the last
            # ones, never corrupt the file. FULL syncs each commit: half the throughput.
            huey.storage.conn.execute("pragma synchronous=normal")
        except OSError as exc:
            raise InvalidInputError([("queue", f"{url}: {exc.strerror or exc}")]) from None
        except Exception as exc:  # sqlite3.Error: not a database, locked...
            raise InvalidInputError([("queue", f"{url}: {exc}")]) from None
        from offer_render.jobs.store import SqliteJobStore

        return huey, SqliteJobStore(path)
    if scheme in ("redis", "rediss", "unix"):
        try:
            import redis  # noqa: F401 - Huey needs it; say so in one line when missing
        except ImportError:
            raise InvalidInputError([("queue", f"{url}: needs the redis package (pip install "
                                               "'offer-render[redis]')")]) from None
        from offer_render.jobs.redisstore import RedisJobStore

        try:
            huey = RedisHuey(QUEUE_NAME, url=given, results=False, utc=True, blocking=True,
                             read_timeout=1)
        except ValueError as exc:
            raise InvalidInputError([("queue", f"{url}: {exc}")]) from None
        return huey, RedisJobStore(huey.storage.conn, QUEUE_NAME)
    raise InvalidInputError([("queue", f"{url}: must be sqlite:///PATH or redis://HOST:PORT/DB")])

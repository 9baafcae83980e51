"""Take the service's settings; return the jobs' runtime: queue, store, storage, and their uses.

One :class:`JobsRuntime` per process: ``serve`` makes one for its routes (and, with
render workers, runs jobs too), ``offer-render worker`` one to run jobs only. Both
read the same settings (:class:`~offer_render.service.settings.ServiceSettings`), so
``--queue``, ``--storage`` and the rest mean the same in each, and must be the same
for processes sharing a queue.

- :meth:`JobsRuntime.prepare` checks a posted body and works out its key (in a thread
  of the server: it reads the template's resources, through the engine's caching
  fetcher, to hash them);
- :meth:`JobsRuntime.submit` answers it: the done record when the same input already
  has its files in storage (nothing is rendered), else the job, queued;
- :meth:`JobsRuntime.workers` starts the consumer and the sweeper on a render pool.
"""

from __future__ import annotations

import time
from typing import Any

from offer_render.jobs.queue import JobQueue
from offer_render.jobs.records import DONE, FAILED, QUEUED, RUNNING, JobRow
from offer_render.jobs.request import JobRequest, parse_job
from offer_render.jobs.storage import Storage
from offer_render.jobs.workers import JobWorkers

ACCEPTED, ALREADY_DONE = 202, 200
JOB_THREADS_PER_WORKER = 4
"""Consumer threads per render worker when ``job_threads`` is not set. Default: 4: a job
thread spends much of a job writing and syncing its file and recording it, not waiting
on its render, and with 2 per worker the render workers sat idle a third of the time."""


class JobsRuntime:
    """The jobs' parts, built from the service's settings."""

    def __init__(self, settings: Any) -> None:
        """Open the queue and storage of ``settings``; raise InvalidInputError naming the
        setting that is wrong (an unknown queue scheme, an unreadable secret file)."""
        from offer_render.jobs.webhooks import read_secret

        self.settings = settings
        data = settings.data_folder()
        self.secret = (read_secret(settings.webhook_secret_file)
                       if settings.webhook_secret_file is not None else None)
        self.queue = JobQueue(settings.queue or f"sqlite://{(data / 'jobs.db').absolute()}")
        self.store = self.queue.store
        try:
            self.storage = Storage(settings.storage or (data / "files").as_uri(),
                                   public_url_base=settings.public_url_base)
        except BaseException:
            self.queue.close()
            raise
        self.config = settings.renderer_config()
        self._fetcher: Any = None

    # -- taking jobs --------------------------------------------------------------

    def prepare(self, raw: bytes) -> tuple[str, JobRequest]:
        """Return the key and request of a posted body (see :func:`parse_job`)."""
        from offer_render.pool.worker import SnapshotFetcher, TaskContext
        from offer_render.resources.fetch import default_fetcher

        if self._fetcher is None:
            self._fetcher = default_fetcher(self.config)
        snapshot = SnapshotFetcher(self._fetcher)  # each URL once for this job's hash
        snapshot.begin()
        try:
            ctx = TaskContext(self.config, snapshot, renderer=None)
            return parse_job(ctx, raw, can_sign=self.secret is not None)
        finally:
            snapshot.end()

    def submit(self, key: str, request: JobRequest) -> tuple[int, JobRow]:
        """Queue the job ``key`` unless it is done with its files stored; return the HTTP
        status (202 queued or running, 200 done) and its row."""
        row = self.store.get(key)
        if row is not None and row.status == DONE and self._stored(row):
            return ALREADY_DONE, row
        if row is not None and row.status in (QUEUED, RUNNING):
            if row.status == QUEUED:
                self.queue.enqueue(key)  # in case its message was lost; a run is claimed once
            return ACCEPTED, row
        now = time.time()
        fresh = JobRow(id=key, status=QUEUED, request=request.to_json(), created=now,
                       updated=now, clock=now)
        if row is None:
            if not self.store.add(fresh):
                return self.submit(key, request)  # posted twice at once: answer as the other
            row = fresh
        else:  # failed, or done but its files are gone: run it again
            again = self.store.update(key, lambda r: r.but(
                status=QUEUED, attempts=0, runner="", clock=now, updated=now, files=(),
                names=(), error=None) if r.status in (DONE, FAILED) else None)
            row = again or self.store.get(key) or fresh
        self.queue.enqueue(key)
        return ACCEPTED, row

    def _stored(self, row: JobRow) -> bool:
        """Return whether every file of the done ``row`` is in storage with its size (when
        storage cannot say, the record is believed)."""
        from offer_render.jobs.failures import StorageError

        try:
            return all(self.storage.size(name) == f["bytes"]
                       for name, f in zip(row.names, row.files, strict=True))
        except StorageError:
            return True

    def job(self, job_id: str) -> JobRow | None:
        """Return the row of ``job_id``, or None."""
        return self.store.get(job_id)

    # -- running jobs -------------------------------------------------------------

    def workers(self, pool: Any, *, threads: int | None = None) -> JobWorkers:
        """Return started consumer threads and sweeper that render through ``pool``."""
        from offer_render.jobs.runner import JobRunner, RetryPolicy

        s = self.settings
        policy = RetryPolicy(job_retries=s.job_retries, webhook_retries=s.webhook_retries,
                             base=s.retry_delay, max_delay=s.retry_max_delay)
        runner = JobRunner(self.queue, self.storage, pool, policy=policy, lease=s.job_lease,
                           secret=self.secret, allow_hosts=s.allow_hosts,
                           render_timeout=s.render_timeout)
        count = threads or s.job_threads or JOB_THREADS_PER_WORKER * pool.workers
        return JobWorkers(self.queue, runner, threads=count,
                          shutdown_timeout=s.render_timeout + 5).start()

    # -- operations ---------------------------------------------------------------

    def check(self) -> list[tuple[str, str, str | None]]:
        """Return ``(key, part, why it cannot be used or None)`` for the queue and storage."""
        return [("job_queue", f"job queue {self.queue.describe()}", self.store.check()),
                ("job_storage", f"job storage {self.storage.url}", self.storage.check())]

    def close(self) -> None:
        """Close the queue's connections."""
        self.queue.close()

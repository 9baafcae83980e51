"""Take a job's id from the queue; render it through the pool, store its files, record the end.

What the queue's two tasks do in a worker (``serve`` or ``offer-render worker``):

**run** (:meth:`JobRunner.run`): claim the job (queued, or running on a lease that
ran out: its worker died), so no two workers run it at once; send its request to a
render worker (:func:`offer_render.jobs.work.render_images`), waiting for one when all
are busy; write each image under its object name (:mod:`.storage`: whole or not at
all, and under the same name however often it is written, so a job run twice leaves
one set of files); then record it done with its file records. A failure
(:mod:`.failures`) that is transient puts the job back, due after a backoff with
jitter (:mod:`.backoff`), until ``--job-retries`` runs are spent; any other failure
ends the job as failed, with the command line's message. When a job ends and it has
a ``callback_url``, its first webhook delivery is queued.

**deliver** (:meth:`JobRunner.deliver`): POST the job record, signed
(:mod:`.webhooks`); a failure is retried with backoff until ``--webhook-retries``
deliveries are spent.

A running job's lease is renewed by the sweeper (:mod:`.workers`) while this
process runs it; a finish is recorded only by the runner holding the lease.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from offer_render.jobs.backoff import retry_delay
from offer_render.jobs.failures import is_transient, message
from offer_render.jobs.names import object_name
from offer_render.jobs.queue import JobQueue
from offer_render.jobs.records import DONE, FAILED, QUEUED, RUNNING, JobRow, file_record
from offer_render.jobs.storage import Storage
from offer_render.pool.errors import PoolBusy

log = logging.getLogger("offer_render.jobs")

EARLY = 1.0
"""Seconds before its due time a queued job may be claimed (Huey's schedule runs in
whole seconds). Default: 1."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: runs of a job, deliveries of a webhook."""

    job_retries: int = 5
    webhook_retries: int = 8
    base: float = 2.0
    max_delay: float = 300.0

    def delay(self, retry: int) -> float:
        """Return the wait before retry number ``retry`` (see :mod:`.backoff`)."""
        return retry_delay(retry, base=self.base, max_delay=self.max_delay)


class JobRunner:
    """Run jobs and deliveries for this process; ``active`` are the jobs it runs now."""

    def __init__(self, queue: JobQueue, storage: Storage, pool: Any, *, policy: RetryPolicy,
                 lease: float, secret: bytes | None, allow_hosts: Iterable[str],
                 render_timeout: float | None) -> None:
        self.queue = queue
        self.store = queue.store
        self.storage = storage
        self.pool = pool
        self.policy = policy
        self.lease = lease
        self.secret = secret
        self.allow_hosts = tuple(allow_hosts)
        self.render_timeout = render_timeout
        self.token = secrets.token_hex(8)
        """This runner's name on the jobs it claims."""
        self.active: set[str] = set()
        self._lock = threading.Lock()

    # -- run ----------------------------------------------------------------------

    def run(self, job_id: str) -> None:
        """Run the job ``job_id`` if it is this runner's to run (see the module)."""
        row = self._claim(job_id)
        if row is None:
            return
        with self._lock:
            self.active.add(job_id)
        try:
            try:
                images = self._render(row.request)
                names, files = [], []
                for image in images:
                    name = object_name(row.request["offer_id"], image.locale, image.format)
                    stored = self.storage.put(name, image.data)
                    names.append(name)
                    files.append(file_record(image, stored.url))
            except Exception as exc:  # every failure is recorded: retried or final
                self._failed(row, exc)
                return
            self._end(row, DONE, files=tuple(files), names=tuple(names))
        finally:
            with self._lock:
                self.active.discard(job_id)

    def _claim(self, job_id: str) -> JobRow | None:
        now = time.time()

        def claim(row: JobRow) -> JobRow | None:
            due = row.status == QUEUED and row.clock <= now + EARLY
            lost = row.status == RUNNING and row.clock < now
            if not (due or lost):
                return None  # finished, running elsewhere, or a retry not due yet
            return row.but(status=RUNNING, attempts=row.attempts + 1, runner=self.token,
                           clock=now + self.lease, updated=now)

        return self.store.update(job_id, claim)

    def _render(self, request: dict[str, Any]) -> Any:
        from offer_render.jobs.work import render_images

        start = time.monotonic()
        while True:
            try:
                future = self.pool.submit_call(render_images, request)
                break
            except PoolBusy:  # /v1/render's requests fill the backlog: wait for room
                if self.render_timeout and time.monotonic() - start > self.render_timeout:
                    raise
                time.sleep(0.05)
        return future.result()

    def _failed(self, row: JobRow, exc: BaseException) -> None:
        text = message(exc)
        if is_transient(exc) and row.attempts <= self.policy.job_retries:
            delay = self.policy.delay(row.attempts)
            now = time.time()

            def back(r: JobRow) -> JobRow | None:
                if r.status != RUNNING or r.runner != self.token:
                    return None
                return r.but(status=QUEUED, runner="", clock=now + delay, updated=now,
                             error=text)

            if self.store.update(row.id, back) is not None:
                self.store.incr("job_retries:transient")
                log.warning("job %s: %s; run %d of %d again in %.1f s", row.id, text,
                            row.attempts + 1, self.policy.job_retries + 1, delay)
                self.queue.enqueue(row.id, delay=delay)
            return
        if is_transient(exc):
            text = f"{text} (gave up after {row.attempts} runs)"
        self._end(row, FAILED, error=text)

    def _end(self, row: JobRow, status: str, *, files: tuple[dict[str, Any], ...] = (),
             names: tuple[str, ...] = (), error: str | None = None) -> None:
        now = time.time()

        def end(r: JobRow) -> JobRow | None:
            if r.status != RUNNING or r.runner != self.token:
                return None  # its lease ran out and another runner has it: theirs to end
            return r.but(status=status, runner="", clock=now, updated=now, files=files,
                         names=names, error=error)

        ended = self.store.update(row.id, end)
        if ended is None:
            return
        self.store.incr(f"jobs_ended:{status}")
        if status == DONE:
            log.info("job %s: done, %d files", row.id, len(files))
        else:
            log.warning("job %s: failed: %s", row.id, error)
        if ended.request.get("callback_url"):
            self.queue.enqueue_delivery(row.id, 1)

    # -- deliver ------------------------------------------------------------------

    def deliver(self, job_id: str, attempt: int) -> None:
        """Deliver the record of the ended job ``job_id`` to its callback URL (see the module)."""
        from offer_render.jobs.webhooks import deliver

        row = self.store.get(job_id)
        url = row.request.get("callback_url") if row is not None else None
        if row is None or row.status not in (DONE, FAILED) or not url:
            return
        if self.secret is None:  # the front had a secret, this worker was given none
            self.store.incr("webhooks:failed")
            log.warning("job %s: webhook to %s: this worker has no --webhook-secret-file, so "
                        "it cannot sign it; not delivered", job_id, url)
            return
        body = json.dumps(row.record(), separators=(",", ":"), ensure_ascii=False).encode()
        outcome = deliver(url, body, secret=self.secret, job_id=job_id, attempt=attempt,
                          allow_hosts=self.allow_hosts)
        if outcome.ok:
            self.store.incr("webhooks:delivered")
            return
        if outcome.retry and attempt <= self.policy.webhook_retries:
            delay = self.policy.delay(attempt)
            self.store.incr("webhooks:retried")
            log.warning("job %s: webhook to %s: %s; delivery %d of %d in %.1f s", job_id, url,
                        outcome.detail, attempt + 1, self.policy.webhook_retries + 1, delay)
            self.queue.enqueue_delivery(job_id, attempt + 1, delay=delay)
            return
        self.store.incr("webhooks:failed")
        log.warning("job %s: webhook to %s: %s; gave up after %d deliveries", job_id, url,
                    outcome.detail, attempt)

    # -- leases -------------------------------------------------------------------

    def renew(self) -> None:
        """Extend the leases of the jobs this runner runs now."""
        with self._lock:
            running = list(self.active)
        until = time.time() + self.lease
        for job_id in running:
            self.store.update(job_id, lambda r: r.but(clock=until) if (
                r.status == RUNNING and r.runner == self.token) else None)

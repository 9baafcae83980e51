"""Take a queue and a runner; run the queue's consumer threads and the sweeper until stopped.

**Consumer.** Huey's own :class:`huey.consumer.Consumer` with thread workers, started
inside this process (``serve`` beside its HTTP server, ``offer-render worker`` alone),
so its signal handlers are left to the process (uvicorn's, or the worker command's):
:class:`_EmbeddedConsumer` only leaves out the installing of them. Each thread takes
a message, runs it (a job waits on a render worker, then writes its files), and takes
the next. An idle SQLite queue is polled every 0.05 s, backing off to 0.5 s; Redis
blocks on the list (BRPOP) instead.

**Sweeper**, a thread every quarter of the lease:

1. renews the leases of the jobs this process runs;
2. puts back on the queue every job still ``running`` on a lease that ran out (its
   worker died: killed, or its machine gone), so an unfinished job runs again;
3. when the queue holds fewer messages than there are queued jobs (a message was lost
   with a process killed between the queue and the row), puts back that many of the
   queued jobs that have been due for longer than a lease.

A job put back twice is run once: the runner claims a job before it renders.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from huey.consumer import Consumer

from offer_render.jobs.queue import JobQueue
from offer_render.jobs.records import QUEUED, RUNNING
from offer_render.jobs.runner import JobRunner

log = logging.getLogger("offer_render.jobs")

SWEEP_BATCH = 100
"""Most jobs the sweeper puts back in one round. Default: 100."""


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]  # huey ships no type hints
    """Huey's consumer, without taking over the process's signal handlers."""

    def _set_signal_handlers(self) -> None:
        """Leave signals to the process that embeds the consumer."""


class JobWorkers:
    """The consumer threads and the sweeper of one process."""

    def __init__(self, queue: JobQueue, runner: JobRunner, *, threads: int,
                 shutdown_timeout: float) -> None:
        self.queue = queue
        self.runner = runner
        self.threads = threads
        self.shutdown_timeout = shutdown_timeout
        self.interval = max(0.1, runner.lease / 4)
        self._stop = threading.Event()
        self._consumer: Any = None
        self._sweeper: threading.Thread | None = None

    def start(self) -> JobWorkers:
        """Start the consumer threads and the sweeper; return self."""
        self.queue.serve(self.runner.run, self.runner.deliver)
        self._consumer = _EmbeddedConsumer(
            self.queue.huey, workers=self.threads, worker_type="thread", periodic=False,
            initial_delay=0.05, backoff=1.5, max_delay=0.5, scheduler_interval=1,
            check_worker_health=False, shutdown_timeout=self.shutdown_timeout)
        self._consumer.start()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="offer-render-sweeper",
                                         daemon=True)
        self._sweeper.start()
        return self

    def stop(self) -> None:
        """Stop taking messages; let the jobs running finish (up to the shutdown timeout)."""
        self._stop.set()
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
        if self._sweeper is not None:
            self._sweeper.join(self.interval + 5)

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception:  # the store is down: try again next round
                log.warning("job sweeper: cannot reach the queue", exc_info=True)

    def sweep(self) -> None:
        """Run one round of the sweeper (see the module)."""
        store, queue = self.runner.store, self.queue
        self.runner.renew()
        now = time.time()
        for job_id in store.ids(RUNNING, before=now, limit=SWEEP_BATCH):
            queue.enqueue(job_id)

            def back(r: Any) -> Any:
                return r.but(status=QUEUED, runner="", clock=now, updated=now) if (
                    r.status == RUNNING and r.clock < now) else None

            if store.update(job_id, back) is not None:
                store.incr("job_retries:lost")
                log.warning("job %s: its worker stopped answering; it runs again", job_id)
        pending, scheduled = queue.depth()
        missing = store.counts()[QUEUED] - pending - scheduled
        if missing <= 0:
            return
        for job_id in store.ids(QUEUED, before=now - self.runner.lease,
                                limit=min(missing, SWEEP_BATCH)):
            queue.enqueue(job_id)
            store.update(job_id, lambda r: r.but(clock=now) if r.status == QUEUED else None)
            log.warning("job %s: queued with no message on the queue; put back", job_id)

"""Take the jobs' store and queue; return their Prometheus metrics at each scrape.

Read from the shared rows and counters, not counted in this process, so the
service's ``/metrics`` tells about every worker on the queue, wherever it runs:

- ``offer_render_jobs{status}``: jobs now queued, running, done, failed;
- ``offer_render_job_queue_depth{kind}``: messages on the queue, ``pending`` (to take
  now) and ``scheduled`` (retries and deliveries waiting for their time);
- ``offer_render_job_oldest_queued_seconds``: how long the job due longest ago has
  waited (0: none waits);
- ``offer_render_job_retries_total{reason}``: runs started again, ``transient`` (a
  failure that may heal) or ``lost`` (its worker died);
- ``offer_render_jobs_ended_total{status}``: jobs that ended done or failed;
- ``offer_render_webhook_deliveries_total{outcome}``: ``delivered``, ``retried``,
  ``failed`` (given up).

A scrape while the store cannot be reached yields none of them (the scrape itself
still answers), and ``/readyz`` says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from offer_render.jobs.records import QUEUED, STATUSES

log = logging.getLogger("offer_render.jobs")

_COUNTERS = (
    ("job_retries", "offer_render_job_retries", "Job runs started again, by reason.",
     "reason", ("transient", "lost")),
    ("jobs_ended", "offer_render_jobs_ended", "Jobs that ended, by status.", "status",
     ("done", "failed")),
    ("webhooks", "offer_render_webhook_deliveries", "Webhook deliveries, by outcome.",
     "outcome", ("delivered", "retried", "failed")),
)


class JobsCollector(Collector):
    """Yield the jobs' metrics from a :class:`~offer_render.jobs.runtime.JobsRuntime`."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        """Yield the metrics of the module's table."""
        try:
            store, queue = self.runtime.store, self.runtime.queue
            counts = store.counts()
            pending, scheduled = queue.depth()
            earliest = store.earliest(QUEUED)
            counters = store.counters()
        except Exception:  # the store is down: /readyz says so
            log.warning("metrics: cannot read the job store", exc_info=True)
            return
        jobs = GaugeMetricFamily("offer_render_jobs", "Jobs by status.", labels=["status"])
        for status in STATUSES:
            jobs.add_metric([status], counts.get(status, 0))
        yield jobs
        depth = GaugeMetricFamily("offer_render_job_queue_depth", "Messages on the job queue.",
                                  labels=["kind"])
        depth.add_metric(["pending"], pending)
        depth.add_metric(["scheduled"], scheduled)
        yield depth
        waited = max(0.0, time.time() - earliest) if earliest is not None else 0.0
        yield GaugeMetricFamily("offer_render_job_oldest_queued_seconds",
                                "Seconds the queued job due longest ago has waited.",
                                value=waited)
        for prefix, name, doc, label, values in _COUNTERS:
            family = CounterMetricFamily(name, doc, labels=[label])
            for value in values:
                family.add_metric([value], counters.get(f"{prefix}:{value}", 0))
            yield family

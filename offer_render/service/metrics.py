"""Take the service's events and its pool's counters; return Prometheus metrics (prometheus-client).

Each app has its own registry (so several apps can live in one process, as in the
tests). What the event loop sees is counted as it happens; what happens inside the
render workers (cache hits and misses, fetch failures) is read from the pool at
each scrape, added up over every worker the pool has had.

| metric | labels | what |
|---|---|---|
| ``offer_render_renders_total`` | status, format | ``POST /v1/render`` answers, by HTTP status |
| ``offer_render_render_seconds`` | format | time a worker spent rendering one image |
| ``offer_render_http_requests_total`` | route, status | every answer |
| ``offer_render_http_request_seconds`` | route | time from request to answer |
| ``offer_render_requests_rejected_total`` | reason | busy, body_too_large, unauthorized |
| ``offer_render_cache_hits_total``, ``_misses_total`` | cache | the engine's caches |
| ``offer_render_fetch_failures_total`` | what | fonts, stylesheets, backgrounds not had |
| ``offer_render_workers``, ``_ready``, ``_busy`` | | workers kept, started, rendering |
| ``offer_render_requests_waiting`` | | requests waiting for a worker |
| ``offer_render_worker_restarts_total`` | | workers replaced (died, or killed at a deadline) |
| ``offer_render_render_timeouts_total`` | | requests past their deadline |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from offer_render.pool.dispatch import PoolStats

RENDER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                  10.0, 30.0)
"""Histogram buckets in seconds: a warm render takes 1 to 20 ms, a cold one a second or two."""


class ServiceMetrics:
    """The metrics of one app, in their own registry."""

    def __init__(self, pool_stats: Callable[[], PoolStats | None]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.renders = Counter("offer_render_renders", "Render requests answered, by status.",
                               ["status", "format"], registry=r)
        self.render_seconds = Histogram(
            "offer_render_render_seconds", "Seconds a worker spent rendering one image.",
            ["format"], buckets=RENDER_BUCKETS, registry=r)
        self.requests = Counter("offer_render_http_requests", "HTTP requests answered.",
                                ["route", "status"], registry=r)
        self.request_seconds = Histogram(
            "offer_render_http_request_seconds", "Seconds from request to answer.", ["route"],
            buckets=RENDER_BUCKETS, registry=r)
        self.rejected = Counter("offer_render_requests_rejected", "Requests refused before any "
                                "work: busy, body too large, unauthorized.", ["reason"],
                                registry=r)
        r.register(PoolCollector(pool_stats))


class PoolCollector(Collector):
    """Read the pool's load and its workers' counters at each scrape."""

    def __init__(self, stats: Callable[[], PoolStats | None]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        """Yield the pool's gauges and the workers' counters (nothing before the pool starts)."""
        stats = self._stats()
        if stats is None:
            return
        for name, doc, value in (
            ("offer_render_workers", "Render worker processes the service keeps.", stats.workers),
            ("offer_render_workers_ready", "Render workers started and ready.", stats.ready),
            ("offer_render_workers_busy", "Render workers rendering now.", stats.busy),
            ("offer_render_requests_waiting", "Requests waiting for a worker.", stats.waiting),
        ):
            yield GaugeMetricFamily(name, doc, value=value)
        yield CounterMetricFamily("offer_render_worker_restarts",
                                  "Render workers replaced (died or killed at a deadline).",
                                  value=max(0, stats.started - stats.workers))
        yield CounterMetricFamily("offer_render_render_timeouts",
                                  "Requests past their deadline.", value=stats.timed_out)
        families = {
            "cache_hits": CounterMetricFamily("offer_render_cache_hits",
                                              "Hits of the engine's caches, all workers.",
                                              labels=["cache"]),
            "cache_misses": CounterMetricFamily("offer_render_cache_misses",
                                                "Misses of the engine's caches, all workers.",
                                                labels=["cache"]),
            "fetch_failures": CounterMetricFamily("offer_render_fetch_failures",
                                                  "Fonts, stylesheets and backgrounds that "
                                                  "could not be had.", labels=["what"]),
        }
        for key, value in sorted(stats.counters.items()):
            kind, _, label = key.partition(":")
            family = families.get(kind)
            if family is not None:
                family.add_metric([label], value)
        yield from families.values()

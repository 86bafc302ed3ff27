"""Prometheus metrics. Names start `crs_`; labels never carry personal data (routes are
templates, never paths with customer references)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from app.persistence.db import Database
from app.snapshot.read_model import ReadModel
from app.snapshot.state import Snapshot

# Fine buckets at the bottom: the hot reads answer in well under a millisecond.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class RequestStats(Collector):
    """Request counts and latencies kept as plain numbers and turned into Prometheus
    families only when scraped: prometheus_client's locked counters would cost the hot
    reads a tenth of their time."""

    def __init__(self) -> None:
        # (method, route, status) -> [count, sum of seconds, count per bucket]
        self._stats: dict[tuple[str, str, int], list[Any]] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        entry = self._stats.get((method, route, status))
        if entry is None:
            entry = self._stats[(method, route, status)] = [
                0,
                0.0,
                [0] * (len(LATENCY_BUCKETS) + 1),
            ]
        entry[0] += 1
        entry[1] += seconds
        entry[2][bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "crs_http_requests", "HTTP requests answered.", labels=("method", "route", "status")
        )
        latency = HistogramMetricFamily(
            "crs_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            labels=("method", "route"),
        )
        by_route: dict[tuple[str, str], list[Any]] = {}
        for (method, route, status), (count, total, buckets) in list(self._stats.items()):
            requests.add_metric((method, route, str(status)), count)
            merged = by_route.setdefault((method, route), [0.0, [0] * len(buckets)])
            merged[0] += total
            merged[1] = [a + b for a, b in zip(merged[1], buckets, strict=True)]
        for (method, route), (total, buckets) in by_route.items():
            cumulative, running = [], 0
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), buckets, strict=True):
                running += count
                cumulative.append(("+Inf" if bound == float("inf") else str(bound), running))
            latency.add_metric((method, route), cumulative, total)
        yield requests
        yield latency


class Metrics:
    """One registry per app, so that tests and several apps in one process stay apart."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = RequestStats()
        r.register(self.requests)
        self.outcomes = Counter(
            "crs_contact_check_outcomes",
            "Contact-check answers by outcome and channel.",
            ("outcome", "channel"),
            registry=r,
        )
        self.database_up = Gauge(
            "crs_database_up", "1 while PostgreSQL can be reached, else 0.", registry=r
        )
        self.change_feed_up = Gauge(
            "crs_change_feed_up", "1 while the LISTEN connection is up, else 0.", registry=r
        )
        self.snapshot_age = Gauge(
            "crs_snapshot_age_seconds",
            "Age of the data the reads answer from (since last confirmed current).",
            registry=r,
        )
        self.snapshot_customers = Gauge(
            "crs_snapshot_customers", "Customers held in the in-memory snapshot.", registry=r
        )
        self.snapshot_reload = Histogram(
            "crs_snapshot_reload_seconds",
            "Time to load the whole snapshot.",
            buckets=(0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=r,
        )
        # Labels are the outcome only: never an endpoint's URL or a customer.
        self.webhook_attempts = Counter(
            "crs_webhook_attempts",
            "Webhook delivery attempts by outcome (delivered, http_error, timeout, ...).",
            ("outcome",),
            registry=r,
        )
        self.webhook_latency = Histogram(
            "crs_webhook_attempt_seconds",
            "Time a webhook delivery attempt took.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
            registry=r,
        )
        self.events_published = Counter(
            "crs_events_published", "Events given their place in the feed.", registry=r
        )
        self.pool_in_use = Gauge(
            "crs_db_pool_connections_in_use", "Database connections in use.", ("pool",), registry=r
        )
        self.pool_size = Gauge(
            "crs_db_pool_connections", "Database connections open.", ("pool",), registry=r
        )
        self._outcome_counts: dict[tuple[str, str], int] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.record(method, route, status, seconds)

    def count_outcome(self, outcome: str | None, channel: str) -> None:
        key = (outcome or "unknown", channel)
        self._outcome_counts[key] = self._outcome_counts.get(key, 0) + 1

    def sample(
        self, snapshot: Snapshot, database: Database, reads: ReadModel, now: datetime
    ) -> None:
        """Gauges read from the running state at scrape time, not on the hot path."""
        for (outcome, channel), count in list(self._outcome_counts.items()):
            child = self.outcomes.labels(outcome, channel)
            child.inc(count - child._value.get())
        self.database_up.set(0 if snapshot.db_reachable is False else 1)
        self.change_feed_up.set(1 if snapshot.listening else 0)
        age = snapshot.age_seconds(now)
        self.snapshot_age.set(age if age is not None else float("nan"))
        self.snapshot_customers.set(len(snapshot.customers))
        pool = database.engine.pool
        self.pool_size.labels("writes").set(
            getattr(pool, "checkedin", lambda: 0)() + getattr(pool, "checkedout", lambda: 0)()
        )
        self.pool_in_use.labels("writes").set(getattr(pool, "checkedout", lambda: 0)())
        size, idle = reads.pool_stats()
        self.pool_size.labels("reads").set(size)
        self.pool_in_use.labels("reads").set(size - idle)

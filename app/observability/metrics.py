"""Prometheus metrics. Names start `crs_`; labels never carry personal data (routes are
templates, never paths with customer references)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from app.db import Database
from app.snapshot.reads import ReadModel
from app.snapshot.state import Snapshot

# Fine buckets at the bottom: the hot reads answer in well under a millisecond.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """One registry per app, so that tests and several apps in one process stay apart."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "crs_http_requests",
            "HTTP requests answered.",
            ("method", "route", "status"),
            registry=r,
        )
        self.latency = Histogram(
            "crs_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
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
        self.pool_in_use = Gauge(
            "crs_db_pool_connections_in_use", "Database connections in use.", ("pool",), registry=r
        )
        self.pool_size = Gauge(
            "crs_db_pool_connections", "Database connections open.", ("pool",), registry=r
        )
        self._children: dict[
            tuple[str, str, int], tuple[Callable[[], None], Callable[[float], None]]
        ] = {}
        self._outcomes: dict[tuple[str, str], Callable[[], None]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            child = (
                self.requests.labels(method, route, str(status)).inc,
                self.latency.labels(method, route).observe,
            )
            self._children[key] = child
        child[0]()
        child[1](seconds)

    def count_outcome(self, outcome: str, channel: str) -> None:
        inc = self._outcomes.get((outcome, channel))
        if inc is None:
            inc = self._outcomes[(outcome, channel)] = self.outcomes.labels(outcome, channel).inc
        inc()

    def sample(
        self, snapshot: Snapshot, database: Database, reads: ReadModel, now: datetime
    ) -> None:
        """Gauges read from the running state at scrape time, not on the hot path."""
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

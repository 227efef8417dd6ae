"""Prometheus metrics, one registry per app (several nodes may share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily

from node.storage.database import Database


class _DatabaseCollector:
    def __init__(self, db: Database) -> None:
        self._db = db

    def collect(self):
        family = CounterMetricFamily(
            "quartier_db_interactions", "Database interactions run, by name", labels=["name"]
        )
        for name, count in sorted(self._db.interaction_counts.items()):
            family.add_metric([name], count)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "quartier_http_requests",
            "HTTP requests answered, by route and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "quartier_http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        # Labelled children by (route, method, status): finding them through labels() on
        # every request cost more than counting (bench/feed_load.py).
        self._children: dict[tuple[str, str, int], tuple] = {}

    def count_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One request answered: counted by route, method and status, timed by route."""
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            requests = self.requests.labels(route, method, str(status))
            children = self._children[key] = (requests, self.latency.labels(route))
        counter, histogram = children
        counter.inc()
        histogram.observe(seconds)

    def watch_database(self, db: Database) -> None:
        self.registry.register(_DatabaseCollector(db))

    def render(self) -> bytes:
        return generate_latest(self.registry)

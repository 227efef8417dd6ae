"""Prometheus metrics, one registry per app (several nodes may share a process)."""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

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


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


class _RequestCollector:
    """Requests counted by route, method and status and timed by route, in plain dicts and
    turned into Prometheus families only when scraped. prometheus_client's own Counter and
    Histogram take a lock per update: two updates on every request were ~2% of a cached feed
    page (bench/feed_load.py). Only the event loop's thread counts and renders."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}
        # route -> [observations per bucket (not cumulative; the last is +Inf), sum]
        self.latency: dict[str, list] = {}

    def count(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        timing = self.latency.get(route)
        if timing is None:
            timing = self.latency[route] = [[0] * (len(LATENCY_BUCKETS) + 1), 0.0]
        timing[0][bisect_left(LATENCY_BUCKETS, seconds)] += 1
        timing[1] += seconds

    def collect(self):
        requests = CounterMetricFamily(
            "quartier_http_requests",
            "HTTP requests answered, by route and status",
            labels=["route", "method", "status"],
        )
        for (route, method, status), count in sorted(self.counts.items()):
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "quartier_http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            labels=["route"],
        )
        for route, (observed, total) in sorted(self.latency.items()):
            cumulative = list(accumulate(observed))
            buckets = [(_bound(le), n) for le, n in zip(LATENCY_BUCKETS, cumulative, strict=False)]
            latency.add_metric([route], [*buckets, ("+Inf", cumulative[-1])], sum_value=total)
        yield latency


def _bound(le: float) -> str:
    return str(float(le))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = _RequestCollector()
        self.registry.register(self._requests)

    def count_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One request answered: counted by route, method and status, timed by route."""
        self._requests.count(route, method, status, seconds)

    def watch_database(self, db: Database) -> None:
        self.registry.register(_DatabaseCollector(db))

    def render(self) -> bytes:
        return generate_latest(self.registry)

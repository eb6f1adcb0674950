"""The API's Prometheus metrics: requests by route and status, latency, pool, cache, stream.

Each app has its own registry (tests run several apps in one process). With several worker
processes each serves its own figures; scrape each, or run one worker per container.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector as MetricsSource

if TYPE_CHECKING:
    from collections.abc import Iterator

    from psycopg_pool import AsyncConnectionPool

    from api.cache import AnswerCache
    from api.stream import SpotFeed


class _State(MetricsSource):
    """Figures read when scraped: pool, cache and stream."""

    def __init__(self, pool: AsyncConnectionPool[Any], cache: AnswerCache, feed: SpotFeed) -> None:
        self.pool, self.cache, self.feed = pool, cache, feed

    def describe(self) -> list[GaugeMetricFamily]:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self.pool.get_stats()
        for name, key, doc in (
            ("dxspots_api_pool_size", "pool_size", "Database connections open"),
            ("dxspots_api_pool_available", "pool_available", "Idle database connections"),
            ("dxspots_api_pool_waiting", "requests_waiting", "Requests waiting for a connection"),
        ):
            yield GaugeMetricFamily(name, doc, value=stats.get(key, 0))
        yield GaugeMetricFamily(
            "dxspots_api_cache_hits", "Answers served from the cache", value=self.cache.hits
        )
        yield GaugeMetricFamily(
            "dxspots_api_cache_misses", "Answers computed", value=self.cache.misses
        )
        yield GaugeMetricFamily(
            "dxspots_api_stream_clients", "Live stream clients", value=self.feed.clients
        )
        yield GaugeMetricFamily(
            "dxspots_api_stream_errors", "Streams ended by a database failure",
            value=self.feed.ended_by_error,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "dxspots_api_stream_events", "Spot events sent to stream clients",
            value=self.feed.delivered,
        )  # fmt: skip


class ApiMetrics:
    """The registry and the request metrics."""

    def __init__(self, pool: AsyncConnectionPool[Any], cache: AnswerCache, feed: SpotFeed) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "dxspots_api_requests",
            "HTTP requests answered",
            ["route", "status"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "dxspots_api_request_seconds",
            "Time to answer, to the start of the body for streams",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.dropped = Counter(
            "dxspots_api_clients_dropped",
            "Streamed answers stopped: the client left, or stopped reading",
            ["reason"],
            registry=self.registry,
        )
        self.registry.register(_State(pool, cache, feed))

    def client_dropped(self, reason: str) -> None:
        self.dropped.labels(reason).inc()

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.seconds.labels(route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

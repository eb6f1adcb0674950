"""The API's Prometheus metrics: requests by route and status, latency, pool, cache, stream,
and the replication state of the server the API reads from.

Each app has its own registry (tests run several apps in one process). With several worker
processes each serves its own figures; scrape each, or run one worker per container.

The replication figures are read from the database at each scrape (one cheap statement,
`dxspots.queries.replication`). Reading from a primary, `dxspots_api_read_replica` is 0 and
`dxspots_api_replicas` counts the replicas streaming from it; the lag gauges are absent, since
a primary has no lag. Reading from a replica it is 1, with the lag gauges. When the database
does not answer within `REPLICATION_READ_S`, all of them are absent: /metrics still answers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import psycopg
import psycopg_pool
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector as MetricsSource

from dxspots.queries import ReplicationState, aread_replication

if TYPE_CHECKING:
    from collections.abc import Iterator

    from psycopg_pool import AsyncConnectionPool

    from api.cache import AnswerCache
    from api.stream import SpotFeed

log = logging.getLogger(__name__)

REPLICATION_READ_S = 2.0
"""How long a scrape waits for the replication state before leaving it out."""


class _State(MetricsSource):
    """Figures read when scraped: pool, cache and stream."""

    def __init__(self, pool: AsyncConnectionPool[Any], cache: AnswerCache, feed: SpotFeed) -> None:
        self.pool, self.cache, self.feed = pool, cache, feed
        self.replication: ReplicationState | None = None

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
        yield from _replication_gauges(self.replication)


def _replication_gauges(state: ReplicationState | None) -> Iterator[GaugeMetricFamily]:
    if state is None:
        return  # not read: the database did not answer
    yield GaugeMetricFamily(
        "dxspots_api_read_replica",
        "1 when the API reads from a streaming replica, 0 from a primary",
        value=int(state.replica),
    )
    if not state.replica:
        if state.replicas is not None:
            yield GaugeMetricFamily(
                "dxspots_api_replicas", "Replicas streaming from the server the API reads",
                value=state.replicas,
            )  # fmt: skip
        return
    if state.lag_seconds is not None:
        yield GaugeMetricFamily(
            "dxspots_api_replication_lag_seconds",
            "How far the replica's data is behind the primary's (0: replayed all it received)",
            value=state.lag_seconds,
        )
    if state.replay_pending_bytes is not None:
        yield GaugeMetricFamily(
            "dxspots_api_replication_replay_pending_bytes",
            "WAL the replica received and has not replayed yet",
            value=state.replay_pending_bytes,
        )
    if state.last_replayed_at is not None:
        yield GaugeMetricFamily(
            "dxspots_api_replication_last_replay_timestamp_seconds",
            "When the last transaction the replica replayed committed on the primary (Unix time)",
            value=state.last_replayed_at.timestamp(),
        )


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
        self.pool = pool
        self.state = _State(pool, cache, feed)
        self.registry.register(self.state)

    def client_dropped(self, reason: str) -> None:
        self.dropped.labels(reason).inc()

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.seconds.labels(route).observe(seconds)

    async def read_replication(self) -> None:
        """Read the replication state for the next render; leave it out if the database fails."""
        try:
            async with asyncio.timeout(REPLICATION_READ_S), self.pool.connection() as conn:
                self.state.replication = await aread_replication(conn)
        except (TimeoutError, psycopg.Error, psycopg_pool.PoolTimeout) as error:
            log.debug("metrics: replication state not read: %s", error)
            self.state.replication = None

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

"""`/healthz` and Prometheus `/metrics` on a local HTTP port.

A tiny HTTP/1.0 responder on asyncio (two GET routes need no framework). The metrics are
read from the collector's own counters at scrape time by a prometheus_client collector, so
there is one set of numbers, not two.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as MetricsSource

if TYPE_CHECKING:
    from collector.app import Collector

log = logging.getLogger(__name__)


class CollectorMetrics(MetricsSource):
    """The collector's counters, in Prometheus' terms."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family from the live counters."""
        app = self.collector
        stats = app.pipeline.stats
        written = stats.written
        lines = CounterMetricFamily("dxspots_lines", "Lines received", labels=["node"])
        reconnects = CounterMetricFamily("dxspots_reconnects", "Reconnects", labels=["node"])
        up = GaugeMetricFamily("dxspots_node_logged_in", "1 while logged in", labels=["node"])
        for session in app.sessions:
            lines.add_metric([session.node.name], session.status.lines)
            reconnects.add_metric([session.node.name], session.status.reconnects)
            up.add_metric([session.node.name], int(session.status.logged_in))
        yield from (lines, reconnects, up)
        spots = CounterMetricFamily("dxspots_spots", "Spots written", labels=["result"])
        spots.add_metric(["new"], written.spots_new if written else 0)
        spots.add_metric(["duplicate"], written.spots_duplicate if written else 0)
        yield spots
        rejects = CounterMetricFamily("dxspots_rejects", "Rejected lines", labels=["reason"])
        for reason, count in sorted(dict(stats.rejects_by_reason).items()):  # a copy: the
            # writer thread adds to it
            rejects.add_metric([reason], count)
        yield rejects
        yield GaugeMetricFamily(
            "dxspots_queue_depth", "Lines queued", value=app.pipeline.queue.qsize()
        )
        yield GaugeMetricFamily("dxspots_spool_bytes", "Bytes in the spool", value=app.spool.size)
        yield CounterMetricFamily(
            "dxspots_lost_lines", "Lines lost (spool full)", value=stats.lost_lines
        )
        yield CounterMetricFamily(
            "dxspots_write_seconds", "Time writing batches", value=stats.write_seconds
        )
        yield CounterMetricFamily(
            "dxspots_write_batches", "Batches written", value=stats.written_batches
        )


def health(collector: Collector) -> tuple[int, dict[str, object]]:
    """Ready when a node is logged in and the database or the spool can take spots."""
    logged_in = [s.node.name for s in collector.sessions if s.status.logged_in]
    storage = collector.pipeline.storage_ok()
    body: dict[str, object] = {"nodes_logged_in": logged_in, "storage": storage}
    ready = bool(logged_in) and storage != "unavailable"
    body["status"] = "ok" if ready else "unavailable"
    return (200 if ready else 503), body


class HealthServer:
    """Serve `/healthz` and `/metrics` on `host:port` (127.0.0.1 by default)."""

    def __init__(self, collector: Collector, host: str, port: int) -> None:
        self.collector = collector
        self.host = host
        self.port = port
        self.registry = CollectorRegistry()
        self.registry.register(CollectorMetrics(collector))
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen; return the port."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("health and metrics on http://%s:%s/", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):  # the whole request, headers included
                request = await reader.readline()
                for _ in range(64):
                    if await reader.readline() in (b"\r\n", b"\n", b""):
                        break  # headers: not needed
            parts = request.decode("latin-1").split()
            path = parts[1].split("?")[0] if len(parts) >= 2 else ""
            if len(parts) < 2 or parts[0] != "GET":
                status, body, kind = 405, b'{"error": "method not allowed"}', "application/json"
            elif path == "/healthz":
                code, data = health(self.collector)
                status, body, kind = code, json.dumps(data).encode(), "application/json"
            elif path == "/metrics":
                status, body = 200, generate_latest(self.registry)
                kind = "text/plain; version=0.0.4; charset=utf-8"
            else:
                status, body, kind = 404, b'{"error": "not found"}', "application/json"
            reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}.get(
                status, "Service Unavailable"
            )
            writer.write(
                f"HTTP/1.0 {status} {reason}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):
            pass  # slow, gone, or a line over the reader's limit: nothing to answer
        finally:
            writer.close()

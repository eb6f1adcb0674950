"""`/healthz` and Prometheus `/metrics` on a local HTTP port.

A tiny HTTP/1.0 responder on asyncio (two GET routes need no framework). The metrics are
read from the collector's own counters at scrape time by a prometheus_client collector, so
there is one set of numbers, not two. The server is handed what it reads (a health check and
a metrics source), not the collector.

Health is 503 while no node is logged in, while the spool cannot take the next batch, and
for `LOSS_WINDOW_S` after lines were last lost: spots going missing is not "ok", even when
the loss has stopped for a moment.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as MetricsSource

from collector.pipeline import Pipeline
from collector.session import NodeSession

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Health:
    """The verdict `/healthz` answers with, and why."""

    reasons: tuple[str, ...]
    """Why it is not ok; empty when it is."""
    body: dict[str, object]

    @property
    def ok(self) -> bool:
        """Whether `/healthz` answers 200."""
        return not self.reasons

    def summary(self) -> str:
        """One line for systemd's STATUS= and the log."""
        if self.ok:
            nodes = self.body["nodes_logged_in"]
            count = len(nodes) if isinstance(nodes, list) else 0
            return f"ok: {count} node(s) logged in, storing to the {self.body['storage']}"
        return "unavailable: " + "; ".join(self.reasons)


def status_line(verdict: Health, nodes: int, lines: int, spots: int) -> str:
    """systemd's STATUS= (what `systemctl status` shows): the verdict, the nodes logged in of
    those configured, the lines received and spots stored in the last minute, and where the
    spots go."""
    logged_in = verdict.body["nodes_logged_in"]
    count = len(logged_in) if isinstance(logged_in, list) else 0
    storage = verdict.body["storage"]
    where = {"database": "storing to the database", "spool": "SPOOLING (the database is away)",
             "spool full": "SPOOL FULL"}.get(str(storage), str(storage))  # fmt: skip
    facts = (f"{count} of {nodes} node(s) logged in, {lines:,} lines received and {spots:,}"
             f" spots stored in the last minute, {where}")  # fmt: skip
    return f"ok: {facts}" if verdict.ok else f"unavailable: {'; '.join(verdict.reasons)}; {facts}"


class StatusLine:
    """When to tell systemd what: the status line over the last `window_s`, sent at once when
    the verdict, the storage or the number of reasons changes, else at most every `every_s`
    while the counts move (and never twice the same)."""

    def __init__(self, nodes: int, now: float, *, every_s: float = 10.0,
                 window_s: float = 60.0) -> None:  # fmt: skip
        self.nodes = nodes
        self.every_s = every_s
        self.window_s = window_s
        self.samples: deque[tuple[float, int, int]] = deque([(now, 0, 0)])  # none yet at start
        self.said = ""
        self.said_at = float("-inf")
        self.state: tuple[object, ...] | None = None

    def update(self, verdict: Health, lines: int, spots: int, now: float) -> str | None:
        """The line to send now, or None; `lines` and `spots` are the totals since start."""
        self.samples.append((now, lines, spots))
        while len(self.samples) > 1 and self.samples[0][0] < now - self.window_s:
            self.samples.popleft()
        _, lines_then, spots_then = self.samples[0]
        text = status_line(verdict, self.nodes, lines - lines_then, spots - spots_then)
        state = (verdict.ok, verdict.body["storage"], len(verdict.reasons))
        if text == self.said or (state == self.state and now - self.said_at < self.every_s):
            return None
        self.said, self.said_at, self.state = text, now, state
        return text


def assess(sessions: Sequence[NodeSession], pipeline: Pipeline) -> Health:
    """Judge the collector: ok when a node is logged in, the next batch has somewhere to go,
    and no line was lost within the loss window."""
    logged_in = [s.node.name for s in sessions if s.status.logged_in]
    storage = pipeline.storage()
    spool, losses = pipeline.spool, pipeline.losses
    recent = losses.recent()
    reasons = []
    if not logged_in:
        reasons.append("no node is logged in")
    if storage == "spool full":
        reasons.append(
            f"the spool cannot take the next batch ({spool.size:,} of {spool.cap_bytes:,} "
            "bytes used) and the database is away: new lines are lost"
        )
    if recent:
        assert losses.last_at is not None
        reasons.append(
            f"{recent:,} lines lost in the last {losses.window:g} s, the last at "
            f"{losses.last_at:%Y-%m-%d %H:%M:%S}Z"
        )
    body: dict[str, object] = {
        "status": "unavailable" if reasons else "ok",
        "reasons": reasons,
        "nodes_logged_in": logged_in,
        "storage": storage,
        "spool_bytes": spool.size,
        "spool_cap_bytes": spool.cap_bytes,
        "lost_lines": pipeline.stats.lost_lines,
        "lost_lines_recent": recent,
        "loss_window_seconds": losses.window,
        "last_lost_at": losses.last_at.isoformat() if losses.last_at else None,
    }
    return Health(tuple(reasons), body)


class CollectorMetrics(MetricsSource):
    """The collector's counters, in Prometheus' terms."""

    def __init__(self, sessions: Sequence[NodeSession], pipeline: Pipeline) -> None:
        self.sessions = sessions
        self.pipeline = pipeline

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family from the live counters."""
        pipeline = self.pipeline
        stats = pipeline.stats
        written = stats.written
        lines = CounterMetricFamily("dxspots_lines", "Lines received", labels=["node"])
        reconnects = CounterMetricFamily("dxspots_reconnects", "Reconnects", labels=["node"])
        up = GaugeMetricFamily("dxspots_node_logged_in", "1 while logged in", labels=["node"])
        probes = CounterMetricFamily(
            "dxspots_node_probes", "Probes sent to a quiet node", labels=["node"]
        )
        gaps = CounterMetricFamily(
            "dxspots_backfill_gaps", "Gaps the node's history could not close", labels=["node"]
        )
        missed = CounterMetricFamily(
            "dxspots_backfill_missed_spots", "Spots estimated missing in those gaps",
            labels=["node"],
        )  # fmt: skip
        for session in self.sessions:
            name, status = session.node.name, session.status
            lines.add_metric([name], status.lines)
            reconnects.add_metric([name], status.reconnects)
            up.add_metric([name], int(status.logged_in))
            probes.add_metric([name], status.probes)
            gaps.add_metric([name], status.gaps)
            missed.add_metric([name], status.missed)
        yield from (lines, reconnects, up, probes, gaps, missed)
        spots = CounterMetricFamily("dxspots_spots", "Spots written", labels=["result"])
        spots.add_metric(["new"], written.spots_new if written else 0)
        spots.add_metric(["duplicate"], written.spots_duplicate if written else 0)
        # Late spots of a month retention archived: not stored (docs/retention.md).
        spots.add_metric(["archived"], written.spots_archived if written else 0)
        yield spots
        rejects = CounterMetricFamily("dxspots_rejects", "Rejected lines", labels=["reason"])
        for reason, count in sorted(dict(stats.rejects_by_reason).items()):  # a copy: the
            # writer thread adds to it
            rejects.add_metric([reason], count)
        yield rejects
        yield GaugeMetricFamily("dxspots_queue_depth", "Lines queued", value=pipeline.queue.qsize())
        yield GaugeMetricFamily(
            "dxspots_spool_bytes", "Bytes in the spool", value=pipeline.spool.size
        )
        yield CounterMetricFamily(
            "dxspots_lost_lines", "Lines lost (spool full)", value=stats.lost_lines
        )
        yield GaugeMetricFamily(
            "dxspots_spool_full", "1 while the spool cannot take the next batch",
            value=int(pipeline.storage() == "spool full"),
        )  # fmt: skip
        yield CounterMetricFamily(
            "dxspots_write_seconds", "Time writing batches", value=stats.write_seconds
        )
        yield CounterMetricFamily(
            "dxspots_write_batches", "Batches written", value=stats.written_batches
        )


class HealthServer:
    """Serve `/healthz` and `/metrics` on `host:port` (127.0.0.1 by default)."""

    def __init__(
        self, check: Callable[[], Health], metrics: MetricsSource, host: str, port: int
    ) -> None:
        self.check = check
        self.host = host
        self.port = port
        self.registry = CollectorRegistry()
        self.registry.register(metrics)
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
                verdict = self.check()
                status, kind = (200 if verdict.ok else 503), "application/json"
                body = json.dumps(verdict.body).encode()
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

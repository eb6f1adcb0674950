"""`dxspots collect`: every configured node connected at once, one pipeline to PostgreSQL.

Each node has its own session task; all feed one pipeline. SIGTERM and SIGINT stop the
sessions, store (or spool) what is queued, and return 0. A summary line is logged once a
minute. The health verdict (`collector.health`) is checked every second: systemd's STATUS=
carries it, and the log says when it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from collector.backfill import SpotMark
from collector.health import CollectorMetrics, Health, HealthServer, StatusLine, assess
from collector.logrepeats import RepeatFilter
from collector.pipeline import Connect, Pipeline
from collector.sdnotify import Notifier
from collector.session import NodeSession
from collector.spool import Spool
from dxspots.db.gaps import newest_spot, record_gaps
from dxspots.db.nodestatus import (
    LOSS_WINDOW_S,
    CollectorStatusRow,
    NodeStatusRow,
    write_node_status,
)
from dxspots.db.retention import RetentionBusyError
from dxspots.enrich import Enricher
from dxspots.runtime import NO_VERSION
from dxspots.settings import NodeConfig

log = logging.getLogger(__name__)

SUMMARY_SECONDS = 60.0
STATUS_SECONDS = 10.0
"""How often the node status rows are written."""
RATE_WINDOW_S = 60.0
"""Lines per minute are counted over about this long."""
HEALTH_SECONDS = 1.0
"""How often the health verdict is checked for systemd's STATUS= and the log."""
STATUS_EVERY_S = 10.0
"""How often systemd's status line follows the counts (a change of health: at once)."""
COUNTRY_FILE_SECONDS = 60.0
"""How often the country file's modification time is looked at (a new one is loaded)."""
HOUSEKEEPING_DELAY_S = 600.0
"""Seconds after start before the first housekeeping run (retention): the nodes first."""
HOUSEKEEPING_SECONDS = 86_400.0
"""Seconds between housekeeping runs: once a day."""


class CollectorConfigError(ValueError):
    """The settings do not allow collecting; the message names the setting."""


@dataclass
class Collector:
    """The running collector: sessions, the pipeline, and how to stop them."""

    nodes: list[NodeConfig]
    callsign: str | None
    connect: Connect
    enricher: Enricher
    spool: Spool
    notifier: Notifier = field(default_factory=lambda: Notifier(None))
    metrics_address: tuple[str, int] | None = None
    """Where to serve /healthz and /metrics; None: not served."""
    sessions: list[NodeSession] = field(default_factory=list)
    name: str = field(default_factory=socket.gethostname)
    """This collector's name in `collector_status` (the host name)."""
    loss_window: float = LOSS_WINDOW_S
    """Seconds after lines were lost during which health is 503 (tests shorten it)."""
    status_seconds: float = STATUS_SECONDS
    country_file_check: Callable[[], Enricher | None] | None = None
    """Called every `country_file_seconds`: a new enricher when the country file changed
    (`dxspots.runtime.CountryFileWatch.check`); None: the file is loaded once."""
    country_file_seconds: float = COUNTRY_FILE_SECONDS
    reenrich: Callable[[Enricher], None] | None = None
    """Called in a thread of its own with each new enricher the check installs: re-enrich
    the spots stored without an entity (those this collector stored before it took the file
    included, which `dxspots cty update`'s own run may have passed already)."""
    housekeeping: Callable[[], str] | None = None
    """Retention: run `housekeeping_delay` after start, then every `housekeeping_seconds`, in
    a thread of its own with its own connection, never two at once; what it says it did is
    logged, and a failure is logged and tried again at the next run. None: no housekeeping."""
    housekeeping_delay: float = HOUSEKEEPING_DELAY_S
    housekeeping_seconds: float = HOUSEKEEPING_SECONDS
    pipeline: Pipeline = field(init=False)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _line_samples: dict[str, deque[tuple[float, int]]] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)
    _repeats: RepeatFilter = field(default_factory=RepeatFilter)
    _housekeeping_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.nodes:
            raise CollectorConfigError(
                "DXSPOTS_NODES is empty: name at least one node (docs/configuration.md)"
            )
        missing = [node.name for node in self.nodes if not (node.callsign or self.callsign)]
        if missing:
            raise CollectorConfigError(
                f"DXSPOTS_CALLSIGN is not set, and nodes {', '.join(missing)} have no callsign "
                "of their own: set your callsign to log in"
            )
        self.pipeline = Pipeline(
            self.connect, self.enricher, self.spool, loss_window=self.loss_window
        )

    def stop(self) -> None:
        """Ask the collector to stop (what SIGTERM and SIGINT do)."""
        self._stop.set()

    def health(self) -> Health:
        """What `/healthz` answers now."""
        return assess(self.sessions, self.pipeline)

    def _writer_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the writer stopped: %r; shutting down", task.exception())
            self.stop()

    async def run(self, on_ready: Callable[[], None] | None = None) -> None:
        """Run until `stop`; then store or spool what is queued."""
        self._repeats.install()
        try:
            await self._run(on_ready)
        finally:
            self._repeats.uninstall()

    async def _run(self, on_ready: Callable[[], None] | None) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.stop)
        pipeline = self.pipeline
        self.sessions = [
            NodeSession(node, self.callsign or "", pipeline.submit) for node in self.nodes
        ]
        health = None
        if self.metrics_address is not None:  # first: a busy port stops us before anything
            metrics = CollectorMetrics(self.sessions, pipeline)
            health = HealthServer(self.health, metrics, *self.metrics_address)
            try:
                await health.start()
            except OSError as error:
                host, port = self.metrics_address
                raise CollectorConfigError(
                    f"DXSPOTS_METRICS_PORT: /healthz and /metrics cannot be served on "
                    f"{host}:{port}: {error.strerror or error} (is another collector running? "
                    "Set DXSPOTS_METRICS_PORT to a free port, or DXSPOTS_METRICS_HOST)"
                ) from None
        await asyncio.to_thread(self.seed_marks)
        tasks = [asyncio.create_task(session.run()) for session in self.sessions]
        writer = asyncio.create_task(pipeline.run())
        writer.add_done_callback(self._writer_ended)
        summary = asyncio.create_task(self._summaries())
        watchdog = asyncio.create_task(self.notifier.watchdog())
        status = asyncio.create_task(self._status_writes())
        country = asyncio.create_task(self._country_file_checks())
        housekeeping = asyncio.create_task(self._housekeeping())
        self.notifier.send("READY=1")
        verdicts = asyncio.create_task(self._health_watch())
        if on_ready is not None:
            on_ready()
        log.info("collecting from %s", ", ".join(node.name for node in self.nodes))
        await self._stop.wait()
        log.info("stopping: storing what is queued")
        self.notifier.send("STOPPING=1")
        helpers = [*tasks, summary, watchdog, status, verdicts, country, housekeeping]
        for task in helpers:
            task.cancel()
        await asyncio.wait(helpers, timeout=10)  # a stuck session must not stop the shutdown
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await pipeline.drain([line for s in self.sessions for line in s.abandoned])
        await asyncio.to_thread(self.write_status)
        if health is not None:
            await health.stop()
        self._log_summary()

    def _lines_per_minute(self, node: str, lines: int) -> float | None:
        """The node's line rate since the sample about a minute ago (None at first)."""
        now = time.monotonic()
        # The first rate counts from the collector's start, when the node had sent nothing.
        samples = self._line_samples.setdefault(node, deque([(self._started, 0)]))
        samples.append((now, lines))
        while len(samples) > 2 and now - samples[1][0] >= RATE_WINDOW_S:
            samples.popleft()
        then, before = samples[0]
        if now - then < 1:
            return None
        return round((lines - before) * 60 / (now - then), 1)

    def collector_row(self) -> CollectorStatusRow:
        """This collector's own state: spool, queue, totals."""
        pipeline = self.pipeline
        stats = pipeline.stats
        country_file = pipeline.enricher.country_file
        return CollectorStatusRow(
            self.name, self.started_at, self.spool.size, pipeline.queue.qsize(),
            stats.lines, stats.lost_lines, self.spool.cap_bytes,
            pipeline.storage() == "spool full", pipeline.losses.last_at,
            None if country_file is None else country_file.version or NO_VERSION,
        )  # fmt: skip

    def status_rows(self) -> list[NodeStatusRow]:
        """Each node's state, with the pipeline's spot and reject counts."""
        stats = self.pipeline.stats
        return [
            NodeStatusRow(
                s.node.name,
                s.node.host,
                s.node.port,
                s.status.software,
                s.status.logged_in,
                s.status.connected_since,
                s.status.last_line_at,
                s.status.lines,
                stats.spots_by_node.get(s.node.name, 0),
                stats.rejects_by_node.get(s.node.name, 0),
                s.status.overflows,
                s.status.reconnects,
                s.status.last_error,
                self._lines_per_minute(s.node.name, s.status.lines),
                s.status.probes,
                s.status.gaps,
                s.status.missed,
            )
            for s in self.sessions
        ]

    def write_status(self) -> None:
        """Write the node status rows and the gaps found; a database that is away is logged,
        not raised (the gaps wait for the next write)."""
        taken = [len(session.gaps) for session in self.sessions]  # more may come meanwhile
        gaps = [gap for session, n in zip(self.sessions, taken, strict=True)
                for gap in session.gaps[:n]]  # fmt: skip
        try:
            with self.connect() as conn:
                write_node_status(conn, self.status_rows(), self.collector_row())
                if gaps:
                    try:
                        record_gaps(conn, gaps)
                    except psycopg.Error as error:
                        log.warning("gaps not recorded (kept for the next write): %s", error)
                        return
        except psycopg.Error as error:
            log.warning("node status not written: %s", error)
            return
        for session, n in zip(self.sessions, taken, strict=True):
            del session.gaps[:n]

    def seed_marks(self) -> None:
        """Give each session the newest spot stored from its node, so that the first
        back-fill reaches back to it (after a crash, the queue's spots were never stored)."""
        try:
            with self.connect() as conn:
                for session in self.sessions:
                    newest = newest_spot(conn, session.node.name)
                    if newest is not None:
                        session.mark = SpotMark(
                            newest.spot_time, newest.dx_call, newest.spotter,
                            newest.freq_khz, newest.received_at,
                        )  # fmt: skip
                        session.spot_rate = newest.per_second or None
        except psycopg.Error as error:
            log.warning("the newest stored spots could not be read (%s): back-fill asks "
                        "for the nodes' usual history", error)  # fmt: skip

    async def _country_file_checks(self) -> None:
        """Enrich with a new country file from the next batch on, once it is on disk."""
        if self.country_file_check is None:
            return
        while True:
            await asyncio.sleep(self.country_file_seconds)
            enricher = await asyncio.to_thread(self.country_file_check)
            if enricher is not None:
                self.enricher = self.pipeline.enricher = enricher
                if self.reenrich is not None:
                    # A daemon thread: a stop does not wait for a long run (it resumes).
                    threading.Thread(
                        target=self.reenrich, args=(enricher,), name="reenrich", daemon=True
                    ).start()

    async def _housekeeping(self) -> None:
        """Start a housekeeping run now and then; the collecting never waits for one."""
        if self.housekeeping is None:
            return
        await asyncio.sleep(self.housekeeping_delay)
        while True:
            # A daemon thread: a stop does not wait for a long run (the next one finishes it).
            threading.Thread(target=self.housekeep, name="housekeeping", daemon=True).start()
            await asyncio.sleep(self.housekeeping_seconds)

    def housekeep(self) -> None:
        """Run housekeeping once, unless a run is still going; log what it did or why not."""
        if self.housekeeping is None:
            return
        if not self._housekeeping_lock.acquire(blocking=False):
            log.warning("housekeeping: the last run is still going; skipped this time")
            return
        try:
            log.info("housekeeping: %s", self.housekeeping())
        except RetentionBusyError as error:  # `dxspots archive` from cron, say: not a fault
            log.warning("housekeeping skipped: %s", error)
        except Exception as error:  # the outermost loop of this thread: logged, tried again
            log.error("housekeeping failed (tried again in %.0f s): %s: %s",
                      self.housekeeping_seconds, type(error).__name__, error)  # fmt: skip
        finally:
            self._housekeeping_lock.release()

    async def _status_writes(self) -> None:
        while True:
            await asyncio.sleep(self.status_seconds)
            await asyncio.to_thread(self.write_status)

    async def _health_watch(self) -> None:
        """Tell systemd (STATUS=) what health says, with the nodes logged in and the lines
        and spots of the last minute (`StatusLine` says when), and log when it turns bad or
        good again."""
        status = StatusLine(len(self.sessions), time.monotonic(), every_s=STATUS_EVERY_S)
        was_ok = None
        while True:
            await asyncio.sleep(HEALTH_SECONDS)
            verdict = self.health()
            stats = self.pipeline.stats
            line = status.update(verdict, stats.lines, sum(stats.spots_by_node.values()),
                                 time.monotonic())  # fmt: skip
            if line is not None:
                self.notifier.send(f"STATUS={line}")
            summary = verdict.summary()
            if verdict.ok != was_ok:  # the first verdict (nodes still logging in) is news only
                bad = not verdict.ok and was_ok is not None
                log.log(logging.WARNING if bad else logging.INFO, "health: %s", summary)
                was_ok = verdict.ok

    async def _summaries(self) -> None:
        while True:
            await asyncio.sleep(SUMMARY_SECONDS)
            self._log_summary()

    def _log_summary(self) -> None:
        stats = self.pipeline.stats
        written = stats.written
        nodes = ", ".join(
            f"{s.status.name} {'up' if s.status.logged_in else 'down'} {s.status.lines} lines"
            for s in self.sessions
        )
        log.info(
            "lines %d, spots new %d, duplicates %d, of archived months %d, rejected %d, "
            "spooled batches %d, queue %d, spool %d bytes; %s",
            stats.lines, written.spots_new if written else 0,
            written.spots_duplicate if written else 0, written.spots_archived if written else 0,
            written.rejected if written else 0,
            stats.spooled_batches, self.pipeline.queue.qsize(), self.spool.size, nodes,
        )  # fmt: skip
        for logger, message, count in self._repeats.flush():
            log.info("%d more log lines like this were suppressed: %s: %s", count, logger, message)

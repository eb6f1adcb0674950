"""From lines to rows: a bounded queue, parse + enrich, batches to the writer or the spool.

Node sessions `await pipeline.submit(...)`: when the queue is full they wait, which slows
their reading (explicit back-pressure; the node's TCP window does the rest). `run` takes a
batch when `batch_size` lines are queued or `flush_seconds` after the first one, parses and
enriches it and writes it in a worker thread through the one write path. When the database
cannot take a batch, the batch goes to the spool and so does every later one, in order, until
the database answers again; then the spool is replayed, oldest first, and cleared. Lines
are spooled raw, so a replay parses them as the first time would have.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import psycopg

from collector.linereader import GarbledLine
from collector.losses import LossLog
from collector.spool import RawLine, Spool
from dxspots.db.nodestatus import LOSS_WINDOW_S
from dxspots.db.writer import IGNORED_REASONS, SpotWriter, WriteResult
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import Other, Record, Spot

log = logging.getLogger(__name__)

Connect = Callable[[], psycopg.Connection[tuple[object, ...]]]
GARBLED = "garbled by telnet commands"
"""The reject reason of a line that came with telnet commands and was not understood."""


@dataclass(slots=True)
class PipelineStats:
    """Counters for the logs, the health endpoint and the node status."""

    lines: int = 0
    batches: int = 0
    spooled_batches: int = 0
    replayed_batches: int = 0
    lost_lines: int = 0
    write_seconds: float = 0.0
    written: WriteResult | None = None
    written_batches: int = 0
    spots_by_node: dict[str | None, int] = field(default_factory=dict)
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    rejects_by_node: dict[str | None, int] = field(default_factory=dict)


class Pipeline:
    """Queue, parse, enrich and store lines; spool them while the database is away."""

    def __init__(
        self,
        connect: Connect,
        enricher: Enricher,
        spool: Spool,
        *,
        batch_size: int = 1000,
        flush_seconds: float = 0.2,
        queue_size: int = 100_000,
        retry_seconds: float = 5.0,
        loss_window: float = LOSS_WINDOW_S,
    ) -> None:
        self.connect = connect
        self.enricher = enricher
        self.spool = spool
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.retry_seconds = retry_seconds
        self.queue: asyncio.Queue[RawLine] = asyncio.Queue(queue_size)
        self.stats = PipelineStats(written=WriteResult())
        self.losses = LossLog(loss_window)
        self._writer: SpotWriter | None = None
        self._next_try = 0.0
        self._spooling = spool.size > 0  # a spool left by an earlier run is replayed first
        self._pending: list[RawLine] = []
        self._inflight: asyncio.Future[None] | None = None
        self._store_lock = threading.Lock()

    def storage(self) -> str:
        """Where the next batch goes: `database`, `spool`, or `spool full` when spooling and
        the spool has no room for a batch as large as the largest it was offered (the next
        one would be lost, even if the spool is not quite at its cap)."""
        if not self._spooling:
            return "database"
        return "spool" if self.spool.has_room() else "spool full"

    async def submit(self, line: str, received_at: datetime, node: str | None) -> None:
        """Queue one line; waits while the queue is full."""
        await self.queue.put((line, received_at, node))

    async def run(self) -> None:
        """Take batches off the queue and store them, until cancelled. While spooling, try
        the database every `retry_seconds` even when no line arrives, so that a quiet feed
        does not leave the spool unreplayed. Lines taken off the queue are held in
        `_pending` until stored, so a cancellation loses none of them: `drain` stores them."""
        while True:
            if self._spooling and self.queue.empty():
                try:
                    async with asyncio.timeout(self.retry_seconds):
                        self._pending.append(await self.queue.get())
                except TimeoutError:
                    await asyncio.shield(asyncio.to_thread(self._store_blocking, []))
                    continue
            await self._collect()
            await self.store_pending()

    async def drain(self, extra: list[RawLine] | None = None) -> None:
        """Store (or spool) what is pending and queued now, and `extra` (at shutdown)."""
        while not self.queue.empty():
            self._pending.append(self.queue.get_nowait())
        self._pending.extend(extra or ())
        if self._pending:
            await self.store_pending()
        await self._idle()

    async def _collect(self) -> None:
        if not self._pending:
            self._pending.append(await self.queue.get())
        deadline = asyncio.get_running_loop().time() + self.flush_seconds
        while len(self._pending) < self.batch_size:
            timeout = deadline - asyncio.get_running_loop().time()
            if timeout <= 0:
                break
            try:
                async with asyncio.timeout(timeout):
                    self._pending.append(await self.queue.get())
            except TimeoutError:
                break

    async def store_pending(self) -> None:
        """Store the pending lines in a worker thread. The thread finishes even if this is
        cancelled (shield), and only one store runs at a time (`_store_lock`)."""
        batch, self._pending = self._pending, []
        self.stats.lines += len(batch)
        self.stats.batches += 1
        self._inflight = asyncio.ensure_future(asyncio.to_thread(self._store_blocking, batch))
        await asyncio.shield(self._inflight)

    async def _idle(self) -> None:
        """Wait for a store still running in its thread (after a cancellation)."""
        if self._inflight is not None and not self._inflight.done():
            await asyncio.wait([self._inflight])

    def _store_blocking(self, batch: list[RawLine]) -> None:
        """Write a batch, or spool it (keeping the order) while the database is away. Never
        raises: whatever goes wrong, the batch ends up written, spooled, or (spool full, or
        a batch the database refuses outright) logged with its lines kept aside."""
        with self._store_lock:
            if self._spooling and not self._replay():
                if batch:
                    self._to_spool(batch)
                return
            if not batch:
                return
            try:
                self._write(batch)
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                self._writer = None
                self._spooling = True
                self._next_try = time.monotonic() + self.retry_seconds
                log.error("database write failed (%s); spooling to %s", error, self.spool.path)
                self._to_spool(batch)
            except Exception:
                # Not an outage: this batch itself is refused. Keep it aside, go on.
                self._writer = None
                log.exception("a batch of %d lines was refused; kept in %s", len(batch),
                              self.spool.refused_path)  # fmt: skip
                try:
                    self.spool.keep_refused(batch)
                except OSError as error:
                    self._lose(batch, error)

    def _to_spool(self, batch: list[RawLine]) -> None:
        try:
            self.spool.append(batch)
            self.stats.spooled_batches += 1
        except OSError as error:  # SpoolFullError included
            self._lose(batch, error)

    def _lose(self, batch: list[RawLine], error: OSError) -> None:
        self.stats.lost_lines += len(batch)
        self.losses.add(len(batch))
        log.error("%d lines lost: %s", len(batch), error)

    def _replay(self) -> bool:
        """Try to store the whole spool; True when it is empty afterwards."""
        if time.monotonic() < self._next_try:
            return False
        try:
            for batch in self.spool.replay():
                self._write(batch)
                self.stats.replayed_batches += 1
        except Exception as error:  # the database, or the spool file itself
            self._writer = None
            self._next_try = time.monotonic() + self.retry_seconds
            log.warning("spool not replayed yet (%s); keeping it", error)
            return False
        self.spool.clear()
        self._spooling = False
        log.info("spool replayed and cleared")
        return True

    def _records(self, batch: list[RawLine]) -> tuple[list[Record], list[tuple[str, str | None]]]:
        """Parse and enrich a batch; also return (kind, node) per spot and reject, counted
        into the statistics only once the batch is written (a retried replay counts once)."""
        enrich = self.enricher.enrich
        counts: list[tuple[str, str | None]] = []
        records: list[Record] = []
        for line, received_at, node in batch:
            if type(line) is GarbledLine:
                record = parse_line(str(line), received_at, node)
                if type(record) is Other and record.reason == "unrecognised":
                    record = replace(record, reason=GARBLED)  # kept, not dropped as chatter
            else:
                record = parse_line(line, received_at, node)
            if type(record) is Spot:
                record = enrich(record)
                counts.append(("spot", node))
            elif isinstance(record, Other) and record.reason not in IGNORED_REASONS:
                counts.append((record.reason, node))
            records.append(record)
        return records, counts

    def _count(self, counts: list[tuple[str, str | None]]) -> None:
        stats = self.stats
        for kind, node in counts:
            if kind == "spot":
                stats.spots_by_node[node] = stats.spots_by_node.get(node, 0) + 1
            else:
                stats.rejects_by_node[node] = stats.rejects_by_node.get(node, 0) + 1
                stats.rejects_by_reason[kind] = stats.rejects_by_reason.get(kind, 0) + 1

    def _write(self, batch: list[RawLine]) -> None:
        """Parse, enrich and write one batch (runs in a worker thread)."""
        records, counts = self._records(batch)
        if self._writer is None:
            self._writer = SpotWriter(self.connect(), notify=True, skip_archived=True)
        started = time.perf_counter()
        try:
            result = self._writer.write(records)
        except psycopg.Error:
            self._writer.conn.close()
            raise
        self.stats.write_seconds += time.perf_counter() - started
        self.stats.written_batches += 1
        self._count(counts)
        assert self.stats.written is not None
        self.stats.written.add(result)

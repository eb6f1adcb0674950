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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from collector.spool import RawLine, Spool, SpoolFullError
from dxspots.db.writer import IGNORED_REASONS, SpotWriter, WriteResult
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import Other, Record, Spot

log = logging.getLogger(__name__)

Connect = Callable[[], psycopg.Connection[tuple[object, ...]]]


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
    ) -> None:
        self.connect = connect
        self.enricher = enricher
        self.spool = spool
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.retry_seconds = retry_seconds
        self.queue: asyncio.Queue[RawLine] = asyncio.Queue(queue_size)
        self.stats = PipelineStats(written=WriteResult())
        self._writer: SpotWriter | None = None
        self._next_try = 0.0
        self._spooling = spool.size > 0  # a spool left by an earlier run is replayed first

    def storage_ok(self) -> str:
        """`database` while writing, `spool` while spooling, `unavailable` when the spool is
        full too."""
        if not self._spooling:
            return "database"
        return "spool" if self.spool.size < self.spool.cap_bytes else "unavailable"

    async def submit(self, line: str, received_at: datetime, node: str | None) -> None:
        """Queue one line; waits while the queue is full."""
        await self.queue.put((line, received_at, node))

    async def run(self) -> None:
        """Take batches off the queue and store them, until cancelled. While spooling, try
        the database every `retry_seconds` even when no line arrives, so that a quiet feed
        does not leave the spool unreplayed."""
        while True:
            first = None
            if self._spooling and self.queue.empty():
                try:
                    async with asyncio.timeout(self.retry_seconds):
                        first = await self.queue.get()
                except TimeoutError:
                    await asyncio.to_thread(self._replay)
                    continue
            batch = await self._collect(first)
            await self.store(batch)

    async def drain(self) -> None:
        """Store what is queued now (at shutdown), or spool it."""
        batch: list[RawLine] = []
        while not self.queue.empty():
            batch.append(self.queue.get_nowait())
        if batch:
            await self.store(batch)

    async def _collect(self, first: RawLine | None = None) -> list[RawLine]:
        batch = [first if first is not None else await self.queue.get()]
        deadline = asyncio.get_running_loop().time() + self.flush_seconds
        while len(batch) < self.batch_size:
            timeout = deadline - asyncio.get_running_loop().time()
            if timeout <= 0:
                break
            try:
                async with asyncio.timeout(timeout):
                    batch.append(await self.queue.get())
            except TimeoutError:
                break
        return batch

    async def store(self, batch: list[RawLine]) -> None:
        """Write a batch, or spool it (keeping the order) while the database is away."""
        self.stats.lines += len(batch)
        self.stats.batches += 1
        if self._spooling and not await asyncio.to_thread(self._replay):
            self._to_spool(batch)
            return
        try:
            await asyncio.to_thread(self._write, batch)
        except psycopg.Error as error:
            self._writer = None
            self._spooling = True
            self._next_try = time.monotonic() + self.retry_seconds
            log.error("database write failed (%s); spooling to %s", error, self.spool.path)
            self._to_spool(batch)

    def _to_spool(self, batch: list[RawLine]) -> None:
        try:
            self.spool.append(batch)
            self.stats.spooled_batches += 1
        except (SpoolFullError, OSError) as error:
            self.stats.lost_lines += len(batch)
            log.error("%d lines lost: %s", len(batch), error)

    def _replay(self) -> bool:
        """Try to store the whole spool; True when it is empty afterwards (runs in a thread)."""
        if time.monotonic() < self._next_try:
            return False
        try:
            for batch in self.spool.replay():
                self._write(batch)
                self.stats.replayed_batches += 1
        except psycopg.Error as error:
            self._writer = None
            self._next_try = time.monotonic() + self.retry_seconds
            log.warning("database still unavailable (%s); keeping the spool", error)
            return False
        self.spool.clear()
        self._spooling = False
        log.info("spool replayed and cleared")
        return True

    def _records(self, batch: list[RawLine]) -> list[Record]:
        enrich = self.enricher.enrich
        spots, rejects = self.stats.spots_by_node, self.stats.rejects_by_node
        records: list[Record] = []
        for line, received_at, node in batch:
            record = parse_line(line, received_at, node)
            if type(record) is Spot:
                record = enrich(record)
                spots[node] = spots.get(node, 0) + 1
            elif isinstance(record, Other) and record.reason not in IGNORED_REASONS:
                rejects[node] = rejects.get(node, 0) + 1
                reasons = self.stats.rejects_by_reason
                reasons[record.reason] = reasons.get(record.reason, 0) + 1
            records.append(record)
        return records

    def _write(self, batch: list[RawLine]) -> None:
        """Parse, enrich and write one batch (runs in a worker thread)."""
        records = self._records(batch)
        if self._writer is None:
            self._writer = SpotWriter(self.connect())
        started = time.perf_counter()
        try:
            result = self._writer.write(records)
        except psycopg.Error:
            self._writer.conn.close()
            raise
        self.stats.write_seconds += time.perf_counter() - started
        self.stats.written_batches += 1
        assert self.stats.written is not None
        self.stats.written.add(result)

"""The live stream: new spots as Server-Sent Events, fed by PostgreSQL LISTEN/NOTIFY.

One `SpotFeed` per API process holds one connection that LISTENs on the channel the
collector's writer notifies after each batch that stored new spots. On a streaming replica
(the read DSN may be one: docs/scaling.md) no notification ever arrives, since NOTIFY is not
replicated: there the feed asks every `REPLICA_POLL_S` instead, by `id`, an index probe that
finds nothing most of the time. On each notification (or poll)
it reads the rows stored since the last one it saw (by `id`) and hands each to every
subscriber whose filters it passes (the catalogue's `matches`, the same test as the SQL).
A client that reconnects with `Last-Event-ID` first gets what it missed from the database,
then the live rows; a client too slow to keep up is caught up from the database the same
way, so none is dropped in between. Spots received more than 15 minutes before they were
stored are history (`dxspots import`) and are not sent live (a replay, read from the table,
includes them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg
import psycopg_pool
from falcon.asgi import SSEvent
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from api.errors import first_line
from api.memory import give_back
from dxspots.db.writer import SPOTS_CHANNEL
from dxspots.queries import (
    LATEST_SPOT_ID,
    READY_CHECK,
    SpotFilters,
    aread_replication,
    matches,
    new_spots,
)

log = logging.getLogger(__name__)

FETCH_ROWS = 2000
"""Rows read per round from the feed's connection (shared by every subscriber)."""
CATCH_UP_ROWS = 100
"""Rows read per round for one client's catch-up: all a client that stops reading can hold."""
CATCH_UP_MAX = 10_000
"""At most this many missed spots are replayed to a reconnecting client; then a `gap` event."""
QUEUE_ROWS = 5000
"""Spots a subscriber may have waiting; past that it is caught up from the database."""
RECONNECT_S = (0.5, 1.0, 2.0, 5.0, 10.0)
LIVE_AGE = timedelta(minutes=15)
"""Spots received longer ago than this are history (an import), not sent live."""
FEED_WAIT_S = 5.0
"""How long a new client waits for a feed that is still connecting."""
RECLAIM_AFTER_S = 2.0
"""Memory is given back this long after a stream ends (api/memory.py)."""
IDLE_CHECK_S = 30.0
"""With no notification for this long, check that the listening connection still works."""
REPLICA_POLL_S = 1.0
"""On a replica (no notifications), how often the feed looks for new spots."""
REPLICA_CATCH_UP_S = 5.0
"""How long a client whose Last-Event-ID is ahead of this replica waits for it to replay that
far (another replica gave the id) before the stream calls it a gap and starts live."""


@dataclass(eq=False)
class Subscriber:
    """One client of the stream: its filters and the spots waiting for it."""

    filters: SpotFilters
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_ROWS))
    overflowed: bool = False


class SpotFeed:
    """Listen for new spots and fan them out to subscribers."""

    def __init__(self, dsn: str, *, heartbeat_s: float = 15.0) -> None:
        self.dsn = dsn
        self.heartbeat_s = heartbeat_s
        self.subscribers: set[Subscriber] = set()
        self.last_id: int | None = None
        self.connected = asyncio.Event()
        self.delivered = 0
        self.clients = 0
        """Streams open (admitted and not yet ended)."""
        self.ended_by_error = 0
        self.polling = False
        """Whether the feed polls (its server is a replica) rather than listens."""
        self._task: asyncio.Task[None] | None = None
        self._reclaim: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="spot-feed")

    def stream_ended(self) -> None:
        """Give memory back a little after streams end (once for a burst of them)."""
        if self._reclaim is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # outside the loop (a finaliser at exit): nothing to schedule
        self._reclaim = loop.call_later(RECLAIM_AFTER_S, self._give_back)

    def _give_back(self) -> None:
        self._reclaim = None
        give_back()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.dsn, autocommit=True, connect_timeout=10
                ) as conn:
                    await conn.execute("SET TIME ZONE 'UTC'")
                    self.polling = (await aread_replication(conn)).replica
                    if not self.polling:
                        await conn.execute(f"LISTEN {SPOTS_CHANNEL}")
                    if self.last_id is None:
                        cur = await conn.execute(LATEST_SPOT_ID.sql)
                        row = await cur.fetchone()
                        self.last_id = int(row[0]) if row else 0
                    self.connected.set()
                    failures = 0
                    await self._read_new(conn)  # anything stored while we were away
                    while self.polling:  # a replica: NOTIFY does not reach it
                        await asyncio.sleep(REPLICA_POLL_S)
                        await self._read_new(conn)
                    while True:
                        # notifies() holds the connection until it returns: read the new
                        # rows after it, not inside it. Notifications that come meanwhile
                        # wait in psycopg's backlog for the next call.
                        notified = False
                        async for _ in conn.notifies(timeout=IDLE_CHECK_S, stop_after=1):
                            notified = True
                        if notified:
                            await self._read_new(conn)
                        else:
                            await conn.execute(READY_CHECK.sql)  # a dead link fails here
            except psycopg.Error as error:
                self.connected.clear()
                delay = RECONNECT_S[min(failures, len(RECONNECT_S) - 1)]
                failures += 1
                log.warning(
                    "live stream: database connection lost (%s); retry in %ss", error, delay
                )
                await asyncio.sleep(delay)

    async def _read_new(self, conn: psycopg.AsyncConnection[Any]) -> None:
        assert self.last_id is not None
        while True:
            statement = new_spots(self.last_id, FETCH_ROWS)
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(statement.sql, statement.values)
                rows = await cur.fetchall()
            for row in rows:
                self._publish(row)
            if rows:
                self.last_id = rows[-1]["id"]
            if len(rows) < FETCH_ROWS:
                return

    def _publish(self, row: dict[str, Any]) -> None:
        if row["received_at"] < datetime.now(UTC) - LIVE_AGE:
            return  # history being imported (`dxspots import`), not a live spot
        for subscriber in self.subscribers:
            if subscriber.overflowed or not matches(subscriber.filters, row):
                continue
            try:
                subscriber.queue.put_nowait(row)
            except asyncio.QueueFull:
                subscriber.overflowed = True

    def open(
        self, pool: AsyncConnectionPool[Any], filters: SpotFilters, last_event_id: int | None
    ) -> AsyncGenerator[SSEvent]:
        """Admit one client: its events, counted in `clients` until they end.

        The count is given back when the events end, or when they are dropped unstarted.
        """
        ticket = _Ticket(self)
        events = self._events(pool, filters, last_event_id, ticket)
        weakref.finalize(events, ticket.release)
        return events

    async def _events(
        self,
        pool: AsyncConnectionPool[Any],
        filters: SpotFilters,
        last_event_id: int | None,
        ticket: _Ticket,
    ) -> AsyncGenerator[SSEvent]:
        """Yield the SSE events of one client until it goes away or the database fails.

        A failure ends the stream with an `error` event and a log line: the client
        reconnects with its Last-Event-ID and loses nothing.
        """
        try:
            # aclosing: when this generator is closed, so is the client's (its subscriber
            # goes at once, not when the garbage collector finds it).
            async with contextlib.aclosing(
                self._client_events(pool, filters, last_event_id)
            ) as events:
                async for event in events:
                    yield event
        except (psycopg.Error, psycopg_pool.PoolTimeout, psycopg_pool.PoolClosed) as error:
            self.ended_by_error += 1
            log.warning("live stream: a client's stream ended: %s", first_line(error))
            yield _error_event("the database is not reachable or too busy; reconnect shortly")
        except Exception as error:  # only the stream's outermost loop: never a traceback
            self.ended_by_error += 1
            log.error("live stream: a client's stream failed: %s: %s", type(error).__name__,
                      first_line(error))  # fmt: skip
            log.debug("live stream failure", exc_info=True)
            yield _error_event("the stream failed; reconnect shortly")
        finally:
            ticket.release()

    async def _reached(self, wanted: int, now_at: int) -> int:
        """On a polling feed (a replica), wait up to `REPLICA_CATCH_UP_S` for the feed to
        reach `wanted`; return where it is then (at most `wanted`). Elsewhere, `now_at`."""
        if not self.polling:
            return now_at
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(REPLICA_CATCH_UP_S):
                while (self.last_id or 0) < wanted:
                    await asyncio.sleep(REPLICA_POLL_S / 4)
        return min(wanted, self.last_id or 0)

    async def _client_events(
        self, pool: AsyncConnectionPool[Any], filters: SpotFilters, last_event_id: int | None
    ) -> AsyncGenerator[SSEvent]:
        if self.last_id is None:
            # The feed is still connecting (just started, or the database was away): wait a
            # little, so that a Last-Event-ID can be told from one this database never gave.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FEED_WAIT_S):
                    await self.connected.wait()
        subscriber = Subscriber(filters)
        self.subscribers.add(subscriber)
        # Where this client is, read at subscription: rows queued from now on are newer.
        sent = self.last_id
        try:
            yield SSEvent(retry=2000, comment="dxspots live spots")
            if last_event_id is not None and sent is not None and last_event_id > sent:
                # On a replica, another replica (behind the same proxy) may have given that id
                # already: wait a little for this one to replay up to it before calling it
                # a gap, so a client moved between replicas gets neither a gap nor repeats.
                sent = await self._reached(last_event_id, sent)
            if last_event_id is not None:
                if sent is not None and last_event_id > sent:
                    # Not an id this database gave (restored, or made up): start live.
                    yield _gap(last_event_id, sent, 0)
                else:
                    sent = last_event_id
                    async for event, last in self._catch_up(pool, filters, last_event_id):
                        sent = last
                        yield event
            while True:
                if subscriber.overflowed:
                    while not subscriber.queue.empty():
                        subscriber.queue.get_nowait()
                    subscriber.overflowed = False
                    if sent is None:  # overflowed before the feed knew where it was
                        sent = self.last_id or 0
                    async for event, last in self._catch_up(pool, filters, sent):
                        sent = last
                        yield event
                try:
                    async with asyncio.timeout(self.heartbeat_s):
                        row = await subscriber.queue.get()
                except TimeoutError:
                    yield SSEvent(comment="heartbeat")
                    continue
                if sent is not None and row["id"] <= sent:
                    continue
                sent = row["id"]
                self.delivered += 1
                yield _spot_event(row)
        finally:
            self.subscribers.discard(subscriber)

    async def _catch_up(
        self, pool: AsyncConnectionPool[Any], filters: SpotFilters, after: int
    ) -> AsyncIterator[tuple[SSEvent, int]]:
        """Replay spots stored after `after` from the database (at most CATCH_UP_MAX)."""
        replayed = 0
        while True:
            # Small rounds, each rendered before it is sent: a client that stops reading
            # holds one round's events, not thousands of rows.
            statement = new_spots(after, CATCH_UP_ROWS, filters)
            async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(statement.sql, statement.values)
                rows = await cur.fetchall()
            events = [(_spot_event(row), row["id"]) for row in rows]
            del rows
            count = len(events)
            while events:  # let each go as it is sent, none held while the next round waits
                event, after = events.pop(0)
                replayed += 1
                self.delivered += 1
                yield event, after
            if count < CATCH_UP_ROWS:
                return
            if replayed >= CATCH_UP_MAX:
                latest = max(after, self.last_id or after)
                yield _gap(after, latest, replayed), latest
                return


class _Ticket:
    """One admitted client in `SpotFeed.clients`; released once, however its stream ends."""

    __slots__ = ("feed", "held")

    def __init__(self, feed: SpotFeed) -> None:
        self.feed = feed
        self.held = True
        feed.clients += 1

    def release(self) -> None:
        if self.held:
            self.held = False
            self.feed.clients -= 1
            self.feed.stream_ended()


def _error_event(detail: str) -> SSEvent:
    """The last event of a stream that failed; the client should reconnect later."""
    return SSEvent(event="error", data=orjson.dumps({"error": "unavailable", "detail": detail}))


def _gap(after: int, resumed_at: int, replayed: int) -> SSEvent:
    """Spots after `after` up to `resumed_at` are not sent; the stream goes on from there."""
    detail = {"after": after, "resumed_at": resumed_at, "replayed": replayed}
    return SSEvent(event="gap", event_id=str(resumed_at), data=orjson.dumps(detail))


def _spot_event(row: dict[str, Any]) -> SSEvent:
    # A copy of exactly its size: the bytes orjson returns keep its working buffer (8 KiB
    # for a 700-byte spot), which a client that stops reading would hold per event.
    data = memoryview(orjson.dumps(row, option=orjson.OPT_UTC_Z)).tobytes()
    return SSEvent(event="spot", event_id=str(row["id"]), data=data)

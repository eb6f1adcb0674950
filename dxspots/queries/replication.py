"""Where the reads come from: a primary, or a streaming replica and how far behind it is.

The API's `/metrics` and the dashboard's Collector page read this on the read DSN. Every
function it calls may be run by any login (the `dxspots_reader` role included), on a
primary or a replica, so it never fails for want of rights: on a primary the replica
columns are NULL. Replicas' own lag as the primary sees it (`pg_stat_replication`) is shown
only to superusers and `pg_read_all_stats`; a reader learns there how many replicas stream
from it, no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from dxspots.queries.statement import Statement

REPLICATION_STATE = Statement(
    sql.SQL(
        """
        SELECT pg_is_in_recovery() AS replica,
               -- Caught up with all it received: no lag, however long the primary was idle
               -- (then the last replayed transaction is old, but nothing is missing).
               CASE WHEN NOT pg_is_in_recovery() THEN NULL
                    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
                    ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
               END AS lag_seconds,
               pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8
                   AS replay_pending_bytes,
               pg_last_xact_replay_timestamp() AS last_replayed_at,
               CASE WHEN pg_is_in_recovery() THEN NULL
                    ELSE (SELECT count(*) FROM pg_stat_replication)::int
               END AS replicas
        """
    ),
    {},
)
"""One row: `ReplicationState`'s fields."""


@dataclass(frozen=True, slots=True)
class ReplicationState:
    """What the server the reads go to says about replication.

    `replica` is false on a primary (or a server without replication); then `lag_seconds`,
    `replay_pending_bytes` and `last_replayed_at` are None and `replicas` counts the standbys
    streaming from it. On a replica, `lag_seconds` is 0 when it has replayed all the WAL it
    received, else how long ago the last transaction it replayed committed on the primary
    (None before it replayed any); `replay_pending_bytes` is WAL received and not yet
    replayed. A replica cut off from its primary has nothing pending, so its lag reads 0:
    `last_replayed_at` tells, since the collector writes its status every 10 s (whether the
    WAL receiver streams is shown only to superusers and `pg_read_all_stats`).
    """

    replica: bool
    lag_seconds: float | None
    replay_pending_bytes: float | None
    last_replayed_at: datetime | None
    replicas: int | None


def read_replication(conn: psycopg.Connection[Any]) -> ReplicationState:
    """Read the replication state of the server `conn` is connected to."""
    with conn.cursor(row_factory=class_row(ReplicationState)) as cur:
        found = cur.execute(REPLICATION_STATE.sql).fetchone()
    assert found is not None  # one row, always
    return found


async def aread_replication(conn: psycopg.AsyncConnection[Any]) -> ReplicationState:
    """`read_replication` on an asyncio connection."""
    async with conn.cursor(row_factory=class_row(ReplicationState)) as cur:
        await cur.execute(REPLICATION_STATE.sql)
        found = await cur.fetchone()
    assert found is not None
    return found

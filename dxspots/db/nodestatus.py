"""The collector's node status rows: one upsert per node, every few seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg


@dataclass(frozen=True, slots=True)
class NodeStatusRow:
    """One node's state as the `node_status` table keeps it."""

    node: str
    host: str
    port: int
    software: str | None
    logged_in: bool
    connected_since: datetime | None
    last_line_at: datetime | None
    lines: int
    spots: int
    rejects: int
    overflows: int
    reconnects: int
    last_error: str | None


_UPSERT = (
    "INSERT INTO node_status (node, host, port, software, logged_in, connected_since,"
    " last_line_at, lines, spots, rejects, overflows, reconnects, last_error, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())"
    " ON CONFLICT (node) DO UPDATE SET host = excluded.host, port = excluded.port,"
    " software = excluded.software, logged_in = excluded.logged_in,"
    " connected_since = excluded.connected_since, last_line_at = excluded.last_line_at,"
    " lines = excluded.lines, spots = excluded.spots, rejects = excluded.rejects,"
    " overflows = excluded.overflows, reconnects = excluded.reconnects,"
    " last_error = excluded.last_error, updated_at = now()"
)


def write_node_status(
    conn: psycopg.Connection[tuple[object, ...]], rows: list[NodeStatusRow]
) -> None:
    """Upsert the rows in one transaction."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            _UPSERT,
            [
                (r.node, r.host, r.port, r.software, r.logged_in, r.connected_since,
                 r.last_line_at, r.lines, r.spots, r.rejects, r.overflows, r.reconnects,
                 r.last_error)
                for r in rows
            ],
        )  # fmt: skip

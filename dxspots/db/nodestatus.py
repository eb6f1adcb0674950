"""The collector's node status rows: one upsert per node, every few seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

SILENT_AFTER_S = 60
"""A status row older than this means its collector has stopped or is stuck (a running one
writes them every few seconds: collector.app.STATUS_SECONDS)."""
LOSS_WINDOW_S = 300
"""Lines lost within this many seconds count as "losing spots": the collector's `/healthz`
answers 503 until this long after the last loss, and the Collector page says so."""


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
    lines_per_minute: float | None = None
    probes: int = 0
    gaps: int = 0
    missed: int = 0


@dataclass(frozen=True, slots=True)
class CollectorStatusRow:
    """One collector process as the `collector_status` table keeps it."""

    collector: str
    started_at: datetime
    spool_bytes: int
    queue_lines: int
    lines: int
    lost_lines: int
    spool_cap_bytes: int | None = None
    spool_full: bool = False
    """The spool cannot take the next batch: while the database is away, lines are lost."""
    lost_at: datetime | None = None
    """When lines were last lost."""
    country_file: str | None = None
    """The country file's version ('unknown version' when it carries none); None: the
    collector has no country file, so entities and continents stay empty."""


_UPSERT = (
    "INSERT INTO node_status (node, host, port, software, logged_in, connected_since,"
    " last_line_at, lines, spots, rejects, overflows, reconnects, last_error,"
    " lines_per_minute, probes, gaps, missed, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())"
    " ON CONFLICT (node) DO UPDATE SET host = excluded.host, port = excluded.port,"
    " software = excluded.software, logged_in = excluded.logged_in,"
    " connected_since = excluded.connected_since, last_line_at = excluded.last_line_at,"
    " lines = excluded.lines, spots = excluded.spots, rejects = excluded.rejects,"
    " overflows = excluded.overflows, reconnects = excluded.reconnects,"
    " last_error = excluded.last_error, lines_per_minute = excluded.lines_per_minute,"
    " probes = excluded.probes, gaps = excluded.gaps, missed = excluded.missed,"
    " updated_at = now()"
)
_UPSERT_COLLECTOR = (
    "INSERT INTO collector_status (collector, started_at, spool_bytes, queue_lines, lines,"
    " lost_lines, spool_cap_bytes, spool_full, lost_at, country_file, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())"
    " ON CONFLICT (collector) DO UPDATE SET started_at = excluded.started_at,"
    " spool_bytes = excluded.spool_bytes, queue_lines = excluded.queue_lines,"
    " lines = excluded.lines, lost_lines = excluded.lost_lines,"
    " spool_cap_bytes = excluded.spool_cap_bytes, spool_full = excluded.spool_full,"
    " lost_at = excluded.lost_at, country_file = excluded.country_file, updated_at = now()"
)


def write_node_status(
    conn: psycopg.Connection[tuple[object, ...]],
    rows: list[NodeStatusRow],
    collector: CollectorStatusRow | None = None,
) -> None:
    """Upsert the rows (and the collector's own) in one transaction."""
    with conn.transaction(), conn.cursor() as cur:
        if collector is not None:
            c = collector
            cur.execute(
                _UPSERT_COLLECTOR,
                (c.collector, c.started_at, c.spool_bytes, c.queue_lines, c.lines, c.lost_lines,
                 c.spool_cap_bytes, c.spool_full, c.lost_at, c.country_file),
            )  # fmt: skip
        cur.executemany(
            _UPSERT,
            [
                (r.node, r.host, r.port, r.software, r.logged_in, r.connected_since,
                 r.last_line_at, r.lines, r.spots, r.rejects, r.overflows, r.reconnects,
                 r.last_error, r.lines_per_minute, r.probes, r.gaps, r.missed)
                for r in rows
            ],
        )  # fmt: skip

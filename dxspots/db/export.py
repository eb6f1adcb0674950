"""Spots out of the database as CSV (streamed by PostgreSQL's COPY) or JSON lines.

This is the plain export of stored rows by time window and band, for `dxspots export`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

import psycopg
from psycopg import sql

from dxspots.spot import Spot

COLUMNS: tuple[str, ...] = Spot._fields
"""Exported columns, in order: every field of a spot (docs/fields.md)."""
_COLUMN_LIST = sql.SQL(", ").join(sql.Identifier(name) for name in COLUMNS)


class ExportError(ValueError):
    """The export was asked for something impossible; the message says what."""


@dataclass(frozen=True, slots=True)
class SpotFilter:
    """Which spots to export: `since` <= spot_time < `until`, optionally some bands."""

    since: datetime
    until: datetime
    bands: Sequence[str] = ()

    def where(self) -> sql.Composed:
        """The WHERE clause, values inlined as literals (COPY takes no bound parameters)."""
        if self.since >= self.until:
            raise ExportError(f"--since ({self.since}) must be before --until ({self.until})")
        clause = sql.SQL("spot_time >= {} AND spot_time < {}").format(
            sql.Literal(self.since), sql.Literal(self.until)
        )
        if self.bands:
            clause = sql.SQL("{} AND band = ANY({})").format(clause, sql.Literal(list(self.bands)))
        return clause


def _query(spots: SpotFilter) -> sql.Composed:
    return sql.SQL("SELECT {} FROM spots WHERE {} ORDER BY spot_time, dx_call, spotter").format(
        _COLUMN_LIST, spots.where()
    )


def export_csv(
    conn: psycopg.Connection[tuple[object, ...]], spots: SpotFilter, out: IO[bytes]
) -> int:
    """Write the spots as CSV with a header, straight from COPY; return the rows written."""
    with conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(_query(spots))
        with cur.copy(statement) as copy:
            for chunk in copy:
                out.write(chunk)
        return max(cur.rowcount, 0)


def export_jsonl(
    conn: psycopg.Connection[tuple[object, ...]], spots: SpotFilter, out: IO[bytes]
) -> int:
    """Write one JSON object per spot (times ISO 8601 UTC); return the rows written."""
    rows = 0
    with conn.transaction(), conn.cursor(name="dxspots_export") as cur:
        cur.itersize = 5000
        cur.execute(_query(spots))
        for row in cur:
            record = {
                name: value.astimezone(UTC).isoformat().replace("+00:00", "Z")
                if isinstance(value, datetime)
                else value
                for name, value in zip(COLUMNS, row, strict=True)
            }
            out.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            rows += 1
    return rows

"""Spots from Parquet files back into the database: retention's archives and exports.

Rows go through the one write path (`SpotWriter`), so its dedupe holds: a file imported
twice adds nothing. A month that retention dropped (`spot_archives`) still has its rollups,
which counted its spots when they were first stored; its rows are restored without being
counted again: each batch runs in one transaction holding the writers' lock, the rollup
rows the batch can touch are kept aside, the writer stores the batch (in a savepoint), and
the kept rows are put back. The restored rows also take back their archived `id`s, so a
restore is not a burst of "new" spots on the live stream (which reads `id > N`).
Rows of months never dropped are counted as any new spot is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from dxspots.db.writer import SPOTS_WRITE_LOCK, SpotWriter, WriteResult
from dxspots.spot import Spot

BATCH_ROWS = 5000
ROLLUP_SCOPES = {
    "spot_hours": "hour > %(lo)s - interval '1 hour' AND hour <= %(hi)s",
    "call_days": "day > %(lo)s - interval '1 day' AND day <= %(hi)s",
    "call_spotters": "(dx_call, spotter_base) IN"
    " (SELECT * FROM unnest(%(calls)s::text[], %(bases)s::text[]))",
}
"""Each rollup table, and which of its rows a batch of spots between `lo` and `hi` (DX
calls and spotter bases `calls`, `bases`) can change: those are kept aside and put back."""


class ArchiveFileError(ValueError):
    """A file is not a spots Parquet file (as `dxspots export` and retention write)."""


@dataclass(slots=True)
class RestoreSummary:
    """What loading a Parquet file did."""

    rows: int = 0
    stored: int = 0
    restored: int = 0
    """Of `stored`, rows of archived months, put back without counting them again."""


def _month(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def read_spots(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[list[dict[str, Any]]]:
    """Yield the file's rows in batches of dicts; `ArchiveFileError` when it is not a spots
    Parquet file of the export's schema (every column, with its type)."""
    import pyarrow as pa  # noqa: PLC0415  (optional: the dashboard extra)
    import pyarrow.parquet as pq  # noqa: PLC0415  (optional: the dashboard extra)

    from dxspots.db.export import arrow_schema  # noqa: PLC0415

    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow's several kinds all mean "not Parquet"
        raise ArchiveFileError(f"{path}: not a Parquet file ({error})") from None
    schema = parquet.schema_arrow
    for expected in arrow_schema():
        if expected.name not in schema.names:
            raise ArchiveFileError(f"{path}: no column {expected.name!r}: not a spots file")
        found = schema.field(expected.name).type
        alike = (
            (pa.types.is_timestamp(found) and bool(found.tz))
            if pa.types.is_timestamp(expected.type)
            else (pa.types.is_string(found) or pa.types.is_large_string(found))
            if pa.types.is_string(expected.type)
            else found == expected.type
        )
        if not alike:
            raise ArchiveFileError(
                f"{path}: column {expected.name!r} is {found}, expected {expected.type}"
            )
    names = list(arrow_schema().names)
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=names):
        yield batch.to_pylist()


def _spot(row: dict[str, Any]) -> Spot:
    values = {name: row[name] for name in Spot._fields}
    for name in ("spot_time", "received_at"):
        values[name] = values[name].astimezone(UTC)
    return Spot(**values)


def archived_months(conn: psycopg.Connection[Any]) -> set[datetime]:
    """The months retention dropped, whose rollups still count them."""
    rows = conn.execute("SELECT month FROM spot_archives").fetchall()
    conn.commit()
    return {_month(row[0].astimezone(UTC)) for row in rows}


def restore_batch(writer: SpotWriter, rows: list[dict[str, Any]]) -> int:
    """Store rows of archived months with their ids, leaving the rollups as they were;
    return how many were new."""
    conn = writer.conn
    spots = [_spot(row) for row in rows]
    scope = {
        "lo": min(spot.spot_time for spot in spots),
        "hi": max(spot.spot_time for spot in spots),
        "calls": [spot.dx_call for spot in spots],
        "bases": [spot.spotter_base or "" for spot in spots],
    }
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (SPOTS_WRITE_LOCK,))
        (marker,) = cur.execute("SELECT nextval('spots_id_seq')").fetchone() or (0,)
        rollups = [str(name) for (name,) in cur.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r'",
            (list(ROLLUP_SCOPES),),
        ).fetchall()]  # fmt: skip
        for name in rollups:
            cur.execute(
                f"CREATE TEMP TABLE kept_{name} ON COMMIT DROP AS"  # fixed names
                f" SELECT * FROM {name} WHERE {ROLLUP_SCOPES[name]}",
                scope,
            )
        new = writer.write(spots).spots_new
        # The new rows take back their archived numbers (below every live one).
        cur.execute(
            "UPDATE spots s SET id = a.id FROM unnest(%s::timestamptz[], %s::text[],"
            " %s::text[], %s::float8[], %s::bigint[]) AS a(t, dx, sp, f, id)"
            " WHERE s.spot_time = a.t AND s.dx_call = a.dx AND s.spotter = a.sp"
            " AND s.freq_khz = a.f AND s.id > %s",
            (
                [s.spot_time for s in spots], [s.dx_call for s in spots],
                [s.spotter for s in spots], [s.freq_khz for s in spots],
                [row["id"] for row in rows], marker,
            ),
        )  # fmt: skip
        for name in rollups:
            cur.execute(f"DELETE FROM {name} WHERE {ROLLUP_SCOPES[name]}", scope)
            cur.execute(f"INSERT INTO {name} SELECT * FROM kept_{name}")
    return new


def load_parquet(
    path: Path,
    writer: SpotWriter,
    progress: Callable[[int], object] = lambda rows: None,
) -> RestoreSummary:
    """Load a spots Parquet file through `writer`: archived months restored without being
    counted again, others stored as new spots. `ArchiveFileError` for a file that is not one.
    """
    summary = RestoreSummary()
    archived = archived_months(writer.conn)
    for rows in read_spots(path):
        summary.rows += len(rows)
        old = [row for row in rows if _month(row["spot_time"].astimezone(UTC)) in archived]
        fresh = [row for row in rows if _month(row["spot_time"].astimezone(UTC)) not in archived]
        if old:
            restored = restore_batch(writer, old)
            summary.restored += restored
            summary.stored += restored
        if fresh:
            result = WriteResult()
            result.add(writer.write([_spot(row) for row in fresh]))
            summary.stored += result.spots_new
        progress(len(rows))
    return summary

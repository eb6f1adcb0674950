"""Spots from Parquet files back into the database: retention's archives and exports.

Rows go through the one write path (`SpotWriter`), so its dedupe holds: a file imported
twice adds nothing. A month that retention dropped (`spot_archives`) still has its rollups,
which counted its spots when they were first stored, and its stored rows are in its archive
files only, where the writer's dedupe cannot see them. So a spot of an archived month is
first looked up in the month's archive files (their keys loaded into the temp table
`archive_keys`, `dxspots.db.archive_files`):

- the archived row itself (same id, time, calls, frequency and comment: the file being
  loaded is this database's archive) is *restored*: each batch runs in one transaction
  holding the writers' lock, the rollup rows the batch can touch are kept aside, the writer
  stores the batch (in a savepoint), and the kept rows are put back; the rows take back
  their archived `id`s, so a restore is not a burst of "new" spots on the live stream (which
  reads `id > N`);
- the same spot under the dedupe key but not that row (a log or another database's export
  of it) is a copy of an archived spot: not stored;
- any other spot is new, stored and counted as any new spot is (the next retention run
  archives it in a further file).

The month's files are read from the archive folder (`DXSPOTS_ARCHIVE_DIR`); a file being
loaded that is one of the month's recorded files, written by this database, stands for
itself. Without them a month's spots cannot be told apart: `ArchiveFileError` says which
files are needed. Rows of months never dropped are stored as any new spot is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from dxspots.db.archive_files import (
    KEYS_TABLE,
    ArchiveFileError,
    check_ours,
    database_identity,
    file_identity,
    index_keys,
    load_keys,
)
from dxspots.db.writer import SPOTS_WRITE_LOCK, SpotWriter, WriteResult
from dxspots.spot import Spot

__all__ = [
    "ArchiveFileError",
    "ArchivedMonths",
    "RestoreSummary",
    "load_parquet",
    "read_spots",
    "restore_batch",
]

BATCH_ROWS = 5000
ROLLUP_SCOPES = {
    "spot_hours": "hour > %(lo)s - interval '1 hour' AND hour <= %(hi)s",
    "call_days": "day > %(lo)s - interval '1 day' AND day <= %(hi)s",
    "call_spotters": "(dx_call, spotter_base) IN"
    " (SELECT * FROM unnest(%(calls)s::text[], %(bases)s::text[]))",
    "dx_days": "day > %(lo)s - interval '1 day' AND day <= %(hi)s",
    "spotter_days": "day > %(lo)s - interval '1 day' AND day <= %(hi)s",
}
"""Each rollup table, and which of its rows a batch of spots between `lo` and `hi` (DX
calls and spotter bases `calls`, `bases`) can change: those are kept aside and put back."""
_LOOKUP = (
    "SELECT i.n, bool_or(a.id = i.id AND a.freq_khz = i.f AND a.comment = i.c),"
    " count(a.id) > 0"
    " FROM unnest(%s::int[], %s::timestamptz[], %s::text[], %s::text[], %s::float8[],"
    "   %s::text[], %s::bigint[]) AS i(n, t, dx, sp, f, c, id)"
    f" LEFT JOIN {KEYS_TABLE} a ON a.spot_time = i.t AND a.dx_call = i.dx AND a.spotter = i.sp"
    "   AND round(a.freq_khz * 10)::integer = round(i.f * 10)::integer"
    "   AND dxspots_comment_key(a.spotter, a.comment) = dxspots_comment_key(i.sp, i.c)"
    " GROUP BY i.n"
)
"""For each spot of a batch: whether it is an archived row itself, and whether the archive
holds the same spot under the dedupe key (migration 0010's, but for cut comments)."""


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


class ArchivedMonths:
    """The months retention dropped, and which spots of them are archived already."""

    def __init__(
        self, conn: psycopg.Connection[Any], archive_dir: Path | None, source: Path | None = None
    ) -> None:
        """Read `spot_archives`; the month's files are looked for in `archive_dir`, and
        `source` (the file being loaded) stands for itself when it is one of them."""
        self.conn = conn
        self.archive_dir = archive_dir
        self.files = {
            _month(month.astimezone(UTC)): [str(name) for name in names]
            for month, names in conn.execute("SELECT month, files FROM spot_archives")
        }
        self.identity = database_identity(conn) if self.files else None
        conn.commit()
        self.source = None
        if source is not None and self.identity is not None:
            names = {name for names in self.files.values() for name in names}
            if source.name in names and file_identity(source) == self.identity:
                self.source = source
        self._loaded: set[datetime] = set()

    def __contains__(self, moment: datetime) -> bool:
        return _month(moment.astimezone(UTC)) in self.files

    def _paths(self, month: datetime) -> list[Path]:
        names = self.files[month]
        if self.source is not None and self.source.name in names:
            return [self.source]  # its rows of the month are the archived ones themselves
        paths = [self.archive_dir / name for name in names] if self.archive_dir else []
        if not paths or not all(path.is_file() for path in paths):
            where = self.archive_dir or "the archive folder (DXSPOTS_ARCHIVE_DIR)"
            raise ArchiveFileError(
                f"spots of {month:%Y-%m}, a month archived and dropped: its archive files "
                f"{', '.join(names)} are needed in {where} to tell its spots already counted "
                "from new ones (put them back, or load the spots into another database)"
            )
        return paths

    def load(self, months: set[datetime]) -> None:
        """Have the archive keys of `months` in `archive_keys`."""
        todo = sorted(months - self._loaded)
        if not todo:
            return
        paths = [path for month in todo for path in self._paths(month)]
        for path in paths:
            check_ours(path, str(self.identity))
        load_keys(self.conn, paths, reset=not self._loaded)
        index_keys(self.conn)
        self._loaded |= set(todo)

    def sort(
        self, spots: Sequence[Spot], ids: Sequence[int | None]
    ) -> tuple[list[int], list[int], list[int]]:
        """Sort spots of archived months by their place in the batch: (archived rows
        themselves, copies of archived spots, new spots). `ids` are their archived ids
        (None: a spot from a log, never an archived row)."""
        self.load({_month(spot.spot_time.astimezone(UTC)) for spot in spots})
        found = self.conn.execute(
            _LOOKUP,
            (
                list(range(len(spots))), [s.spot_time for s in spots],
                [s.dx_call for s in spots], [s.spotter for s in spots],
                [s.freq_khz for s in spots], [s.comment for s in spots], list(ids),
            ),
        ).fetchall()  # fmt: skip
        self.conn.commit()
        same: list[int] = []
        copies: list[int] = []
        new: list[int] = []
        for number, identical, known in sorted(found):
            (same if identical else copies if known else new).append(int(number))
        return same, copies, new


def restore_batch(writer: SpotWriter, rows: list[dict[str, Any]]) -> int:
    """Store archived rows with their ids, leaving the rollups as they were; return how
    many were not stored already. `ArchiveFileError` when two rows would take one id."""
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
        # The new rows take back their archived numbers (below every live one), each found
        # by its whole row: the dedupe key (0010) holds one row per key, and an exact row
        # is one of a key.
        cur.execute(
            "UPDATE spots s SET id = a.id FROM unnest(%s::timestamptz[], %s::text[],"
            " %s::text[], %s::float8[], %s::text[], %s::bigint[]) AS a(t, dx, sp, f, c, id)"
            " WHERE s.spot_time = a.t AND s.dx_call = a.dx AND s.spotter = a.sp"
            " AND s.freq_khz = a.f AND s.comment = a.c AND s.id > %s",
            (
                [s.spot_time for s in spots], [s.dx_call for s in spots],
                [s.spotter for s in spots], [s.freq_khz for s in spots],
                [s.comment for s in spots], [row["id"] for row in rows], marker,
            ),
        )  # fmt: skip
        updated = cur.rowcount
        (taken,) = cur.execute(
            "SELECT count(*) - count(DISTINCT id) FROM spots WHERE id = ANY(%s)",
            ([row["id"] for row in rows],),
        ).fetchone() or (0,)
        if updated != new or taken:
            raise ArchiveFileError(
                f"restoring {len(rows)} archived spots: {new} stored, {updated} took back their"
                f" ids, {taken} ids on two rows; nothing restored"
            )
        for name in rollups:
            cur.execute(f"DELETE FROM {name} WHERE {ROLLUP_SCOPES[name]}", scope)
            cur.execute(f"INSERT INTO {name} SELECT * FROM kept_{name}")
    return new


def load_parquet(
    path: Path,
    writer: SpotWriter,
    progress: Callable[[int], object] = lambda rows: None,
    *,
    archive_dir: Path | None = None,
) -> RestoreSummary:
    """Load a spots Parquet file through `writer`: rows of archived months restored without
    being counted again, copies of archived spots left out, other spots stored as new.
    `ArchiveFileError` for a file that is not one, or when an archived month's files are
    not in `archive_dir` (and the file is not one of them)."""
    summary = RestoreSummary()
    archived = ArchivedMonths(writer.conn, archive_dir, path)
    for rows in read_spots(path):
        summary.rows += len(rows)
        old = [row for row in rows if row["spot_time"] in archived]
        fresh = [row for row in rows if row["spot_time"] not in archived]
        if old:
            same, _, new = archived.sort([_spot(row) for row in old], [r["id"] for r in old])
            if same:
                restored = restore_batch(writer, [old[i] for i in same])
                summary.restored += restored
                summary.stored += restored
            fresh += [old[i] for i in new]
        if fresh:
            result = WriteResult()
            result.add(writer.write([_spot(row) for row in fresh]))
            summary.stored += result.spots_new
        progress(len(rows))
    return summary

"""Retention: raw spots past a cut-off go to Parquet files, then their month is dropped.

`spots` is partitioned by month (`spots_YYYY_MM`, migration 0001). A month whose whole
range ends at or before the cut-off is archived to `spots-YYYY-MM.parquet` in the archive
folder, in the export's schema (`dxspots.db.export`), then dropped as one table. The
rollups (`spot_hours`, `call_days`, `call_spotters`) are not touched: they keep counting the
dropped months. `spot_archives` records each month dropped.

Every step can be interrupted and run again. A file is written under a temporary name,
fsynced, read back (its row count must be what was written), then renamed; a partition is
dropped only when every one of its rows, by `id`, is in the month's files, checked again
under the writers' lock in the dropping transaction. Files already there are read, never
overwritten: a month that gained rows after it was archived (a restore, a late back-fill)
gets a further file `spots-YYYY-MM.N.parquet` with the rows the others lack.

Rejected lines are deleted past the same cut-off (they are for finding parser faults, and
a flood of them must not grow the database forever); solar reports and announcements are
kept (docs/retention.md).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from dxspots.db.export import COLUMNS, export_spots
from dxspots.db.writer import SPOTS_WRITE_LOCK
from dxspots.queries import Statement

log = logging.getLogger(__name__)

_PARTITION_RE = re.compile(r"spots_(\d{4})_(\d\d)", re.ASCII)
_FILE_RE = re.compile(r"spots-(\d{4})-(\d\d)(?:\.(\d+))?\.parquet", re.ASCII)
_COLUMN_LIST = sql.SQL(", ").join(sql.Identifier(name) for name in COLUMNS)


class RetentionError(RuntimeError):
    """Retention cannot go on safely (an archive file is unreadable, the folder unusable)."""


@dataclass(frozen=True, slots=True)
class Month:
    """One monthly partition of `spots`."""

    table: str
    start: datetime
    end: datetime

    @property
    def stem(self) -> str:
        """`spots-YYYY-MM`: the start of its archive files' names."""
        return f"spots-{self.start:%Y-%m}"


@dataclass(slots=True)
class MonthResult:
    """What retention did to one month."""

    month: Month
    rows: int
    written: list[Path] = field(default_factory=list)
    dropped: bool = False


def partitions(conn: psycopg.Connection[Any]) -> list[Month]:
    """The monthly partitions of `spots`, oldest first."""
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'spots'::regclass"
    ).fetchall()
    months = []
    for (name,) in rows:
        match = _PARTITION_RE.fullmatch(str(name))
        if match is None:
            continue  # not one of ours: left alone
        start = datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)
        end = (start + timedelta(days=32)).replace(day=1)
        months.append(Month(str(name), start, end))
    return sorted(months, key=lambda month: month.start)


def due(months: list[Month], cutoff: datetime) -> list[Month]:
    """The months wholly before `cutoff`."""
    return [month for month in months if month.end <= cutoff]


def cutoff_for(days: int, now: datetime | None = None) -> datetime:
    """The instant `days` days before `now`: spots before it are past retention."""
    return (now or datetime.now(UTC)) - timedelta(days=days)


def month_files(folder: Path, month: Month) -> list[Path]:
    """The month's archive files in `folder`, in the order they were written."""
    found = []
    for path in folder.glob(f"{month.stem}*.parquet"):
        match = _FILE_RE.fullmatch(path.name)
        if match is not None and f"spots-{match[1]}-{match[2]}" == month.stem:
            found.append((int(match[3] or 1), path))
    return [path for _, path in sorted(found)]


def file_ids(path: Path) -> list[int]:
    """The spot ids in an archive file; `RetentionError` when it cannot be read as one."""
    import pyarrow.parquet as pq  # noqa: PLC0415  (optional: the dashboard extra)

    try:
        table = pq.read_table(path, columns=["id"])
    except Exception as error:  # pyarrow raises several kinds; all mean the same here
        raise RetentionError(f"{path}: not a readable spots archive ({error})") from None
    ids = table.column("id").to_pylist()
    if any(value is None for value in ids):
        raise RetentionError(f"{path}: a row without an id; not a spots archive")
    return [int(value) for value in ids]


def _load_ids(conn: psycopg.Connection[Any], ids: list[int]) -> None:
    """Fill the session's `archived_ids` temp table with `ids` (emptied first)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS archived_ids (id bigint PRIMARY KEY)")
        cur.execute("TRUNCATE archived_ids")
        with cur.copy("COPY archived_ids (id) FROM STDIN") as copy:
            for value in sorted(set(ids)):
                copy.write_row((value,))


def _missing(month: Month) -> sql.Composed:
    """The partition's rows whose id is in none of the month's files."""
    return sql.SQL(
        "FROM {} p WHERE NOT EXISTS (SELECT FROM archived_ids a WHERE a.id = p.id)"
    ).format(sql.Identifier(month.table))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_archive(conn: psycopg.Connection[Any], month: Month, target: Path) -> int:
    """Write the month's rows missing from its files to `target`, safely; return how many.

    Written as `target` + `.tmp`, fsynced and read back before the rename, so a file with
    the final name is always whole.
    """
    import pyarrow.parquet as pq  # noqa: PLC0415  (optional: the dashboard extra)

    temporary = target.with_name(target.name + ".tmp")
    statement = Statement(
        sql.SQL("SELECT {} {} ORDER BY spot_time, id").format(_COLUMN_LIST, _missing(month)), {}
    )
    with temporary.open("wb") as out:
        rows = export_spots(conn, statement, out, "parquet")
        out.flush()
        os.fsync(out.fileno())
    stored = pq.ParquetFile(temporary).metadata.num_rows
    if stored != rows:
        temporary.unlink()
        raise RetentionError(f"{temporary}: {stored} rows read back, {rows} written")
    os.replace(temporary, target)
    _fsync_dir(target.parent)
    return rows


def archive_month(
    conn: psycopg.Connection[Any],
    month: Month,
    folder: Path,
    *,
    dry_run: bool = False,
    before_drop: Callable[[Month], object] = lambda month: None,
) -> MonthResult:
    """Archive one month's spots to `folder` and drop its partition.

    `conn` must be in autocommit off (the default) and owned by the caller; `before_drop`
    is called between the archive and the drop (tests interrupt there). With `dry_run`,
    only say how many rows the month has.
    """
    (rows,) = conn.execute(
        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(month.table))
    ).fetchone() or (0,)
    conn.commit()
    result = MonthResult(month, int(rows))
    if dry_run:
        return result
    for leftover in folder.glob(f"{month.stem}*.parquet.tmp"):
        leftover.unlink()  # ours, from an interrupted run: never renamed, so never whole
    files = month_files(folder, month)
    ids = [value for path in files for value in file_ids(path)]
    _load_ids(conn, ids)
    (missing,) = conn.execute(sql.SQL("SELECT count(*) ") + _missing(month)).fetchone() or (0,)
    conn.commit()
    if missing:
        number = len(files) + 1
        name = f"{month.stem}.parquet" if number == 1 else f"{month.stem}.{number}.parquet"
        target = folder / name
        while target.exists():  # a file of another name pattern: never overwritten
            number += 1
            target = folder / f"{month.stem}.{number}.parquet"
        write_archive(conn, month, target)
        result.written.append(target)
        files.append(target)
        _load_ids(conn, ids + file_ids(target))
    before_drop(month)
    with conn.transaction(), conn.cursor() as cur:
        # No batch lands between the check and the drop: writers wait for this lock.
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (SPOTS_WRITE_LOCK,))
        (left,) = cur.execute(sql.SQL("SELECT count(*) ") + _missing(month)).fetchone() or (0,)
        if left:
            log.warning("%s: %d spots arrived while archiving; kept for the next run",
                        month.table, left)  # fmt: skip
            return result
        (rows,) = cur.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(month.table))
        ).fetchone() or (0,)
        cur.execute(
            "INSERT INTO spot_archives (month, spots, files) VALUES (%s, %s, %s)"
            " ON CONFLICT (month) DO UPDATE SET spots = spot_archives.spots + excluded.spots,"
            " files = ARRAY(SELECT DISTINCT unnest(spot_archives.files || excluded.files)"
            " ORDER BY 1), dropped_at = now()",
            (month.start, rows, [path.name for path in files]),
        )
        cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(month.table)))
    result.rows, result.dropped = int(rows), True
    return result


def drop_rejected(conn: psycopg.Connection[Any], cutoff: datetime) -> int:
    """Delete the rejected lines received before `cutoff`; return how many."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("DELETE FROM rejected_lines WHERE received_at < %s", (cutoff,))
        return max(cur.rowcount, 0)


@dataclass(slots=True)
class RetentionResult:
    """What one retention run did."""

    cutoff: datetime
    months: list[MonthResult] = field(default_factory=list)
    rejected_deleted: int = 0


def apply_retention(
    conn: psycopg.Connection[Any],
    days: int,
    folder: Path,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    before_drop: Callable[[Month], object] = lambda month: None,
) -> RetentionResult:
    """Archive and drop every month of spots older than `days` days, oldest first; delete
    rejected lines past the same age. `RetentionError` when the folder cannot be used or an
    archive file there is unreadable (that month and later ones are then left as they are).
    """
    cutoff = cutoff_for(days, now)
    result = RetentionResult(cutoff)
    months = due(partitions(conn), cutoff)
    conn.commit()
    if months and not dry_run:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise RetentionError(
                f"DXSPOTS_ARCHIVE_DIR: cannot create {folder}: {error.strerror or error}"
            ) from None
    for month in months:
        result.months.append(
            archive_month(conn, month, folder, dry_run=dry_run, before_drop=before_drop)
        )
    if not dry_run:
        result.rejected_deleted = drop_rejected(conn, cutoff)
    return result

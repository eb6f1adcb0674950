"""Retention: raw spots past a cut-off go to Parquet files, then their month is dropped.

`spots` is partitioned by month (`spots_YYYY_MM`, migration 0001). A month whose whole
range ends at or before the cut-off is archived to `spots-YYYY-MM.parquet` in the archive
folder, in the export's schema (`dxspots.db.export`), then dropped as one table. The
rollups (`spot_hours`, `call_days`, `call_spotters`, `dx_days`, `spotter_days`) are not
touched: they keep counting the dropped months. `spot_archives` records each month dropped.

Every step can be interrupted and run again; one run at a time (`RETENTION_LOCK`, a second
run says so and does nothing). A file is written under a unique temporary name, fsynced,
read back, then linked to its final name (`dxspots.db.archive_files`); it names this
database in its metadata, and a file of another database (or of none) in the folder stops
the month with an error naming it. A partition is dropped only when every one of its rows,
by its whole key (id, time, calls, frequency, comment), is in the month's files: compared in
the database, checked again with the month's table locked against writes in the dropping
transaction. Files already there are read, never overwritten: a month that gained rows after
it was archived (a restore, a late back-fill) gets a further file `spots-YYYY-MM.N.parquet`
with the rows the others lack.

The drop needs an ACCESS EXCLUSIVE lock on `spots` itself, which waits behind every open
reader and makes every new query wait behind it; it is tried for at most `LOCK_TIMEOUT_S`,
`DROP_ATTEMPTS` times `DROP_PAUSE_S` apart, and a month that could not get it is kept for
the next run (its `MonthResult.kept` says why).

Rejected lines are deleted past the same cut-off (they are for finding parser faults, and
a flood of them must not grow the database forever); solar reports and announcements are
kept (docs/retention.md).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from dxspots.db.archive_files import (
    KEYS_TABLE,
    ArchiveFileError,
    check_ours,
    database_identity,
    leftovers,
    load_keys,
    write_file,
)
from dxspots.db.export import COLUMNS

log = logging.getLogger(__name__)

_PARTITION_RE = re.compile(r"spots_(\d{4})_(\d\d)", re.ASCII)
_FILE_RE = re.compile(r"spots-(\d{4})-(\d\d)(?:\.(\d+))?\.parquet", re.ASCII)
_COLUMN_LIST = sql.SQL(", ").join(sql.Identifier(name) for name in COLUMNS)

RETENTION_LOCK = 0x0D85_A7C4
"""Session advisory lock key held by a whole retention run: one at a time, across processes."""
LOCK_TIMEOUT_S = 1.0
"""How long the drop waits for its locks before giving up this attempt."""
DROP_ATTEMPTS = 3
DROP_PAUSE_S = 10.0
"""Seconds between attempts at a drop whose lock was not had in time."""


class RetentionError(RuntimeError):
    """Retention cannot go on safely (an archive file is unreadable or not this database's,
    the folder unusable)."""


class RetentionBusyError(RetentionError):
    """Another retention run (the collector's or `dxspots archive`) is going; this one did
    nothing."""


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
    kept: str = ""
    """Why a month that was due was not dropped this time (it is tried again next run)."""


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


_MISSING = (
    "FROM {} p WHERE NOT EXISTS (SELECT FROM " + KEYS_TABLE + " a WHERE a.id = p.id"
    " AND a.spot_time = p.spot_time AND a.dx_call = p.dx_call AND a.spotter = p.spotter"
    " AND a.freq_khz = p.freq_khz AND a.comment = p.comment)"
)


def _missing(month: Month) -> sql.Composed:
    """The partition's rows that are in none of the month's files (`archive_keys`)."""
    return sql.SQL(_MISSING).format(sql.Identifier(month.table))


def _count(cur: psycopg.Cursor[Any], query: sql.Composed) -> int:
    row = cur.execute(query).fetchone()
    return int(row[0]) if row else 0


def archive_month(
    conn: psycopg.Connection[Any],
    month: Month,
    folder: Path,
    *,
    identity: str | None = None,
    dry_run: bool = False,
    before_drop: Callable[[Month], object] = lambda month: None,
) -> MonthResult:
    """Archive one month's spots to `folder` and drop its partition.

    `conn` must be in autocommit off (the default) and owned by the caller; `identity` is
    this database's (made when None). `before_drop` is called between the archive and the
    drop (tests interrupt there). With `dry_run`, only say how many rows the month has.
    `RetentionError` when a file of the month in `folder` cannot be read or is not this
    database's archive: the month is then left as it is.
    """
    with conn.cursor() as cur:
        rows = _count(cur, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(month.table)))
    conn.commit()
    result = MonthResult(month, rows)
    if dry_run:
        return result
    identity = identity or str(database_identity(conn, create=True))
    for leftover in leftovers(folder, month.stem):
        leftover.unlink()  # ours (the run lock is held), from an interrupted run: never whole
    files = month_files(folder, month)
    try:
        for path in files:
            check_ours(path, identity)
        load_keys(conn, files)
        with conn.cursor() as cur:
            missing = _count(cur, sql.SQL("SELECT count(*) ") + _missing(month))
        conn.commit()
        if missing:
            query = sql.SQL("SELECT {} {} ORDER BY spot_time, id").format(
                _COLUMN_LIST, _missing(month)
            )
            target, _ = write_file(conn, query, folder, month.stem, identity)
            result.written.append(target)
            files.append(target)
            load_keys(conn, [target], reset=False)  # as read back from the disk
    except ArchiveFileError as error:
        raise RetentionError(str(error)) from None
    before_drop(month)
    for attempt in range(1, DROP_ATTEMPTS + 1):
        try:
            return _drop(conn, month, files, result)
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected) as error:
            log.info("%s: drop attempt %d: %s", month.table, attempt, str(error).strip())
            if attempt < DROP_ATTEMPTS:
                time.sleep(DROP_PAUSE_S)
    result.kept = (
        f"spots stayed in use (a long query or an export) {DROP_ATTEMPTS} times for "
        f"{LOCK_TIMEOUT_S:g} s; kept for the next run"
    )
    log.warning("%s: %s", month.table, result.kept)
    return result


def _drop(
    conn: psycopg.Connection[Any], month: Month, files: list[Path], result: MonthResult
) -> MonthResult:
    """Check the month against its files once more and drop it, in one transaction whose
    lock waits end after `LOCK_TIMEOUT_S` (LockNotAvailable, or DeadlockDetected when a
    writer waits on us while we wait on it: that writer then goes on)."""
    table = sql.Identifier(month.table)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(f"SET LOCAL lock_timeout = '{round(LOCK_TIMEOUT_S * 1000)}ms'")
        # From here no spot lands in or leaves the month: writers of other months go on.
        cur.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(table))
        left = _count(cur, sql.SQL("SELECT count(*) ") + _missing(month))
        if left:
            result.kept = f"{left} spots arrived while archiving; kept for the next run"
            log.warning("%s: %s", month.table, result.kept)
            return result
        rows = _count(cur, sql.SQL("SELECT count(*) FROM {}").format(table))
        # Taken before the drop asks for it, so the wait is bounded here too.
        cur.execute("LOCK TABLE spots IN ACCESS EXCLUSIVE MODE")
        cur.execute(
            "INSERT INTO spot_archives (month, spots, files) VALUES (%s,"
            f" (SELECT count(DISTINCT id) FROM {KEYS_TABLE}), %s)"
            " ON CONFLICT (month) DO UPDATE SET spots = excluded.spots,"
            " files = ARRAY(SELECT DISTINCT unnest(spot_archives.files || excluded.files)"
            " ORDER BY 1), dropped_at = now()",
            (month.start, [path.name for path in files]),
        )
        cur.execute(sql.SQL("DROP TABLE {}").format(table))
    result.rows, result.dropped = rows, True
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


@contextlib.contextmanager
def run_lock(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Hold `RETENTION_LOCK` for the block; `RetentionBusyError` when another run has it."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (RETENTION_LOCK,)).fetchone()
    conn.commit()
    if not (row and row[0]):
        raise RetentionBusyError(
            "another retention run is going (the collector's housekeeping or `dxspots "
            "archive`); this one did nothing"
        )
    try:
        yield
    finally:
        # A broken connection has lost the lock with its session: nothing to release.
        with contextlib.suppress(psycopg.Error):
            conn.rollback()
            conn.execute("SELECT pg_advisory_unlock(%s)", (RETENTION_LOCK,))
            conn.commit()


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
    rejected lines past the same age. `RetentionBusyError` when another run is going;
    `RetentionError` when the folder cannot be used or an archive file there is unreadable
    or another database's (that month and later ones are then left as they are). A month
    whose drop could not get its locks is kept (`MonthResult.kept`) and the run goes on.
    """
    cutoff = cutoff_for(days, now)
    result = RetentionResult(cutoff)
    months = due(partitions(conn), cutoff)
    conn.commit()
    if dry_run:
        result.months = [archive_month(conn, month, folder, dry_run=True) for month in months]
        return result
    identity = ""
    with run_lock(conn):
        if months:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise RetentionError(
                    f"DXSPOTS_ARCHIVE_DIR: cannot create {folder}: {error.strerror or error}"
                ) from None
            identity = str(database_identity(conn, create=True))
            months = due(partitions(conn), cutoff)  # as they are now the lock is ours
            conn.commit()
        for month in months:
            result.months.append(
                archive_month(conn, month, folder, identity=identity, before_drop=before_drop)
            )
        result.rejected_deleted = drop_rejected(conn, cutoff)
    return result

"""Retention's archive files on disk: whose they are, which spots they hold, how one is made.

An archive file is Parquet in the export's schema (`dxspots.db.export`) whose metadata names
the database it was archived from (`dxspots.database`: the UUID in `database_identity`,
migration 0013). Spot ids are numbers of one database, so a file is trusted only by the
database that wrote it, and its rows are compared with stored ones by their whole key (id,
time, calls, frequency, comment), never by id alone. The keys are loaded into a session temp
table (`archive_keys`) in batches with COPY, so a month of ten million spots is compared in
the database, not in memory.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from dxspots.db.export import arrow_schema, spots_frame

IDENTITY_KEY = b"dxspots.database"
"""The Parquet metadata key naming the database a file was archived from."""
KEY_COLUMNS = ("id", "spot_time", "dx_call", "spotter", "freq_khz", "comment")
"""What makes an archived row the stored one: its id and the spot's own fields."""
BATCH_ROWS = 50_000
KEYS_TABLE = "archive_keys"


class ArchiveFileError(ValueError):
    """A file is not a spots Parquet file, or not an archive of this database."""


def database_identity(conn: psycopg.Connection[Any], *, create: bool = False) -> str | None:
    """This database's identity (a UUID), made first when `create`; None if it has none."""
    with conn.transaction():
        if create:
            conn.execute("INSERT INTO database_identity DEFAULT VALUES ON CONFLICT DO NOTHING")
        row = conn.execute("SELECT id::text FROM database_identity").fetchone()
    return None if row is None else str(row[0])


def file_identity(path: Path) -> str | None:
    """The database a Parquet file says it was archived from (None: it says none)."""
    import pyarrow.parquet as pq  # noqa: PLC0415  (optional: the dashboard extra)

    try:
        metadata = pq.read_metadata(path).metadata or {}
    except Exception as error:  # pyarrow raises several kinds; all mean the same here
        raise ArchiveFileError(f"{path}: not a readable spots archive ({error})") from None
    value = metadata.get(IDENTITY_KEY)
    return None if value is None else value.decode("ascii", "replace")


def check_ours(path: Path, identity: str) -> None:
    """`ArchiveFileError` unless `path` is an archive written by the database `identity`."""
    found = file_identity(path)
    if found is None:
        raise ArchiveFileError(
            f"{path}: names no database in its metadata, so it is not an archive written by "
            "retention (an export?); its ids cannot be trusted: move it out of the archive "
            "folder"
        )
    if found != identity:
        raise ArchiveFileError(
            f"{path}: archived from another database ({found[:40]}; this one is {identity}); "
            "its ids are not this database's: move it out of the archive folder"
        )


def load_keys(conn: psycopg.Connection[Any], paths: Iterable[Path], *, reset: bool = True) -> int:
    """Copy the key columns of the files' rows into the temp table `archive_keys` (emptied
    first when `reset`); return how many rows it then holds. `ArchiveFileError` for a file
    that cannot be read as spots."""
    import pyarrow.parquet as pq  # noqa: PLC0415  (optional: the dashboard extra)

    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {KEYS_TABLE} (id bigint NOT NULL,"
            " spot_time timestamptz NOT NULL, dx_call text NOT NULL, spotter text NOT NULL,"
            " freq_khz float8 NOT NULL, comment text NOT NULL)"
        )
        if reset:
            cur.execute(f"TRUNCATE {KEYS_TABLE}")
        copy_in = f"COPY {KEYS_TABLE} ({', '.join(KEY_COLUMNS)}) FROM STDIN"
        for path in paths:
            try:
                batches = pq.ParquetFile(path).iter_batches(BATCH_ROWS, columns=list(KEY_COLUMNS))
                with cur.copy(copy_in) as copy:
                    for batch in batches:
                        for name in KEY_COLUMNS:
                            if batch.column(name).null_count:
                                raise ArchiveFileError(f"{path}: a row without {name}")
                        columns = [batch.column(name).to_pylist() for name in KEY_COLUMNS]
                        for values in zip(*columns, strict=True):
                            copy.write_row(values)
            except (ArchiveFileError, psycopg.Error):
                raise
            except Exception as error:  # pyarrow's several kinds: not a spots archive
                raise ArchiveFileError(f"{path}: not a readable spots archive ({error})") from None
        cur.execute(f"ANALYZE {KEYS_TABLE}")
        total = cur.execute(f"SELECT count(*) FROM {KEYS_TABLE}").fetchone()
    return int(total[0]) if total else 0


def index_keys(conn: psycopg.Connection[Any]) -> None:
    """Index `archive_keys` by the spot's dedupe key, for looking batches up in it."""
    with conn.transaction():
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {KEYS_TABLE}_spot ON {KEYS_TABLE}"
            " (spot_time, dx_call, spotter)"
        )


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_parquet(
    conn: psycopg.Connection[Any],
    query: sql.Composed,
    out: IO[bytes],
    metadata: dict[bytes, bytes],
) -> int:
    import pyarrow as pa  # noqa: PLC0415  (optional: the dashboard extra)
    import pyarrow.parquet as pq  # noqa: PLC0415

    schema = arrow_schema().with_metadata(metadata)
    rows = 0
    with (
        conn.transaction(),
        conn.cursor(name="dxspots_archive", row_factory=dict_row) as cur,
        pq.ParquetWriter(out, schema, compression="zstd") as writer,
    ):
        cur.itersize = BATCH_ROWS
        cur.execute(query)
        while chunk := cur.fetchmany(BATCH_ROWS):
            table = pa.Table.from_pandas(spots_frame(chunk), schema, preserve_index=False)
            writer.write_table(table.replace_schema_metadata(metadata))
            rows += len(chunk)
    return rows


def _link_new(temporary: Path, folder: Path, stem: str) -> Path:
    """Give `temporary` the month's first free name; an existing file is never replaced."""
    number = 1
    while True:
        target = folder / (f"{stem}.parquet" if number == 1 else f"{stem}.{number}.parquet")
        try:
            os.link(temporary, target)  # fails when the name is taken, however it was
            return target
        except FileExistsError:
            number += 1
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            # No hard links on this file system: only this run writes here (the retention
            # lock), so a rename after a look is safe from other runs of this database.
            if not target.exists():
                temporary.rename(target)
                return target
            number += 1


def write_file(
    conn: psycopg.Connection[Any],
    query: sql.Composed,
    folder: Path,
    stem: str,
    identity: str,
) -> tuple[Path, int]:
    """Write the rows of `query` to a new archive file `folder/stem[.N].parquet`, naming
    this database in it; return the file and its rows.

    Written under a unique hidden temporary name, fsynced, read back (its rows and identity
    must be what was written), then linked to the first free name and the folder fsynced, so
    a file with a final name is always whole and no file is ever overwritten.
    `ArchiveFileError` when the read-back differs.
    """
    import pyarrow.parquet as pq  # noqa: PLC0415  (optional: the dashboard extra)

    metadata = {IDENTITY_KEY: identity.encode("ascii"), b"dxspots.month": stem.encode("ascii")}
    fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".parquet.tmp", dir=folder)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            rows = _write_parquet(conn, query, out, metadata)
            out.flush()
            os.fsync(out.fileno())
        stored = pq.read_metadata(temporary)
        if stored.num_rows != rows or file_identity(temporary) != identity:
            raise ArchiveFileError(
                f"{temporary}: read back {stored.num_rows} rows of {file_identity(temporary)},"
                f" written {rows} of {identity}"
            )
        target = _link_new(temporary, folder, stem)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(folder)
    return target, rows


def leftovers(folder: Path, stem: str) -> list[Path]:
    """Temporary files of the month left by an interrupted run (never linked: never whole)."""
    return sorted(folder.glob(f".{stem}.*.parquet.tmp"))

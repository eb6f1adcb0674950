"""Your own logs: `dxspots log import FILE...` (ADIF, `.adi` or `.adx`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dxspots.runtime import CommandError, connect, load_country_file, writer_dsn
from dxspots.settings import Settings

if TYPE_CHECKING:
    import psycopg
    from tqdm import tqdm

    from dxspots.db.logbook import StoreResult
    from dxspots.logbook import QsoReader

MAX_LOG_BYTES = 1 << 30
"""The largest log file read (1 GiB: some million QSOs); a bigger one is refused by name."""
SHOWN_PROBLEMS = 20
"""Bad records listed one by one per file; the rest are counted."""
BATCH = 2000


def cmd_log(args: argparse.Namespace, settings: Settings) -> int:
    """Dispatch `dxspots log ACTION`."""
    return log_import(args, settings)


def log_import(args: argparse.Namespace, settings: Settings) -> int:
    """Read each ADIF file, store its QSOs under the owner, and say what happened."""
    from tqdm import tqdm

    from dxspots.db.logbook import StoreResult, refresh_slots
    from dxspots.db.migrate import migrate
    from dxspots.logbook import QsoReader
    from dxspots.queries.params import one_call

    given = (args.owner or settings.callsign or "").strip()
    if not given:
        raise CommandError("--owner: whose log this is (or set DXSPOTS_CALLSIGN)")
    try:  # the API and the dashboard take an owner as a call: letters, digits and /
        owner = one_call(given)
    except ValueError:
        raise CommandError(
            f"--owner: {given[:40]!r} is not a call (letters, digits and /, at most 20)"
        ) from None
    files: list[tuple[Path, bytes]] = []
    for path in args.files:
        try:
            size = path.stat().st_size
            if size > MAX_LOG_BYTES:
                raise CommandError(f"{path}: {size:,} bytes; at most {MAX_LOG_BYTES:,} are read")
            files.append((path, path.read_bytes()))
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from None
    enricher, _ = load_country_file(settings)
    reader = QsoReader(enricher.country_file)
    stored = StoreResult()
    read = bad = slots = 0
    with writer_dsn(settings) as dsn, connect(dsn) as conn:
        migrate(conn)
        total = sum(len(data) for _, data in files)
        try:
            with tqdm(total=total, unit="B", unit_scale=True, desc="log", file=sys.stderr) as bar:
                for path, data in files:
                    counts = _import_file(conn, owner, reader, path, data, bar, stored)
                    read, bad = read + counts[0], bad + counts[1]
        finally:
            # What was stored counts in the marks, even when a file stopped the import.
            if not conn.closed and not conn.broken:
                conn.rollback()
                slots = refresh_slots(conn, owner)
                conn.commit()
    print(
        f"owner: {owner}\nQSOs read: {read}\nstored: {stored.new} new, {stored.changed} changed"
        f" (a confirmation or an entity), {stored.unchanged} already there\n"
        f"bad records (not stored, listed above): {bad}\n"
        f"entity x band x mode slots worked: {slots}"
    )
    if enricher.country_file is None:
        print(
            "No country file: the QSOs have no entity, so nothing can be marked as needed. "
            "Run `dxspots cty update`, then import the log again.",
            file=sys.stderr,
        )
    return 0


def _import_file(
    conn: psycopg.Connection[tuple[object, ...]], owner: str, reader: QsoReader, path: Path,
    data: bytes, bar: tqdm[Any], stored: StoreResult,
) -> tuple[int, int]:  # fmt: skip
    """Store one file's QSOs in committed batches; list its first bad records; return how
    many QSOs it held and how many bad records."""
    from dxspots.adif import AdifProblem, read_log
    from dxspots.db.logbook import store_qsos
    from dxspots.logbook import Qso

    batch: list[Qso] = []
    read = bad = done = 0
    for item in read_log(data):
        if isinstance(item, AdifProblem):
            outcome: Qso | str = item.reason
        else:
            outcome = reader.read(item.fields)
        if isinstance(outcome, Qso):
            read += 1
            batch.append(outcome)
        else:
            bad += 1
            if bad <= SHOWN_PROBLEMS:
                bar.write(f"{path}:{item.line}: {outcome}", file=sys.stderr)
        if len(batch) >= BATCH:
            stored.add(store_qsos(conn, owner, batch))
            conn.commit()
            batch.clear()
        bar.update(max(0, item.end - done))
        done = max(done, item.end)
    stored.add(store_qsos(conn, owner, batch))
    conn.commit()
    bar.update(len(data) - done)
    if bad > SHOWN_PROBLEMS:
        bar.write(f"{path}: {bad - SHOWN_PROBLEMS} more bad records", file=sys.stderr)
    return read, bad

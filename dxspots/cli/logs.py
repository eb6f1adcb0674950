"""Your own logs: `dxspots log import FILE...` (ADIF, `.adi` or `.adx`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dxspots.runtime import CommandError, connect, load_country_file, writer_dsn
from dxspots.settings import Settings

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

    from dxspots.adif import AdifProblem, read_log
    from dxspots.db.logbook import StoreResult, refresh_slots, store_qsos
    from dxspots.db.migrate import migrate
    from dxspots.logbook import Qso, QsoReader

    owner = (args.owner or settings.callsign or "").strip().upper()
    if not owner:
        raise CommandError("--owner: whose log this is (or set DXSPOTS_CALLSIGN)")
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
    read = bad = 0
    with writer_dsn(settings) as dsn, connect(dsn) as conn:
        migrate(conn)
        total = sum(len(data) for _, data in files)
        with tqdm(total=total, unit="B", unit_scale=True, desc="log", file=sys.stderr) as bar:
            for path, data in files:
                batch: list[Qso] = []
                done = shown = 0
                for item in read_log(data):
                    outcome = (
                        item.reason if isinstance(item, AdifProblem) else reader.read(item.fields)
                    )
                    if isinstance(outcome, Qso):
                        read += 1
                        batch.append(outcome)
                    else:
                        bad += 1
                        shown += 1
                        if shown <= SHOWN_PROBLEMS:
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
                if shown > SHOWN_PROBLEMS:
                    bar.write(f"{path}: {shown - SHOWN_PROBLEMS} more bad records", file=sys.stderr)
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

"""Spots in and out of files: `dxspots parse`, `import`, `export` and `archive`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dxspots.cli.parser import EXPORT_FORMATS, EXPORT_LISTS, EXPORT_STATEMENT_TIMEOUT_S
from dxspots.cli.schema import migrate_or_fail
from dxspots.cli.serve import reader_dsn
from dxspots.runtime import (
    CommandError,
    connect,
    load_enricher,
    writer_dsn,
)
from dxspots.settings import (
    Settings,
)

if TYPE_CHECKING:
    from dxspots.spot import Record

log = logging.getLogger("dxspots")


def cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    """Print one record per input line, enriched."""
    from dxspots.parse import parse_line
    from dxspots.recordio import write_csv, write_jsonl
    from dxspots.spot import Spot

    if args.file != "-" and not Path(args.file).is_file():
        raise CommandError(f"no such file: {args.file}")
    enricher = load_enricher(settings)
    received = args.received_at or datetime.now(UTC)
    stream = (
        sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    )

    enrich, node = enricher.enrich, args.node

    def numbered() -> Iterator[tuple[int, Record]]:
        with stream:
            for number, data in enumerate(stream, start=1):
                record = parse_line(data.decode("latin-1"), received, node)
                yield number, enrich(record) if type(record) is Spot else record

    if args.format == "csv":
        write_csv(numbered(), sys.stdout)
    else:
        sys.stdout.flush()  # JSON lines are bytes, written below the text layer
        write_jsonl(numbered(), sys.stdout.buffer)
        sys.stdout.buffer.flush()
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Load files into the database with a progress bar, then print a summary."""
    from tqdm import tqdm

    from dxspots.db.archive import ArchiveFileError
    from dxspots.db.migrate import migrate
    from dxspots.db.writer import SpotWriter
    from dxspots.importer import ImportSummary, import_file, import_parquet, input_size, is_parquet

    for path in args.files:
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
    parquet = {path for path in args.files if is_parquet(path)}
    restored = 0
    enricher = load_enricher(settings)
    summary = ImportSummary()
    with writer_dsn(settings) as dsn, connect(dsn) as conn:
        migrate(conn)
        writer = SpotWriter(conn)
        total = sum(input_size(path) for path in args.files)
        with tqdm(total=total, unit="B", unit_scale=True, desc="import", file=sys.stderr) as bar:
            for path in args.files:
                # Spots of months retention archived are checked against the archive files
                # (docs/retention.md): a copy of an archived spot is not stored again.
                try:
                    if path in parquet:
                        restored += import_parquet(
                            path, writer, progress=bar.update, summary=summary,
                            archive_dir=settings.archive_path,
                        )  # fmt: skip
                        continue
                    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                    import_file(
                        path, writer, enricher, default_received=args.received_at or mtime,
                        node=args.node or path.name, progress=bar.update, summary=summary,
                        archive_dir=settings.archive_path,
                    )  # fmt: skip
                except ArchiveFileError as error:
                    raise CommandError(str(error)) from None
    if restored:
        print(
            f"{restored} spots of archived months restored (the hourly counts already had them)",
            file=sys.stderr,
        )
    if summary.undated:
        when = "--received-at" if args.received_at else "each file's modification time"
        print(
            f"{summary.undated} log lines had no timestamp: their HHMMZ times were dated from "
            f"{when}. Import them again with the same --received-at to avoid new copies.",
            file=sys.stderr,
        )
    print(
        f"lines read: {summary.lines}\nspots: {summary.spots} ({summary.spots_new} new, "
        f"{summary.duplicates} duplicates)\nWWV/WCY reports: {summary.reports}\n"
        f"announcements: {summary.announcements}\nrejected (kept in rejected_lines): "
        f"{summary.rejected}\nother lines (banners, prompts): {summary.other}"
    )
    return 0


def cmd_archive(args: argparse.Namespace, settings: Settings) -> int:
    """Archive and drop the months of spots past the retention period; print what was done."""
    from dxspots.db.retention import RetentionBusyError, RetentionError, apply_retention

    days = args.days if args.days is not None else settings.retention_days
    if days is None:
        raise CommandError(
            "DXSPOTS_RETENTION_DAYS is not set, so every spot is kept: set it (or give "
            "--days N) to archive older spots"
        )
    if days < 1:
        raise CommandError(f"--days: {days} is not a number of days (at least 1)")
    folder = settings.archive_path
    with writer_dsn(settings) as dsn, connect(dsn) as conn:
        migrate_or_fail(conn)
        try:
            result = apply_retention(conn, days, folder, dry_run=args.dry_run)
        except RetentionBusyError as error:  # the collector's housekeeping, say: not a failure
            print(error)
            return 0
        except RetentionError as error:
            raise CommandError(str(error)) from None
    when = f"{result.cutoff:%Y-%m-%d %H:%M}Z"
    if not result.months:
        print(f"no month of spots ends before {when} ({days} days ago): nothing to archive")
    for month in result.months:
        name = f"{month.month.start:%Y-%m}"
        if args.dry_run:
            print(f"{name}: {month.rows} spots would be archived to {folder} and dropped")
        elif month.dropped:
            files = ", ".join(path.name for path in month.written) or "already archived"
            print(f"{name}: {month.rows} spots archived ({files}) and dropped")
        else:
            print(f"{name}: kept for the next run ({month.kept or 'not dropped'})")
    if not args.dry_run:
        print(f"rejected lines deleted (received before {when}): {result.rejected_deleted}")
    return 0


def export_target(output: str, fmt: str | None) -> tuple[str, Path | None]:
    """The format and file of `-o OUTPUT` (None: standard output), checked before anything
    runs: the folder must exist, and with no --format the name must say the format."""
    if output == "-":
        return fmt or "csv", None
    target = Path(output)
    if not target.parent.is_dir():
        raise CommandError(
            f"-o: the folder {target.parent} does not exist: create it first, or write "
            "somewhere else"
        )
    if target.is_dir():
        raise CommandError(
            f"-o: {target} is a folder: name a file in it, e.g. {target / 'spots.csv'}"
        )
    if fmt is None:
        fmt = EXPORT_FORMATS.get(target.suffix.lower())
        if fmt is None:
            known = ", ".join(EXPORT_FORMATS)
            raise CommandError(
                f"-o {target.name}: which format? Name the file "
                f"{known.rsplit(', ', 1)[0]} or {known.rsplit(', ', 1)[1]}, or give --format "
                "csv, parquet or jsonl"
            )
    return fmt, target


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the spots a window and filters select as CSV, Parquet or JSON lines."""
    import psycopg
    from tqdm import tqdm

    from dxspots.db.export import ExportError, export_spots
    from dxspots.queries import ParameterError, all_spots, fetch, prepare_reader

    raw = {name: getattr(args, name) for name in ("since", "until", "days", "skimmer")}
    raw |= {name: getattr(args, name) for name in EXPORT_LISTS}
    try:
        statement, count = all_spots(raw)
    except ParameterError as error:
        raise CommandError(f"--{error.parameter.replace('_', '-')}: {error.message}") from None
    fmt, target = export_target(args.output, args.format)
    # A file is written beside its target and renamed when complete: an export that fails
    # or is interrupted leaves no file that looks whole.
    partial = None if target is None else target.with_name(f".{target.name}.partial")
    with reader_dsn(settings) as dsn, connect(dsn) as conn:
        conn.autocommit = True
        prepare_reader(conn, EXPORT_STATEMENT_TIMEOUT_S)
        # The count and the rows are read in one snapshot: spots stored meanwhile (a running
        # collector) are in neither, so the bar ends at 100% of what was written.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            # The count only sizes the progress bar: no second scan when nobody watches.
            total = fetch(conn, count).items[0]["spots"] if sys.stderr.isatty() else None
            out = sys.stdout.buffer if partial is None else partial.open("wb")
            bar = tqdm(total=total, unit=" spots", desc="export", file=sys.stderr,
                       disable=total is None or total < 10_000)  # fmt: skip
            try:
                rows = export_spots(conn, statement, out, fmt, bar.update)
            except ExportError as error:
                raise CommandError(str(error)) from None
            finally:
                bar.close()
                if partial is not None:
                    out.close()
                    if sys.exc_info()[0] is not None:
                        partial.unlink(missing_ok=True)
    if partial is not None and target is not None:
        partial.replace(target)
    print(f"exported {rows} spots", file=sys.stderr)
    return 0

"""The `dxspots` command. Thin: it reads the settings once, then calls into the core.

Subcommands: parse, import, export, archive, db migrate, db status, cty update, cty reenrich,
collect, simulate, api, dashboard, up. Each imports what it needs when it runs, so `dxspots parse`
never loads the database driver, and the apps load only with their own subcommand.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from dxspots.redact import Redactor, dsn_secrets, mask
from dxspots.runtime import (
    CommandError,
    configure_logging,
    connect,
    load_enricher,
    local_password_file,
    writer_dsn,
)
from dxspots.settings import (
    SIMULATED_NODE,
    NodeConfig,
    Settings,
    SettingsError,
    load_settings,
    unknown_settings,
)

if TYPE_CHECKING:
    import psycopg

    from dxspots.enrich import Enricher
    from dxspots.runtime import CountryFileWatch
    from dxspots.spot import Record
    from dxspots.supervise import Port

log = logging.getLogger("dxspots")


def _utc(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


EXPORT_LISTS = {
    "band": "band of the spot, e.g. 20m or 6m",
    "mode": "mode of the spot, e.g. CW, SSB, FT8, RTTY",
    "dx_call": "the spotted station's call, exactly, e.g. VP8PJ",
    "dx_prefix": "the start of the spotted station's call, e.g. VP8 or JA1",
    "dx_entity": "the spotted station's DXCC entity as the country file names it, any case, "
    "e.g. Bouvet",
    "dx_continent": "the spotted station's continent: AF, AN, AS, EU, NA, OC or SA",
    "spotter": "the spotting station's call: a plain call takes every SSID and skimmer "
    "suffix of it (KM3T takes KM3T-2-#), one with a suffix only itself",
    "spotter_continent": "the spotting station's continent: AF, AN, AS, EU, NA, OC or SA",
    "node": "the node the spot came from, exactly as named in DXSPOTS_NODES (or the "
    "imported file's name)",
}
"""The list filters `dxspots export` takes (named as the API's parameters), and what each
filters."""
EXPORT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}
"""The output file suffixes `dxspots export` knows, and the format each means."""
EXPORT_STATEMENT_TIMEOUT_S = 3600.0


def _command(sub: Any, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    """A subcommand with a one-line summary (in `dxspots --help`) and a description (in its
    own --help)."""
    return cast(
        argparse.ArgumentParser,
        sub.add_parser(
            name, help=summary, description=f"{summary[0].upper()}{summary[1:]}. {description}"
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    """Describe every subcommand and option."""
    parser = argparse.ArgumentParser(
        prog="dxspots",
        description="DX cluster spots into PostgreSQL, with a dashboard and an HTTP API. "
        "Settings come from DXSPOTS_* environment variables (docs/configuration.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _command(
        sub,
        "parse",
        "parse saved cluster lines and print one record per line",
        "Each line is read as a DX cluster node sends it (DX de spots, RBN, CC11, sh/dx "
        "answers, WWV/WCY, announcements), enriched with the country file when there is one, "
        "and printed as JSON lines or CSV. Nothing is stored.",
    )
    p.add_argument("file", nargs="?", default="-", help="a file of lines, or - for standard input")
    p.add_argument(
        "--format",
        choices=("jsonl", "csv"),
        default="jsonl",
        help="jsonl: one JSON object per line (default); csv: a header and a row per record",
    )
    p.add_argument(
        "--received-at",
        type=_utc,
        metavar="TIME",
        help="when the lines were received, ISO 8601 (default: now): dates the "
        "HHMMZ times of spots",
    )
    p.add_argument("--node", help="the node name to record with each line")

    p = _command(
        sub,
        "import",
        "load telnet logs and RBN archive files into the database",
        "Saved telnet logs (with or without timestamp prefixes, DXSpider debug logs included) "
        "and Reverse Beacon Network daily archives (CSV, zipped or not) are parsed, enriched "
        "and stored, with a progress bar and a summary. Parquet files of spots (retention's "
        "archives, `dxspots export`'s) are stored row for row; an archived month comes back "
        "without being counted twice. Importing a file again doubles nothing.",
    )
    p.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="log, RBN archive or spots Parquet files to load",
    )
    p.add_argument(
        "--received-at",
        type=_utc,
        metavar="TIME",
        help="when lines without a timestamp were received, ISO 8601 (default: "
        "each file's modification time)",
    )
    p.add_argument("--node", help="the node name to record with the spots (default: the file name)")

    p = _command(
        sub,
        "export",
        "write stored spots as CSV, Parquet or JSON lines",
        "Selects spots by time window and filters, as the API's /v1/spots does, and writes "
        "all of them, oldest first, in chunks (any size), with a progress bar on a terminal. "
        "A file is written whole or not at all. The list filters are repeatable or "
        "comma-separated (--band 20m,40m); different filters must all match.",
    )
    p.add_argument(
        "--since",
        metavar="TIME",
        help="spots from this time on, ISO 8601, e.g. 2026-01-31T18:00Z (default: "
        "24 hours before --until)",
    )
    p.add_argument(
        "--until", metavar="TIME", help="spots before this time, ISO 8601 (default: now)"
    )
    p.add_argument(
        "--days", metavar="N", help="the N days before --until, instead of --since, e.g. 7"
    )
    for name, meaning in EXPORT_LISTS.items():
        p.add_argument(
            f"--{name.replace('_', '-')}",
            action="append",
            default=[],
            metavar="VALUE",
            help=f"{meaning}; repeatable or comma-separated",
        )
    p.add_argument(
        "--skimmer",
        choices=("true", "false"),
        help="true: skimmer (RBN) spots only; false: spots by people only",
    )
    p.add_argument(
        "--format",
        choices=("csv", "parquet", "jsonl"),
        help="the file format (default: from the output file's name: .csv, .parquet, .jsonl; "
        "csv on standard output)",
    )
    p.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="the file to write, in a folder that exists, or - for standard output (default)",
    )

    p = _command(
        sub,
        "archive",
        "archive spots older than DXSPOTS_RETENTION_DAYS as Parquet and drop them",
        "Each month of spots wholly older than the retention period is written to "
        "DXSPOTS_ARCHIVE_DIR as spots-YYYY-MM.parquet (the export's columns), checked, then "
        "dropped; the hourly counts are kept. Rejected lines past the period are deleted. "
        "Safe to interrupt and run again; the collector does this once a day (docs/retention.md).",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="say which months would be archived and their spots; change nothing",
    )
    p.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="the retention period in days for this run (default: DXSPOTS_RETENTION_DAYS)",
    )

    db = _command(
        sub,
        "db",
        "create or update the database schema",
        "The schema is a series of numbered migrations (docs/database.md); every command "
        "that writes applies the pending ones itself, so this is for checking or for doing "
        "it ahead of time.",
    ).add_subparsers(dest="db_command", required=True, metavar="ACTION")
    _command(
        db,
        "migrate",
        "apply the pending migrations",
        "Prints each one applied; a failed one is rolled back and named.",
    )
    _command(
        db,
        "status",
        "list the migrations and whether each is applied",
        "Exits 1 when some are pending, so scripts can test for it.",
    )

    cty = _command(
        sub,
        "cty",
        "the AD1C country files (DXCC entities, continents, zones)",
        "Spots are enriched with the entity, continent, CQ and ITU zone of both stations from "
        "cty.dat and cty.csv in the data directory (DXSPOTS_DATA_DIR) or DXSPOTS_CTY_PATH.",
    ).add_subparsers(dest="cty_command", required=True, metavar="ACTION")
    _command(
        cty,
        "update",
        "download the current cty.dat and cty.csv, then re-enrich",
        "Downloads from DXSPOTS_CTY_URL, checks the files before replacing the old ones (kept "
        "as .old), then re-enriches the stored spots that have no entity (as `dxspots cty "
        "reenrich`). A running collector picks the new file up within a minute.",
    )
    p = _command(
        cty,
        "reenrich",
        "give stored spots without an entity their entities",
        "Spots stored while there was no country file, or before it knew their prefix, are "
        "enriched again with the current one, in batches of 5,000, with progress. "
        "An interrupted run continues where it stopped; a new country file starts over.",
    )
    p.add_argument(
        "--restart",
        action="store_true",
        help="start again from the oldest spot, not where an interrupted run stopped",
    )

    p = _command(
        sub,
        "collect",
        "connect to the configured nodes and store their spots",
        "Logs in to every node of DXSPOTS_NODES as DXSPOTS_CALLSIGN and stores their spots, "
        "reconnecting, back-filling and spooling while the database is away, with /healthz "
        "and /metrics on DXSPOTS_METRICS_PORT (docs/collector.md). Runs until SIGTERM or "
        "Ctrl-C.",
    )
    p.add_argument(
        "--simulated-node",
        metavar="HOST:PORT",
        help="with no DXSPOTS_CALLSIGN set, collect from this simulated node (a demo) instead "
        "of stopping",
    )

    p = _command(
        sub,
        "simulate",
        "run a simulated DXSpider node (for tests and demos)",
        "A telnet server that logs a client in as DXSpider does and sends made-up spots, "
        "WWV/WCY and announcements, with faults on demand (docs/simulator.md). It is not a "
        "real cluster.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=7300, help="port to listen on (default 7300; 0: any free port)"
    )
    p.add_argument(
        "--rate",
        type=float,
        default=10.0,
        help="lines per second per client (default 10; 0: as fast as it can)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the made-up traffic: the same seed sends the same lines",
    )
    p.add_argument("--log", type=Path, metavar="FILE", help="append every line sent to this file")
    p.add_argument(
        "--drop-every",
        type=float,
        metavar="SECONDS",
        help="fault: close each connection after this many seconds",
    )
    p.add_argument(
        "--stall-after",
        type=float,
        metavar="SECONDS",
        help="fault: stop sending (but keep the connection) after this many seconds",
    )
    p.add_argument(
        "--garbage-every",
        type=int,
        metavar="N",
        help="fault: send a line of random bytes every N lines",
    )
    p.add_argument(
        "--endless-line-after",
        type=int,
        metavar="N",
        help="fault: after N lines, send 1 MB without a line end",
    )
    p.add_argument(
        "--refuse-login",
        action="store_true",
        help="fault: answer every login with a refusal and hang up",
    )

    p = _command(
        sub,
        "api",
        "serve the HTTP API (JSON, CSV, live stream)",
        "Every dashboard query as JSON and CSV under /v1/, a live stream of new spots "
        "(/v1/stream, Server-Sent Events), /openapi.json, /healthz, /readyz and /metrics "
        "(docs/api.md). Runs until SIGTERM or Ctrl-C.",
    )
    p.add_argument("--host", help="address to listen on (default DXSPOTS_API_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default DXSPOTS_API_PORT, 8080)")

    p = _command(
        sub,
        "dashboard",
        "serve the Streamlit dashboard",
        "Live band activity, propagation, DX, the collector and exports in a browser "
        "(docs/dashboard.md). Runs until SIGTERM or Ctrl-C.",
    )
    p.add_argument(
        "--host", help="address to listen on (default DXSPOTS_DASHBOARD_HOST, 127.0.0.1)"
    )
    p.add_argument(
        "--port", type=int, help="port to listen on (default DXSPOTS_DASHBOARD_PORT, 8501)"
    )

    p = _command(
        sub,
        "up",
        "run everything on this machine (see README)",
        "The database (a PostgreSQL server of its own in the data directory unless "
        "DXSPOTS_DATABASE_URL is set), the migrations, the country file (fetched on a first "
        "run), the collector, the API and the dashboard, until Ctrl-C. Without "
        "DXSPOTS_CALLSIGN it collects from a built-in simulated node. It checks the ports "
        "first and refuses to run twice on one data directory.",
    )
    p.add_argument(
        "--simulate",
        action="store_true",
        help="collect from the built-in simulated node even when a callsign is set",
    )
    return parser


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
                if path in parquet:
                    try:
                        restored += import_parquet(
                            path, writer, progress=bar.update, summary=summary
                        )
                    except ArchiveFileError as error:
                        raise CommandError(str(error)) from None
                    continue
                mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                import_file(
                    path,
                    writer,
                    enricher,
                    default_received=args.received_at or mtime,
                    node=args.node or path.name,
                    progress=bar.update,
                    summary=summary,
                )
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
    from dxspots.db.retention import RetentionError, apply_retention

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
            print(f"{name}: spots arrived while archiving; kept for the next run")
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


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """Apply migrations, or list them."""
    from dxspots.db.migrate import MigrationError, migrate, migration_status

    with writer_dsn(settings) as dsn, connect(dsn) as conn:
        if args.db_command == "migrate":
            try:
                applied = migrate(conn)
            except MigrationError as error:
                raise CommandError(str(error)) from None
            for migration in applied:
                print(f"applied {migration.version:04d}_{migration.name}")
            print("database is up to date" if applied else "nothing to do: up to date")
            return 0
        pending = 0
        for state in migration_status(conn):
            migration = state.migration
            if state.applied_at is None:
                pending += 1
                status = "pending"
            else:
                status = f"applied {state.applied_at:%Y-%m-%d %H:%M:%SZ}"
                if state.changed:
                    status += " (file changed since)"
            print(f"{migration.version:04d}_{migration.name:<24} {status}")
        return 1 if pending else 0


def cmd_cty(args: argparse.Namespace, settings: Settings) -> int:
    """Download the country files, then re-enrich; or re-enrich alone."""
    import psycopg

    if args.cty_command == "update":
        fetch_country_file(settings)
    try:
        with writer_dsn(settings) as dsn, connect(dsn) as conn:
            migrate_or_fail(conn)
            reenrich(conn, settings, restart=getattr(args, "restart", False))
    except (CommandError, psycopg.Error) as error:
        if args.cty_command != "update":
            raise
        raise CommandError(
            f"the country file was installed, but the stored spots were not re-enriched: "
            f"{str(error).strip()}. Run `dxspots cty reenrich` when the database answers."
        ) from None
    return 0


def fetch_country_file(settings: Settings) -> None:
    """Download cty.dat and cty.csv into the data directory; `CommandError` on failure."""
    from dxspots.cty import CtyError
    from dxspots.ctyupdate import update_country_files

    try:
        result = update_country_files(settings.data_dir, settings.cty_url)
    except CtyError as error:
        raise CommandError(f"country file update failed, previous files kept: {error}") from None
    print(
        f"country file version {result.version or 'unknown'}: {result.entities} entities, "
        f"in {', '.join(str(path) for path in result.written)}",
        flush=True,
    )


def reenrich(
    conn: psycopg.Connection[tuple[object, ...]], settings: Settings, *, restart: bool = False
) -> int:
    """Re-enrich the stored spots that lack an entity, printing progress; return how many
    were given one. Says so and returns 0 when there is no country file."""
    import time

    from dxspots.db.reenrich import ReenrichProgress, reenrich_spots
    from dxspots.runtime import load_country_file

    enricher, state = load_country_file(settings)
    if state.identity is None:
        print("no country file to re-enrich with: run `dxspots cty update`", flush=True)
        return 0
    shown = [time.monotonic()]

    def report(progress: ReenrichProgress) -> None:
        if time.monotonic() - shown[0] >= REENRICH_PROGRESS_S:
            shown[0] = time.monotonic()
            reached = f"{progress.reached:%Y-%m-%d %H:%MZ}" if progress.reached else "-"
            print(
                f"  re-enrich: {progress.examined:,} spots looked at, "
                f"{progress.enriched:,} given an entity (up to {reached})",
                flush=True,
            )

    print(f"re-enriching stored spots without an entity (country file {state.label})…", flush=True)
    done = reenrich_spots(conn, enricher, state.identity, restart=restart, report=report)
    resumed = " (continued from an interrupted run)" if done.resumed else ""
    print(
        f"re-enriched {done.enriched:,} of {done.examined:,} spots without an entity{resumed}",
        flush=True,
    )
    return done.enriched


REENRICH_PROGRESS_S = 2.0
"""At most one progress line this often while re-enriching."""


def migrate_or_fail(conn: psycopg.Connection[tuple[object, ...]]) -> list[object]:
    """Bring the schema up to date; a failed migration is a `CommandError`."""
    from dxspots.db.migrate import MigrationError, migrate

    try:
        return list(migrate(conn))
    except MigrationError as error:
        raise CommandError(str(error)) from None


SIMULATED_CALL = "DX1SIM"
"""The login call `dxspots up` uses with its simulated node (no real node sees it)."""
DEFAULT_NODES = '[{"name": "rbn", "host": "telnet.reversebeacon.net", "port": 7000, "backfill": 0}]'
"""Live nodes `dxspots up` connects to when a callsign is set but no nodes are."""


def up_ports(settings: Settings) -> list[Port]:
    """The ports `dxspots up` listens on, each with the setting that moves it."""
    from dxspots.supervise import Port

    return [
        Port("DXSPOTS_API_PORT", settings.api_host, settings.api_port),
        Port("DXSPOTS_DASHBOARD_PORT", settings.dashboard_host, settings.dashboard_port),
        Port("DXSPOTS_METRICS_PORT", settings.metrics_host, settings.metrics_port),
    ]


def say(text: str) -> None:
    """Print a line of `up`'s own; a reader that went away (`| tee`, killed by the same
    Ctrl-C) must not stop `up` before it has stopped its children."""
    try:
        print(text, flush=True)
    except BrokenPipeError:  # what is still buffered goes nowhere, not into an error at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def first_country_file(settings: Settings) -> None:
    """On a first run with no country file, fetch one, saying so; offline, say what to run."""
    from dxspots.cty import find_country_file

    if find_country_file(settings.cty_path, settings.data_dir) is not None:
        return
    say(f"no country file: fetching cty.dat from {settings.cty_url}…")
    try:
        fetch_country_file(settings)
    except CommandError as error:
        say(
            f"  {error}\n  DXCC entities and continents stay empty until you run "
            "`dxspots cty update` (the dashboard says so on every page)."
        )


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    """Run the database, migrations, collector, API and dashboard until Ctrl-C."""
    from dxspots.supervise import SuperviseError, check_ports, single_instance

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Until the children run, a stop interrupts what is going on (a download, a long
    # re-enrichment, which continues next time) and the local server is stopped on the way
    # out; SIGINT does that by itself.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    simulated = args.simulate or settings.callsign is None
    try:
        with single_instance(settings.data_dir):
            check_ports(up_ports(settings))  # before anything starts, and before the banner
            return _up(settings, simulated)
    except SuperviseError as error:
        raise CommandError(str(error)) from None


def _up(settings: Settings, simulated: bool) -> int:
    """`cmd_up` once the ports and the data directory are known to be free."""
    import json

    from dxspots.db.forget import forget_node
    from dxspots.db.localserver import free_port
    from dxspots.db.reenrich import pending
    from dxspots.runtime import load_country_file
    from dxspots.supervise import Service, run_services

    with writer_dsn(settings) as dsn:
        with connect(dsn) as conn:
            applied = migrate_or_fail(conn)
            configured = {n.name for n in settings.nodes}
            forgotten = 0
            if not simulated and SIMULATED_NODE not in configured:  # a real node of that name
                forgotten = forget_node(conn, SIMULATED_NODE)["spots"]
            # A new user's spots get their entities: the file first, then the spots stored
            # without one (a run for this file that has not finished, or none yet).
            first_country_file(settings)
            state = load_country_file(settings)[1]
            if state.identity is not None and pending(conn, state.identity):
                reenrich(conn, settings)
        where = "the configured server" if settings.database_url else (
            f"a local server in {settings.data_dir / 'postgres'}"
        )  # fmt: skip
        env = {"DXSPOTS_DATABASE_URL": dsn}
        if settings.read_database_url is None:  # migrated above: the children need not again
            env["DXSPOTS_READ_DATABASE_URL"] = dsn
        services = []
        if simulated:
            port = free_port()
            node = {"name": SIMULATED_NODE, "host": "127.0.0.1", "port": port, "backfill": 30}
            services.append(Service("the simulated node", ["simulate", "--port", str(port)]))
            env |= {"DXSPOTS_NODES": json.dumps([node]), "DXSPOTS_CALLSIGN": SIMULATED_CALL}
        elif not settings.nodes:
            env["DXSPOTS_NODES"] = DEFAULT_NODES
        services += [
            Service("the collector", ["collect"], env),
            Service("the API", ["api"], env),
            Service("the dashboard", ["dashboard"], env),
        ]
        api = f"http://{settings.api_host}:{settings.api_port}"
        dashboard = f"http://{settings.dashboard_host}:{settings.dashboard_port}"
        if simulated:
            banner = (
                "SIMULATED SPOTS: collecting from the built-in simulated DXSpider node, not a "
                "real cluster.\n  To collect live spots, set DXSPOTS_CALLSIGN (your callsign) "
                "and, if you like, DXSPOTS_NODES\n  (docs/configuration.md), then run this again."
            )
        else:
            nodes = ", ".join(n.name for n in settings.nodes) or "the Reverse Beacon Network"
            banner = f"LIVE: logging in as {settings.callsign} to {nodes}"
            if forgotten:
                banner += f"\n  (removed {forgotten} spots of the simulated node from earlier runs)"
        if state.label is None:
            banner += (
                "\n  NO COUNTRY FILE: entities and continents stay empty; run `dxspots cty update`"
            )
        # Where the password is, never the password: this is printed at every start.
        password = "as set in DXSPOTS_DATABASE_URL" if settings.database_url else (
            f"password in {local_password_file(settings).resolve()}"
        )  # fmt: skip
        say(
            f"dxspots up: database on {where}, {len(applied)} migration(s) applied\n"
            f"  {banner}\n"
            f"  dashboard  {dashboard}\n  API        {api}  ({api}/openapi.json)\n"
            f"  database   {Redactor(dsn_secrets(dsn))(dsn)}  ({password})\n"
            "Press Ctrl-C to stop everything."
        )
        # From here a stop (Ctrl-C, SIGTERM, a closed terminal) is the supervisor's to do.
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: stop.set())
        ended = run_services(services, stop)
    if ended:
        raise CommandError(f"{ended}; everything was stopped (its messages are above)")
    say("dxspots up: stopped")
    return 0


def cmd_collect(args: argparse.Namespace, settings: Settings) -> int:
    """Run the collector until SIGTERM or Ctrl-C."""
    import asyncio

    import psycopg

    from collector.app import Collector, CollectorConfigError
    from collector.sdnotify import Notifier
    from collector.spool import Spool
    from dxspots.db.migrate import MigrationError, migrate

    nodes, callsign = settings.nodes, settings.callsign
    if callsign is None and args.simulated_node:
        nodes, callsign = [simulated_node(args.simulated_node)], SIMULATED_CALL
        log.warning(
            "SIMULATED SPOTS: DXSPOTS_CALLSIGN is not set, so this collects from the simulated "
            "node at %s, not a real cluster. Set DXSPOTS_CALLSIGN (and DXSPOTS_NODES) for live "
            "spots.", args.simulated_node,
        )  # fmt: skip
    from dxspots.runtime import CountryFileWatch, load_country_file

    enricher, country_file = load_country_file(settings)

    def migrated(dsn: str) -> psycopg.Connection[tuple[object, ...]]:
        # Every (re)connection checks the schema: a database that was down at start may be
        # new when it comes back. Cheap when up to date.
        # A statement timeout and TCP keepalives: a half-open connection must fail, not hang.
        conn = psycopg.connect(
            dsn, connect_timeout=5, options="-c statement_timeout=60000", keepalives=1,
            keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
        )  # fmt: skip
        try:
            migrate(conn)
        except MigrationError as error:  # the pipeline treats it as the database being away
            conn.close()
            raise psycopg.OperationalError(str(error)) from error
        return conn

    watch = CountryFileWatch(settings, country_file)
    with writer_dsn(settings) as dsn:
        try:
            migrated(dsn).close()
        except psycopg.Error as error:
            log.warning("database unavailable at start (%s): spooling until it answers", error)
        try:
            collector = Collector(
                nodes, callsign, lambda: migrated(dsn),
                enricher,
                Spool(settings.data_dir / "spool" / "batches.jsonl", settings.spool_max_bytes),
                Notifier(os.environ.get("NOTIFY_SOCKET"),  # systemd's, not a dxspots setting
                         int(os.environ.get("WATCHDOG_USEC", "0") or 0) or None),
                metrics_address=(settings.metrics_host, settings.metrics_port),
                country_file_check=watch.check,
                reenrich=lambda enricher: reenrich_stored(dsn, enricher, watch),
                housekeeping=None if settings.retention_days is None
                else lambda: retention_run(dsn, settings),
            )  # fmt: skip
            asyncio.run(collector.run())
        except CollectorConfigError as error:  # in the settings, or found on starting
            raise CommandError(str(error)) from None
    return 0


def retention_run(dsn: str, settings: Settings) -> str:
    """The collector's daily housekeeping: archive and drop the months of spots past
    DXSPOTS_RETENTION_DAYS on a connection of its own; say what was done."""
    import psycopg

    from dxspots.db.retention import apply_retention

    assert settings.retention_days is not None  # only set up when it is
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        result = apply_retention(conn, settings.retention_days, settings.archive_path)
    months = [
        f"{m.month.start:%Y-%m} ({m.rows} spots{', dropped' if m.dropped else ', kept for now'})"
        for m in result.months
    ]
    archived = ", ".join(months) if months else "nothing"
    return (
        f"retention ({settings.retention_days} days, before {result.cutoff:%Y-%m-%d}): archived "
        f"{archived} to {settings.archive_path}; {result.rejected_deleted} rejected lines deleted"
    )


def reenrich_stored(dsn: str, enricher: Enricher, watch: CountryFileWatch) -> None:
    """The collector's run after it took a new country file: the spots stored without an
    entity get one (it waits for a run already going, e.g. `dxspots cty update`'s)."""
    import psycopg

    from dxspots.db.reenrich import ReenrichError, reenrich_spots

    identity = watch.loaded.identity
    if identity is None:
        return
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            done = reenrich_spots(conn, enricher, identity)
    except (psycopg.Error, ReenrichError) as error:
        log.warning(
            "stored spots without an entity were not re-enriched (%s): run `dxspots cty "
            "reenrich`", error,
        )  # fmt: skip
        return
    log.info("re-enriched %d of %d stored spots without an entity", done.enriched, done.examined)


def simulated_node(address: str, wait: float = 30.0) -> NodeConfig:
    """The node `collect --simulated-node HOST:PORT` names, once its host name resolves.

    In compose the name is the demo profile's simulator service: it resolves once that
    container exists, and never when the profile is off, which is then said plainly.
    """
    import socket
    import time

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"--simulated-node: HOST:PORT expected, not {address!r}")
    deadline = time.monotonic() + wait
    while True:
        try:
            socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise CommandError(
                    f"DXSPOTS_CALLSIGN is not set, and the simulated node {address} is not "
                    "there: set DXSPOTS_CALLSIGN (your callsign) to collect live spots, or run "
                    "the demo (`docker compose --profile demo up`)"
                ) from None
            time.sleep(1)
    return NodeConfig(name=SIMULATED_NODE, host=host, port=int(port), backfill=30)


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    """Run the simulated node until Ctrl-C."""
    import asyncio

    from collector.simulator import Faults, SimulatedNode

    faults = Faults(
        drop_every=args.drop_every, stall_after=args.stall_after,
        garbage_every=args.garbage_every, endless_line_after=args.endless_line_after,
        refuse_login=args.refuse_login,
    )  # fmt: skip
    node = SimulatedNode(
        host=args.host, port=args.port, rate=args.rate, seed=args.seed, faults=faults,
        log_path=args.log,
    )  # fmt: skip

    async def serve() -> None:
        port = await node.start()
        print(f"simulated DXSpider node (not a real cluster) on {args.host}:{port}", flush=True)
        # SIGTERM stops it as Ctrl-C does: a container's stop, where it runs as PID 1 and a
        # signal without a handler is ignored.
        stopped = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
        try:
            await stopped.wait()
        finally:
            await node.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0


def _with_address(settings: Settings, prefix: str, args: argparse.Namespace) -> Settings:
    """The settings with --host/--port applied, checked like the settings themselves."""
    overrides = {f"{prefix}_host": args.host, f"{prefix}_port": args.port}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    if not overrides:
        return settings
    try:
        return load_settings(**{**settings.model_dump(), **overrides})
    except SettingsError as error:
        raise CommandError(f"{error}\n  (given as --host/--port)") from None


@contextlib.contextmanager
def reader_dsn(settings: Settings) -> Iterator[str]:
    """The DSN the API and dashboard read from: the read DSN, or the writer's, migrated."""
    from dxspots.db.migrate import MigrationError, migrate

    if settings.read_database_url is not None:
        yield settings.read_database_url
        return
    with writer_dsn(settings) as dsn:
        # No separate reader: the writer DSN brings the schema up to date first.
        with connect(dsn) as conn:
            try:
                migrate(conn)
            except MigrationError as error:
                raise CommandError(str(error)) from None
        yield dsn


def port_free(port: Port) -> None:
    """`CommandError` naming the setting (and --port) when `port` cannot be listened on."""
    from dxspots.supervise import port_problem

    problem = port_problem(port)
    if problem is not None:
        raise CommandError(f"{problem} (or give --port)")


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API until SIGTERM or Ctrl-C."""
    from api.server import serve
    from dxspots.supervise import Port

    settings = _with_address(settings, "api", args)
    port_free(Port("DXSPOTS_API_PORT", settings.api_host, settings.api_port))
    with reader_dsn(settings) as dsn:
        serve(settings, dsn)
    return 0


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the dashboard until SIGTERM or Ctrl-C."""
    from dashboard.server import serve
    from dxspots.supervise import Port

    settings = _with_address(settings, "dashboard", args)
    port_free(Port("DXSPOTS_DASHBOARD_PORT", settings.dashboard_host, settings.dashboard_port))
    with reader_dsn(settings) as dsn:
        return serve(settings, dsn)


COMMANDS = {
    "parse": cmd_parse,
    "import": cmd_import,
    "export": cmd_export,
    "archive": cmd_archive,
    "db": cmd_db,
    "cty": cmd_cty,
    "collect": cmd_collect,
    "simulate": cmd_simulate,
    "up": cmd_up,
    "api": cmd_api,
    "dashboard": cmd_dashboard,
}

EXTRAS = {
    "collect": "collector",
    "simulate": "collector",
    "api": "api",
    "dashboard": "dashboard",
    "export": "dashboard",
    "archive": "dashboard",
    "up": "collector,api,dashboard,local",
}
"""The extra that holds the packages each command needs beyond the core."""


def missing_package(command: str, package: str) -> str:
    """The message for a command whose extra is not installed here."""
    extra = EXTRAS.get(command)
    fix = f": pip install 'dxspots[{extra}]'" if extra else ""
    return f"`dxspots {command}` needs the Python package {package!r}, not installed here{fix}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"dxspots: {mask(str(error))}", file=sys.stderr)
        return 2
    # From here every log record and every message below has the database passwords masked:
    # libpq echoes parts of a malformed DSN, the password among them.
    redact = configure_logging(settings, os.environ)

    def fail(message: str) -> int:
        print(f"dxspots: {redact(message)}", file=sys.stderr)
        return 1

    for name in unknown_settings(os.environ):
        log.warning("%s is not a dxspots setting and is ignored (docs/configuration.md)", name)
    try:
        return COMMANDS[args.command](args, settings)
    except CommandError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # the outermost loop: log it, never a traceback to the user
        import psycopg

        from dxspots.db.localserver import LocalServerError

        if isinstance(error, LocalServerError):
            return fail(str(error))
        missing = error.name if isinstance(error, ModuleNotFoundError) else None
        ours = {"dxspots", "collector", "api", "dashboard"}  # one of ours: a broken install
        if missing and missing.partition(".")[0] not in ours:
            return fail(missing_package(args.command, missing))
        if isinstance(error, psycopg.Error):
            return fail(f"database error: {str(error).strip()}")
        log.debug("unexpected error", exc_info=True)
        return fail(f"unexpected error: {type(error).__name__}: {error}")


if __name__ == "__main__":
    sys.exit(main())

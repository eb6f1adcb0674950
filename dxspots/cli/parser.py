"""Every subcommand and option of `dxspots`, described in words (`dxspots COMMAND --help`)."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    pass

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

    logs = _command(
        sub,
        "log",
        "your own logs, for marking the spots you still need",
        "Each QSO is kept with its entity, band, mode class (CW, phone, data) and whether it "
        "is confirmed (QSL card or LoTW), by owner (docs/logs.md).",
    ).add_subparsers(dest="log_command", required=True, metavar="ACTION")
    p = _command(
        logs,
        "import",
        "read ADIF logs (.adi or .adx) into the database",
        "Reads logger, LoTW and Club Log exports. Importing a log again adds nothing twice, "
        "and a later confirmation is kept. A record that cannot be read is listed with its "
        "line and counted, and the rest are stored.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="ADIF files to read")
    p.add_argument(
        "--owner",
        help="whose log it is: a call or a name that holds this log apart from others "
        "(default: DXSPOTS_CALLSIGN)",
    )

    p = _command(
        sub,
        "alerts",
        "send alerts for new spots that match your rules",
        "Reads the rules (DXSPOTS_ALERT_RULES, TOML: docs/alerts.md) and checks them and "
        "their channels, then matches every new spot and sends each match once per rule, DX, "
        "band and mode per cool-down, by e-mail, ntfy, webhooks and the other services "
        "apprise knows, retrying with back-off. Runs until SIGTERM or Ctrl-C.",
    )
    p.add_argument(
        "--rules", type=Path, metavar="FILE", help="the rules file (default DXSPOTS_ALERT_RULES)"
    )
    p.add_argument("--check", action="store_true", help="check the rules and channels, then exit")

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

"""Ingest into a full table against ingest into an empty one, and the WAL it writes.

    python bench/ingest_full.py DSN --target 30000000 --days 120 --end 2026-11-30T00:00Z
                           [--until 2026-11-30T10:00Z] [--runs 3] [--seed 2] [--variant plain]

DSN is a database `bench/history.py` filled (its `--target`, `--days` and `--end` given
again, so the traffic has the same density). The hours from `--end` to `--until` (default:
the current hour) are made by the same generator and cut into `--runs` runs of consecutive
hours. Each run is written through `SpotWriter` (batches of the collector's 1,000) first into
a fresh database on the same server (`bench_empty`, migrated, dropped after) and then into
DSN, where the spots stay: the full table then has the live hours a dashboard shows. Per run
and as medians: rows/s of each, the full table's as a share of the empty one's, and the WAL
written per million spots (what a streaming replica receives).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.history import BATCH, History, batches, scale_for
from bench.rollups import variant_statement
from dxspots.db import writer as writer_module
from dxspots.db.migrate import migrate
from dxspots.db.writer import SpotWriter
from dxspots.spot import Spot

EMPTY = "bench_empty"


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def write(dsn: str, spot_batches: list[list[Spot]]) -> tuple[float, int]:
    """Write the batches; rows/s over the time spent writing, and the WAL bytes written."""
    spent, rows = 0.0, 0
    with psycopg.connect(dsn) as conn:
        migrate(conn)
        conn.commit()
        (wal_from,) = conn.execute("SELECT pg_current_wal_lsn()").fetchone()  # type: ignore[misc]
        writer = SpotWriter(conn)
        for batch in spot_batches:
            started = time.perf_counter()
            rows += writer.write(batch).spots_new
            spent += time.perf_counter() - started
        (wal,) = conn.execute(  # type: ignore[misc]
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)::bigint", (wal_from,)
        ).fetchone()
    if rows != sum(len(b) for b in spot_batches):
        raise SystemExit(f"only {rows:,} of the spots were new: is the run already stored?")
    return rows / spent, int(wal)


def with_database(dsn: str, name: str) -> str:
    return dsn.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dsn", help="the database bench/history.py filled")
    parser.add_argument("--target", type=int, required=True, help="as given to history.py")
    parser.add_argument("--days", type=float, required=True, help="as given to history.py")
    parser.add_argument("--end", type=_moment, required=True, help="as given to history.py")
    parser.add_argument("--until", type=_moment, help="default: the current hour")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument(
        "--variant",
        default="all",
        choices=("plain", "calls", "daily", "all"),
        help="the writer's statement with some rollups left out (bench/rollups.py's variants;"
        " the full table's rollups then miss these spots)",
    )
    args = parser.parse_args()
    if args.variant != "all":
        writer_module._INSERT_SPOTS = variant_statement(args.variant)  # type: ignore[assignment]
    until = args.until or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    hours = round((until - args.end).total_seconds() / 3600)
    if hours < args.runs:
        parser.error(f"{hours} hours from --end to --until: fewer than --runs")
    scale = scale_for(args.target, args.days, args.end)
    admin = with_database(args.dsn, "postgres")
    empties, fulls, wals = [], [], []
    for run in range(args.runs):
        first, last = hours * run // args.runs, hours * (run + 1) // args.runs
        end = args.end + timedelta(hours=last)
        history = History(days=(last - first) / 24, end=end, scale=scale, seed=args.seed + run)
        spot_batches = list(batches(history, BATCH))
        made = sum(len(b) for b in spot_batches)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(EMPTY)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(EMPTY)))
        try:
            empty, _ = write(with_database(args.dsn, EMPTY), spot_batches)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(EMPTY)))
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            (stored,) = conn.execute("SELECT count(*) FROM spots").fetchone()  # type: ignore[misc]
        full, wal = write(args.dsn, spot_batches)
        empties.append(empty)
        fulls.append(full)
        wals.append(wal / made * 1e6 / 2**20)
        print(
            f"run {run + 1}: {made:,} spots of {history.start:%Y-%m-%d %H:%M}Z.."
            f"{history.end:%H:%M}Z; empty table {empty:,.0f} rows/s; table of {stored:,} spots"
            f" {full:,.0f} rows/s ({full / empty:.0%}); WAL {wals[-1]:,.0f} MB per million",
            flush=True,
        )
    empty, full = statistics.median(empties), statistics.median(fulls)
    print(
        f"median of {args.runs}: empty {empty:,.0f} rows/s, full {full:,.0f} rows/s"
        f" ({full / empty:.0%} of the empty table's); WAL {statistics.median(wals):,.0f} MB"
        " per million spots"
    )


if __name__ == "__main__":
    main()

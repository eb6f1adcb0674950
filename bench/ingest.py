"""COPY ingest into the partitioned `spots` table through the one write path.

Starts its own PostgreSQL (the local server, with the server's default durability: fsync
on, synchronous commit on), builds enriched spots from the synthetic corpus, and measures
rows per second, median of several runs, each on a fresh database:

- baseline: plain binary COPY of the same rows into an unindexed, unpartitioned copy of the table
  (the most PostgreSQL can take on this machine through psycopg);
- writer: `SpotWriter.write` in batches of 5,000 (COPY to staging, INSERT ... ON CONFLICT
  into the monthly partitions with the dedupe key and the DX call index);
- writer, half duplicates: every batch re-sends half of the previous one, as overlapping
  nodes and back-fill do.

Usage: python bench/ingest.py [--rows 300000] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import make_lines
from dxspots.db.localserver import LocalServer
from dxspots.db.migrate import migrate
from dxspots.db.writer import SPOT_COLUMNS, SpotWriter
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import Spot

BATCH = 5000


def build_spots(count: int) -> list[Spot]:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    spots: list[Spot] = []
    enricher = Enricher(None)
    lines = make_lines(count * 2)
    for i, line in enumerate(lines):
        record = parse_line(line, start + timedelta(seconds=i // 20))
        if isinstance(record, Spot):
            # Spread the rows over minutes so that each is unique, as a real stream would be.
            unique = record._replace(spot_time=start + timedelta(minutes=len(spots) // 50))
            spots.append(enricher.enrich(unique))
            if len(spots) == count:
                break
    return spots


def fresh_db(admin_dsn: str, name: str) -> str:
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    info = psycopg.conninfo.conninfo_to_dict(admin_dsn) | {"dbname": name}
    dsn = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    with psycopg.connect(dsn) as conn:
        migrate(conn)
    return dsn


def run_baseline(dsn: str, spots: list[Spot]) -> float:
    with psycopg.connect(dsn) as conn:
        cols = ", ".join(SPOT_COLUMNS)
        conn.execute(f"CREATE TABLE plain AS SELECT {cols} FROM spots WITH NO DATA")
        types = [
            str(row[0])
            for row in conn.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid ="
                " 'plain'::regclass AND attnum > 0 ORDER BY attnum"
            )
        ]
        conn.commit()
        start = time.perf_counter()
        for offset in range(0, len(spots), BATCH):
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY plain ({cols}) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(types)
                for spot in spots[offset : offset + BATCH]:
                    copy.write_row(spot)
            conn.commit()
        return len(spots) / (time.perf_counter() - start)


def run_writer(dsn: str, spots: list[Spot], duplicates: bool) -> float:
    with psycopg.connect(dsn) as conn:
        writer = SpotWriter(conn)
        sent = 0
        start = time.perf_counter()
        previous: list[Spot] = []
        for offset in range(0, len(spots), BATCH):
            batch = spots[offset : offset + BATCH]
            if duplicates:
                batch = batch[: BATCH // 2] + previous[: BATCH // 2]
                previous = batch
            writer.write(batch)
            sent += len(batch)
        return sent / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    spots = build_spots(args.rows)
    root = Path(tempfile.mkdtemp(prefix="dxspots-bench-"))
    root.chmod(0o755)
    server = LocalServer(root, options={"shared_buffers": "512MB", "max_wal_size": "4GB"})
    server.start()
    try:
        admin = server.dsn.rsplit("/", 1)[0] + "/postgres"
        results: dict[str, list[float]] = {"baseline": [], "writer": [], "writer_dup": []}
        for run in range(args.runs):
            results["baseline"].append(run_baseline(fresh_db(admin, "bench"), spots))
            results["writer"].append(run_writer(fresh_db(admin, "bench"), spots, False))
            results["writer_dup"].append(run_writer(fresh_db(admin, "bench"), spots, True))
            print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in results.items()))
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    base = statistics.median(results["baseline"])
    print(f"\nrows per run: {len(spots):,}, batch {BATCH:,}, runs {args.runs} (median)")
    print(f"baseline plain COPY, unindexed table:  {base:>10,.0f} rows/s")
    for key, label in (
        ("writer", "SpotWriter (partitioned, dedupe)"),
        ("writer_dup", "SpotWriter, half duplicates"),
    ):
        value = statistics.median(results[key])
        print(f"{label + ':':<38} {value:>10,.0f} rows/s  ({value / base:.2f} x baseline)")


if __name__ == "__main__":
    main()

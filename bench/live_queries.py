"""Time the live views' queries (band_normal, dx_board, map_paths, messages) and show plans.

Fills a database of its own (a throwaway local PostgreSQL, or DSN) with `--rows` enriched
spots over `--days` days through the one write path (bench/fill.py) and `--messages`
announcements, then runs each query through the catalogue as the API does (a read-only
reader) and prints the median of `--runs` runs and its EXPLAIN (ANALYZE), so that a plan
that reads months outside its window, or scans `spots` without the time index, shows:

    python bench/live_queries.py --rows 300000 --days 14
    python bench/live_queries.py --dsn postgresql://... --rows 0   # an already filled DSN
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
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fill import fill
from dxspots.db.localserver import LocalServer
from dxspots.db.writer import SpotWriter
from dxspots.queries import fetch, plan, prepare_reader
from dxspots.spot import Announcement

CASES: list[tuple[str, dict[str, Any]]] = [
    ("band_normal", {}),
    ("band_normal", {"days": "31", "band": "20m,40m", "skimmer": "true"}),
    ("dx_board", {}),
    ("dx_board", {"minutes": "1440", "limit": "1000"}),
    ("dx_board", {"minutes": "1440", "band": "20m", "dx_continent": "AF,SA"}),
    ("map_paths", {}),
    ("map_paths", {"minutes": "1440", "limit": "5000"}),
    ("messages", {}),
    ("messages", {"days": "31", "kind": "talk", "limit": "1000"}),
]


def add_messages(dsn: str, count: int, days: float) -> None:
    now = datetime.now(UTC)
    step = timedelta(days=days) / max(count, 1)
    kinds = ("all", "local", "talk", "wx")
    with psycopg.connect(dsn) as conn:
        writer = SpotWriter(conn)
        batch = []
        for i in range(count):
            moment = now - step * i
            kind = kinds[i % 4]
            batch.append(Announcement(
                kind=kind, sender=f"G{i % 500}ABC", text=f"message {i}", received_at=moment,
                raw="r", recipient="G4ABC" if kind == "talk" else None,
            ))  # fmt: skip
            if len(batch) == 5000:
                writer.write(batch)
                batch = []
        writer.write(batch)
        conn.autocommit = True
        conn.execute("ANALYZE")


def measure(dsn: str, runs: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        prepare_reader(conn, 30)
        (spots,) = conn.execute("SELECT count(*) FROM spots").fetchone() or (0,)
        print(f"{spots:,} spots\n")
        for name, raw in CASES:
            planned = plan(name, raw)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                page = fetch(conn, plan(name, raw))
                times.append(time.perf_counter() - started)
            print(f"== {name} {raw}: {len(page.items)} rows, median "
                  f"{statistics.median(times) * 1000:.1f} ms over {runs} runs")  # fmt: skip
            explain = b"EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) " + planned.main.sql.as_bytes(
                conn
            )
            for (line,) in conn.execute(explain, planned.main.values).fetchall():
                print("   ", line)
            print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a database to use (default: a throwaway local server)")
    parser.add_argument("--rows", type=int, default=300_000, help="spots to write first")
    parser.add_argument("--days", type=float, default=14, help="over how many days")
    parser.add_argument("--messages", type=int, default=20_000, help="announcements to write")
    parser.add_argument("--runs", type=int, default=5, help="runs per query")
    args = parser.parse_args()
    server = root = None
    dsn = args.dsn
    if dsn is None:
        root = Path(tempfile.mkdtemp(prefix="dxspots-bench-"))
        root.chmod(0o755)  # the server may run as another user (root runs it as postgres)
        server = LocalServer(root, options={"fsync": "off"})
        server.start()
        dsn = server.dsn
    try:
        if args.rows:
            started = time.perf_counter()
            new = fill(dsn, args.rows, args.days)
            print(f"{new:,} spots written in {time.perf_counter() - started:.0f} s")
            add_messages(dsn, args.messages, args.days)
        measure(dsn, args.runs)
    finally:
        if server is not None and root is not None:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

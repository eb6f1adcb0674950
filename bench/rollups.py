"""The rollups' effect at 1M and 2M spots: ingest rate with and without them, and the
catalogue's read queries over the same 120 days at twice the density.

Starts its own PostgreSQL (the local server), writes spots from the synthetic corpus
(`bench/fill.py`'s model, spread evenly over the 120 days before now) through the one write
path in batches of 5,000, in passes of `--step` spots each (a pass shifts the frequencies by
2 kHz per pass so that no spot is a copy of an earlier one); after each pass, times each
query through `dxspots.queries` (plan + fetch, no answer cache; the server's buffer cache
is warm: median of `--runs` runs after one unmeasured). `--plain` measures ingest into a
database whose writer leaves the call rollups out (the statement of the commit before them)
for the comparison.

    python bench/rollups.py [--step 1000000] [--passes 2] [--runs 7] [--plain]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fill import spots as corpus_spots
from dxspots.db import writer as writer_module
from dxspots.db.localserver import LocalServer
from dxspots.db.migrate import migrate
from dxspots.db.writer import SpotWriter
from dxspots.queries import fetch, plan
from dxspots.spot import Spot

BATCH = 5_000
DAYS = 120
# The callsign history as it was read before the rollups (four statements over the call's
# spots), timed beside the catalogue's for the comparison.
RAW_CALLSIGN = (
    "SELECT (array_agg(dx_entity ORDER BY spot_time DESC))[1], min(spot_time),"
    " max(spot_time), count(*), count(DISTINCT spotter_base) FROM spots WHERE dx_call = %(c)s",
    "SELECT band, count(*), max(spot_time) FROM spots WHERE dx_call = %(c)s GROUP BY 1",
    "SELECT mode, count(*), max(spot_time) FROM spots WHERE dx_call = %(c)s GROUP BY 1",
    "SELECT spotter_continent, count(*), max(spot_time) FROM spots WHERE dx_call = %(c)s"
    " GROUP BY 1",
)


def write_pass(dsn: str, rows: int, shift: int, end: datetime) -> tuple[float, float]:
    """Write `rows` spots (pass `shift`); return (seconds in `write`, rows/s of the last 10%)."""
    spent = 0.0
    tail_rows, tail_spent = 0, 0.0
    with psycopg.connect(dsn) as conn:
        writer = SpotWriter(conn)
        batch: list[Spot] = []
        done = 0

        def flush() -> None:
            nonlocal spent, tail_rows, tail_spent, done
            start = time.perf_counter()
            writer.write(batch)
            took = time.perf_counter() - start
            spent += took
            done += len(batch)
            if done > rows * 0.9:
                tail_rows += len(batch)
                tail_spent += took
            batch.clear()

        moved = timedelta(seconds=17 * shift)
        for spot in corpus_spots(rows, DAYS, end - moved):
            batch.append(spot._replace(freq_khz=round(spot.freq_khz + 2.0 * shift, 1)))
            if len(batch) == BATCH:
                flush()
        if batch:
            flush()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return spent, tail_rows / tail_spent if tail_spent else 0.0


def timed(run: Callable[[], Any], runs: int) -> float:
    run()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def time_queries(dsn: str, runs: int, now: datetime) -> dict[str, float]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT dx_call, sum(spots) FROM call_days GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
        assert row is not None
        busy = str(row[0])
        print(f"  busiest call {busy}: {row[1]:,} spots")

        def catalogue(name: str, **raw: Any) -> Callable[[], Any]:
            return lambda: fetch(conn, plan(name, raw, now=now))

        def raw_callsign() -> None:
            for text in RAW_CALLSIGN:
                conn.execute(text, {"c": busy}).fetchall()  # type: ignore[arg-type]

        cases: dict[str, Callable[[], Any]] = {
            "callsign (busiest call)": catalogue("callsign", dx_call=busy),
            "callsign, raw statements before 0012": raw_callsign,
            "top_dx 7 d": catalogue("top_dx", days=7),
            "top_spotters 7 d": catalogue("top_spotters", days=7),
            "band_activity 7 d": catalogue("band_activity", days=7),
            "top_dx 24 h": catalogue("top_dx", days=1),
            "summary": catalogue("summary"),
            "band_hour_heatmap 31 d": catalogue("band_hour_heatmap", days=31),
        }
        return {name: timed(case, runs) for name, case in cases.items()}


def sizes(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        out = {}
        for table in ("spots", "spot_hours", "call_days", "call_spotters"):
            row = conn.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " WHERE c.oid = %s::regclass OR c.oid IN"
                " (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
                (table, table),
            ).fetchone()
            out[table] = int(row[0]) if row else 0  # type: ignore[call-overload]
        return out


def plain_statement() -> str:
    """The writer's statement without the call rollups' two CTEs (as before migration 0012)."""
    text = writer_module._INSERT_SPOTS.as_string(None)
    start = text.index(", days AS (")
    return text[:start] + " SELECT count(*) FROM new"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", type=int, default=1_000_000)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plain", action="store_true", help="ingest without the call rollups")
    args = parser.parse_args()
    if args.plain:
        writer_module._INSERT_SPOTS = psycopg.sql.SQL(plain_statement())  # type: ignore[assignment]
    root = Path(tempfile.mkdtemp(prefix="dxspots-bench-"))
    root.chmod(0o755)
    server = LocalServer(root, options={"shared_buffers": "512MB", "max_wal_size": "4GB"})
    server.start()
    end = datetime.now(UTC)
    try:
        with psycopg.connect(server.dsn) as conn:
            migrate(conn)
        for shift in range(args.passes):
            spent, tail = write_pass(server.dsn, args.step, shift, end)
            total = args.step * (shift + 1)
            print(
                f"{total:,} spots: pass of {args.step:,} in {spent:.0f} s of writes,"
                f" {args.step / spent:,.0f} rows/s (last 10%: {tail:,.0f} rows/s)"
            )
            mb = {k: v / 1e6 for k, v in sizes(server.dsn).items()}
            print("  sizes MB: " + ", ".join(f"{k} {v:,.0f}" for k, v in mb.items()))
            if not args.plain:
                for name, ms in time_queries(server.dsn, args.runs, end).items():
                    print(f"  {name:<40} {ms:>9.1f} ms")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What the rollups cost on ingest and what they give the read queries, on realistic traffic.

Spots come from the history generator (`bench/history.py`: diurnal bands, contests, 68%
skimmers, Zipf DX calls with busy ones), made once into memory, then written through the one
write path (`SpotWriter`, batches of the collector's 1,000) into a fresh schema of a local
PostgreSQL; only the writes are timed. Each `--variant` is the writer's statement with some of
the rollups' CTEs left out (`plain`: `spot_hours` alone, as before migration 0012; `calls`:
and the call rollups of 0012, as before 0014; `daily`: `spot_hours` and the day rollups of
0014; `all`: as shipped). `--without-index` drops an index of `spots` first, to measure what
it costs the writer. Every variant is measured `--repeat` times (fresh schema each time;
median shown).

With `--queries`, the last run of the last variant is kept and grown in passes of `--step`
spots (each pass the same history again, every frequency moved up 0.3 kHz per pass so that no
spot is a copy: the same 120 days grow denser, as in the issue's figures), and after each pass
every timed catalogue query runs through `dxspots.queries` (plan + fetch, no answer cache,
median of `--runs` after one unmeasured run) and the ingest rate of the pass is printed
beside the rate into the empty table.

    python bench/rollups.py [--target 1000000] [--days 120] [--repeat 3]
                            [--variant plain --variant all] [--fillfactor 70] [--spotter-index]
                            [--without-index spots_id]
                            [--queries --passes 3 --runs 7]
    python bench/rollups.py --dsn DSN [--runs 7]    (time the queries on a filled database)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.history import BATCH, History, batches, scale_for
from dxspots.db import writer as writer_module
from dxspots.db.localserver import LocalServer
from dxspots.db.migrate import migrate
from dxspots.db.writer import SpotWriter
from dxspots.queries import fetch, plan
from dxspots.spot import Spot

END = datetime(2026, 11, 30, tzinfo=UTC)
ROLLUP_TABLES = ("spots", "spot_hours", "call_days", "call_spotters", "dx_days", "spotter_days")
SHIPPED = writer_module._INSERT_SPOTS


def variant_statement(name: str) -> sql.Composable:
    """The writer's statement for a variant: `all` as shipped; `plain` with every CTE after
    `hours` (the call rollups and later ones) left out."""
    if name == "all":
        return SHIPPED
    text = SHIPPED.as_string(None)
    head, _, rest = text.partition(", days AS (")
    days, _, rest = rest.partition("), pairs AS (")
    pairs, _, rest = rest.partition("), dx AS (")
    daily = "dx AS (" + rest[: rest.rindex(") SELECT count(*) FROM new")] + ")"
    kept = {
        "plain": "", "days": f", days AS ({days})", "pairs": f", pairs AS ({pairs})",
        "daily": f", {daily}", "calls": f", days AS ({days}), pairs AS ({pairs})",
    }[name]  # fmt: skip
    return sql.SQL(head + kept + " SELECT count(*) FROM new")


def make(target: int, days: float, seed: int) -> list[list[Spot]]:
    scale = scale_for(target, days, END)
    history = History(days=days, end=END, scale=scale, seed=seed)
    return list(batches(history, BATCH))


def fresh(
    dsn: str,
    fillfactor: int | None = None,
    spotter_index: bool = False,
    without: tuple[str, ...] = (),
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        migrate(conn)
        if fillfactor is not None:  # room on each page for HOT updates of the counts
            for table in ("spot_hours", "call_days", "call_spotters"):
                conn.execute(f"ALTER TABLE {table} SET (fillfactor = {int(fillfactor)})")
        if spotter_index:  # the alternative to call_spotters: distinct spotters from spots
            conn.execute("CREATE INDEX spots_dx_call_spotter ON spots (dx_call, spotter_base)")
        for index in without:  # what the index costs the writer: the same load without it
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
        conn.execute("CHECKPOINT")


def write(dsn: str, spot_batches: list[list[Spot]]) -> float:
    """Write the batches; return rows/s over the time spent in `write`."""
    spent = 0.0
    rows = 0
    with psycopg.connect(dsn) as conn:
        writer = SpotWriter(conn)
        for batch in spot_batches:
            start = time.perf_counter()
            rows += writer.write(batch).spots_new
            spent += time.perf_counter() - start
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return rows / spent


def sizes(dsn: str) -> dict[str, float]:
    out = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ROLLUP_TABLES:
            row = conn.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0),"
                " coalesce(sum(c.reltuples), 0) FROM pg_class c"
                " WHERE c.relkind <> 'p' AND (c.oid = to_regclass(%s) OR c.oid IN"
                " (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(%s)))",
                (table, table),
            ).fetchone()
            if row and row[0]:
                out[table] = float(row[0]) / 1e6
                out[table + " rows"] = float(row[1])
    return out


def timed(run: Callable[[], Any], runs: int) -> tuple[float, float]:
    run()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def time_queries(dsn: str, runs: int) -> dict[str, tuple[float, float]]:
    now = END
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT dx_call, count(*) FROM spots GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
        assert row is not None
        busy = str(row[0])
        print(f"  busiest call {busy}: {row[1]:,} spots", flush=True)

        def q(name: str, **raw: Any) -> Callable[[], Any]:
            return lambda: fetch(conn, plan(name, raw, now=now))

        cases: dict[str, Callable[[], Any]] = {
            "callsign (busiest call)": q("callsign", dx_call=busy),
            "top_dx 7 d": q("top_dx", days=7),
            "top_dx 24 h": q("top_dx", days=1),
            "top_dx 1 h": q("top_dx"),
            "top_dx by entity 7 d": q("top_dx", days=7, by="entity"),
            "top_dx 7 d band 20m": q("top_dx", days=7, band="20m"),
            "top_spotters 7 d": q("top_spotters", days=7),
            "top_spotters 1 h": q("top_spotters"),
            "band_activity 7 d": q("band_activity", days=7),
            "band_activity 24 h": q("band_activity", days=1),
            "band_activity 15 min": q("band_activity", minutes=15),
            "summary": q("summary"),
            "spot_count 24 h": q("spot_count", days=1),
            "band_hour_heatmap 31 d": q("band_hour_heatmap", days=31),
            "spots page": q("spots"),
            "paths 30 min": q("paths"),
            "dx_board 30 min": q("dx_board"),
            "map_paths 30 min": q("map_paths"),
            "band_normal": q("band_normal"),
            "messages": q("messages"),
            "solar": q("solar"),
            "nodes": q("nodes"),
            "top_dx 6 h (the DX page)": q("top_dx", minutes=360, limit=20),
            "top_dx by entity 6 h (the DX page)": q("top_dx", by="entity", minutes=360, limit=20),
        }
        return {name: timed(case, runs) for name, case in cases.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", type=int, default=1_000_000, help="spots per pass")
    parser.add_argument("--days", type=float, default=120)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--variant", action="append", choices=("plain", "days", "pairs", "daily", "calls", "all")
    )
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--without-index",
        action="append",
        default=[],
        metavar="NAME",
        help="drop this index of spots before writing (spots_id, spots_time_id,"
        " spots_dx_call_time, spots_without_entity)",
    )
    parser.add_argument(
        "--dsn", help="only time the queries, on this database as it is (no writes)"
    )
    parser.add_argument("--fillfactor", type=int, help="the rollup tables' fillfactor")
    parser.add_argument(
        "--spotter-index", action="store_true", help="index spots on (dx_call, spotter_base)"
    )
    args = parser.parse_args()
    if args.dsn:
        for query, (p50, p95) in time_queries(args.dsn, args.runs).items():
            print(f"  {query:<36} p50 {p50:>8.1f} ms  p95 {p95:>8.1f} ms", flush=True)
        return
    variants = args.variant or ["plain", "all"]
    started = time.perf_counter()
    spot_batches = make(args.target, args.days, seed=1)
    made = sum(len(b) for b in spot_batches)
    print(f"made {made:,} spots in {time.perf_counter() - started:.0f} s", flush=True)
    root = Path(tempfile.mkdtemp(prefix="dxspots-bench-rollups-"))
    root.chmod(0o755)
    server = LocalServer(root, options={"shared_buffers": "1GB", "max_wal_size": "4GB"})
    server.start()
    try:
        for name in variants:
            writer_module._INSERT_SPOTS = variant_statement(name)  # type: ignore[assignment]
            rates = []
            for _ in range(args.repeat):
                fresh(server.dsn, args.fillfactor, args.spotter_index, tuple(args.without_index))
                rates.append(write(server.dsn, spot_batches))
            print(f"{name}: {statistics.median(rates):,.0f} rows/s median of"
                  f" {', '.join(f'{r:,.0f}' for r in rates)}", flush=True)  # fmt: skip
            mb = sizes(server.dsn)
            print("  " + ", ".join(f"{k} {v:,.1f}" for k, v in mb.items()), flush=True)
        if args.queries:
            empty = statistics.median(rates)
            for n in range(args.passes):
                if n:
                    more = [[s._replace(freq_khz=round(s.freq_khz + 0.3 * n, 1)) for s in b]
                            for b in spot_batches]  # fmt: skip
                    rate = write(server.dsn, more)
                    print(f"pass {n + 1}: {rate:,.0f} rows/s ({rate / empty:.0%} of the empty"
                          " table's)", flush=True)  # fmt: skip
                    mb = sizes(server.dsn)
                    print("  " + ", ".join(f"{k} {v:,.1f}" for k, v in mb.items()), flush=True)
                for query, (p50, p95) in time_queries(server.dsn, args.runs).items():
                    print(f"  {query:<28} p50 {p50:>8.1f} ms  p95 {p95:>8.1f} ms", flush=True)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

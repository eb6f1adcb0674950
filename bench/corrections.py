"""The write path on human spots with long comments, the ones it checks for cut copies.

bench/ingest.py's corpus has no human comment of 20 characters or more (`CUT_MIN` in
dxspots/db/writer.py), so it never takes the path that looks for a comment cut by a node's
column width (migration 0010, docs/database.md "What is one spot"). This one writes the same
enriched spots as ingest.py, in batches of 5,000 on a fresh database each run, three ways:

- corpus: as built (skimmers and humans, short comments): ingest.py's "writer" figure;
- long: every spot a human one (no `-#`) with a 30- to 50-character comment, all new;
- long, back-filled: as `long`, but every batch also carries the previous batch's spots again
  with the comment cut at 29 characters, as `sh/dx` re-reads them after a reconnect (half of
  each batch, all dropped as duplicates).

Baseline, same run: plain binary COPY of the corpus into an unindexed, unpartitioned table
(ingest.py's). Rows per second, median of the runs.

Usage: python bench/corrections.py [--rows 300000] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import BATCH, build_spots, fresh_db, run_baseline
from dxspots.db.localserver import LocalServer
from dxspots.db.writer import SpotWriter
from dxspots.spot import Spot

PHRASE = "CQ DX pse QSL via LoTW or direct tnx QSO 73 es gl"


def long_comments(spots: list[Spot]) -> list[Spot]:
    """The spots as humans' with long comments, each text its own."""
    return [
        s._replace(
            spotter=s.spotter.removesuffix("-#"),
            comment=f"{PHRASE[: 25 + i % 20]} {i:05d}",
            is_skimmer=False,
        )
        for i, s in enumerate(spots)
    ]


def run(dsn: str, spots: list[Spot], backfill: bool) -> tuple[float, int]:
    """Write in batches; return rows sent per second and rows stored."""
    with psycopg.connect(dsn) as conn:
        writer = SpotWriter(conn)
        sent = stored = 0
        previous: list[Spot] = []
        start = time.perf_counter()
        for offset in range(0, len(spots), BATCH):
            batch = spots[offset : offset + BATCH]
            if backfill:
                batch = batch[: BATCH // 2]
                cut = [s._replace(comment=s.comment[:29].rstrip()) for s in previous]
                previous = batch
                batch = batch + cut
            stored += writer.write(batch).spots_new
            sent += len(batch)
        return sent / (time.perf_counter() - start), stored


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    corpus = build_spots(args.rows)
    humans = long_comments(corpus)
    root = Path(tempfile.mkdtemp(prefix="dxspots-bench-"))
    root.chmod(0o755)
    server = LocalServer(root, options={"shared_buffers": "512MB", "max_wal_size": "4GB"})
    server.start()
    results: dict[str, list[float]] = {"baseline": [], "corpus": [], "long": [], "backfill": []}
    try:
        admin = server.dsn.rsplit("/", 1)[0] + "/postgres"
        for number in range(args.runs):
            results["baseline"].append(run_baseline(fresh_db(admin, "bench"), corpus))
            for key, spots, backfill in (
                ("corpus", corpus, False),
                ("long", humans, False),
                ("backfill", humans, True),
            ):
                rate, stored = run(fresh_db(admin, "bench"), spots, backfill)
                expected = (
                    len(spots) if not backfill else len(range(0, len(spots), BATCH)) * (BATCH // 2)
                )
                if stored != expected:
                    raise SystemExit(f"{key}: stored {stored} rows, expected {expected}")
                results[key].append(rate)
            print(
                f"run {number + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in results.items())
            )
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    base = statistics.median(results["baseline"])
    print(f"\nrows per run: {len(corpus):,}, batch {BATCH:,}, runs {args.runs} (median)")
    print(f"baseline plain COPY, unindexed table:  {base:>10,.0f} rows/s")
    for key, label in (
        ("corpus", "SpotWriter, the corpus"),
        ("long", "SpotWriter, long human comments"),
        ("backfill", "... half cut back-fill copies"),
    ):
        value = statistics.median(results[key])
        print(f"{label + ':':<38} {value:>10,.0f} rows/s  ({value / base:.2f} x baseline)")


if __name__ == "__main__":
    main()

"""What retention's archive costs and saves: Parquet bytes per million spots against the
table's, and the archive rate.

Fills a throwaway local PostgreSQL with `--rows` spots in one past month (bench/fill.py,
enriched as the collector stores them), then archives and drops that month with the real
retention code (`apply_retention`), timing it; median of `--runs` fresh fills.

    python bench/archive.py [--rows 200000] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fill import fill
from dxspots.db.localserver import LocalServer
from dxspots.db.retention import apply_retention

END = datetime(2025, 1, 28, tzinfo=UTC)  # spots over 20 days of January 2025, all one month


def one_run(rows: int) -> tuple[int, int, int, float]:
    """Spots stored, table bytes, archive bytes, seconds to archive and drop."""
    root = Path(tempfile.mkdtemp(prefix="dxspots-bench-archive-"))
    root.chmod(0o755)
    db = LocalServer(root / "db", options={"shared_buffers": "512MB"})
    db.start()
    try:
        stored = fill(db.dsn, rows, days=20, end=END)
        with psycopg.connect(db.dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE spots")
            row = conn.execute("SELECT pg_total_relation_size('spots_2025_01')").fetchone()
        table = int(row[0]) if row else 0
        folder = root / "archive"
        with psycopg.connect(db.dsn) as conn:
            started = time.perf_counter()
            result = apply_retention(conn, 30, folder, now=datetime(2025, 3, 15, tzinfo=UTC))
            elapsed = time.perf_counter() - started
        assert [m.dropped for m in result.months] == [True], result
        archive = sum(path.stat().st_size for path in folder.glob("*.parquet"))
        return stored, table, archive, elapsed
    finally:
        db.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run(args.rows) for _ in range(args.runs)]
    stored = runs[0][0]
    per_million = 1_000_000 / stored / 1e6
    table = statistics.median(r[1] for r in runs) * per_million
    archive = statistics.median(r[2] for r in runs) * per_million
    seconds = [r[3] for r in runs]
    print(f"{stored:,} spots, median of {args.runs}")
    print(f"table (heap, indexes, TOAST): {table:,.0f} MB per million spots")
    print(f"Parquet archive:              {archive:,.0f} MB per million spots "
          f"({table / archive:.1f}x smaller)")  # fmt: skip
    print(f"archive and drop: {statistics.median(seconds):.1f} s "
          f"({stored / statistics.median(seconds):,.0f} spots/s; runs "
          f"{', '.join(f'{s:.1f}' for s in seconds)})")  # fmt: skip


if __name__ == "__main__":
    main()

"""Fill a database with realistic enriched spots spread over a recent window.

Spots come from the synthetic corpus (`bench/corpus.py`), parsed and enriched with the real
country file when `../shared/data/cty/cty.dat` is there, and their times spread evenly over
the `days` before `end` (each one unique under the dedupe key), then written through the one
write path. Used by the API benchmark and to try the API by hand:

    python bench/fill.py DSN --rows 1000000 --days 7
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import make_lines
from dxspots.cty import CountryFile
from dxspots.db.migrate import migrate
from dxspots.db.writer import SpotWriter
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import Spot

CTY = Path(__file__).resolve().parents[2] / "shared" / "data" / "cty" / "cty.dat"
BATCH = 10_000


def spots(rows: int, days: float, end: datetime) -> Iterator[Spot]:
    """Yield `rows` enriched spots, oldest first, evenly over the `days` before `end`."""
    enricher = Enricher(CountryFile.load(CTY) if CTY.is_file() else None)
    step = timedelta(days=days) / rows
    start = end - timedelta(days=days)
    made = 0
    seed = 1
    while made < rows:
        for line in make_lines(min(rows * 2, 400_000), seed=seed):
            record = parse_line(line, start)
            if not isinstance(record, Spot):
                continue
            moment = start + step * made
            # To the minute, as lines give it; the freq offset keeps the key unique.
            minute = moment.replace(second=0, microsecond=0)
            unique = record._replace(
                spot_time=minute,
                received_at=moment,
                freq_khz=round(record.freq_khz + (made % 7) * 0.3, 1),
            )
            yield enricher.enrich(unique)
            made += 1
            if made == rows:
                return
        seed += 1


def fill(dsn: str, rows: int, days: float, end: datetime | None = None) -> int:
    """Write the spots; return how many were new."""
    end = end or datetime.now(UTC)
    new = 0
    with psycopg.connect(dsn) as conn:
        migrate(conn)
        writer = SpotWriter(conn)
        batch: list[Spot] = []
        for spot in spots(rows, days, end):
            batch.append(spot)
            if len(batch) == BATCH:
                new += writer.write(batch).spots_new
                batch = []
        if batch:
            new += writer.write(batch).spots_new
        conn.autocommit = True
        conn.execute("ANALYZE spots")
    return new


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dsn")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=7)
    args = parser.parse_args()
    print(f"{fill(args.dsn, args.rows, args.days):,} spots written")


if __name__ == "__main__":
    main()

"""Load days of realistic DX cluster traffic through the real write path (issue 15).

    python bench/history.py [DSN] --days 120 [--end 2026-11-30T00:00Z]
                            [--scale 0.033 | --target 1000000] [--seed 1] [--batch 1000]
                            [--generate-only]

Hour by hour over the `--days` before `--end` (default: the current hour), the expected spots
of every cell of the traffic model (spotter region x band x skimmer or human x mode:
`bench/traffic.py`, where every choice is argued) are drawn as Poisson counts, then each spot
is given a minute and second, a spotter of its region and kind, a DX call, a frequency in its
mode's segment (a DX call keeps one frequency per band for the hour, each skimmer reading it
within 0.1 kHz), SNR and speed for skimmers, a comment for humans (`bench/population.py`). A
spot is then written as the cluster line a node sends (an RBN skimmer's or a human's
`DX de`), read back by the real parser (`dxspots.parse.parse_line`) and enriched with the
real country file (`../shared/data/cty/cty.dat`, else `tests/fixtures/cty_small.dat`), and
written by `dxspots.db.writer.SpotWriter` in batches of the collector's size (1,000), so
`spots` and every rollup the write path keeps come out as in production. A spot that would
repeat another's dedupe key (minute, DX call, spotter, kHz) is not made: every spot made is
stored. Numbers are drawn with numpy in whole arrays per hour; only the line, the parse and
the enrichment are per spot, on a thread of their own that runs while the database works.

Scale: `--scale` multiplies every rate (1.0: 250,000 spots an ordinary weekday, ~100M a
year); `--target N` picks the scale that makes the expected total N. The same seed, days,
end and scale give the same spots. Without a DSN a throwaway local server is started (and
removed afterwards); `--generate-only` times the generation alone, with no database.
"""

from __future__ import annotations

import argparse
import queue
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.population import BEACON_KHZ, BEACON_SHARE, EXPEDITION_SHARE, Population, make_population
from bench.traffic import BANDS, MODES, Model
from dxspots.cty import CountryFile
from dxspots.db.localserver import LocalServer
from dxspots.db.migrate import migrate
from dxspots.db.writer import SpotWriter
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import Spot

REPO = Path(__file__).resolve().parents[1]
CTY = REPO.parent / "shared" / "data" / "cty" / "cty.dat"
CTY_SMALL = REPO / "tests" / "fixtures" / "cty_small.dat"
BATCH = 1000
"""Spots per write: the collector's `batch_size`."""
# Segment bounds in tenths of a kHz per (band, mode); 0 where a band has no such segment.
_LOW = np.zeros((len(BANDS), len(MODES)), dtype=np.int64)
_SPAN = np.ones((len(BANDS), len(MODES)), dtype=np.int64)
for _b, (*_, _segments) in enumerate(BANDS):
    for _m, _mode in enumerate(MODES):
        if _mode in _segments:
            _LOW[_b, _m] = round(_segments[_mode][0] * 10)
            _SPAN[_b, _m] = round((_segments[_mode][1] - _segments[_mode][0]) * 10)
_BEACON_TENTHS = np.array([round(BEACON_KHZ.get(name, 0) * 10) for name, *_ in BANDS])


class HistoryError(Exception):
    """A generated line the parser did not read as a spot (a bug in the generator)."""


def window(days: float, end: datetime) -> tuple[datetime, datetime]:
    """The whole UTC hours of the `days` before the hour `end` falls in."""
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return last - timedelta(hours=round(days * 24)), last


def scale_for(target: int, days: float, end: datetime) -> float:
    """The scale at which the window's expected spots are `target`."""
    return target / Model(1.0).expected_spots(*window(days, end))


class History:
    """The spots of a window, hour by hour, from one seed."""

    def __init__(self, *, days: float, end: datetime, scale: float, seed: int) -> None:
        self.start, self.end = window(days, end)
        self.model = Model(scale)
        self.expected = self.model.expected_spots(self.start, self.end)
        self.population: Population = make_population(
            random.Random(seed), self.expected, self.start, self.end
        )
        self.seed = seed
        self.cty = CTY if CTY.is_file() else CTY_SMALL
        self.enricher = Enricher(CountryFile.load(self.cty))
        self.hours = round((self.end - self.start).total_seconds() / 3600)

    def spots(self) -> Iterator[list[Spot]]:
        """Yield each hour's spots, oldest hour first, in the order of their time."""
        for n in range(self.hours):
            hour = self.start + timedelta(hours=n)
            spots = []
            for line, received in self.lines(hour, n):
                record = parse_line(line, received)
                if not isinstance(record, Spot):
                    raise HistoryError(f"the parser did not read a spot in {line!r}")
                spots.append(self.enricher.enrich(record))
            yield spots

    def lines(self, hour: datetime, number: int) -> list[tuple[str, datetime]]:
        """The cluster lines of one hour, each with the moment it was received."""
        rng, pop = np.random.default_rng([self.seed, number]), self.population
        counts = rng.poisson(self.model.rates(hour))
        cells = np.repeat(np.arange(counts.size), counts)
        region, band, kind, mode = self.model.cell(cells)
        total = cells.size
        minute = rng.integers(0, 60, total)
        second = rng.integers(0, 60, total)
        # DX: Zipf over the pool; DXpeditions on the air take their share; beacons.
        dx = pop.dx_ranks[np.minimum(np.searchsorted(pop.dx_cdf, rng.random(total)),
                                     pop.dx_ranks.size - 1)]  # fmt: skip
        pick = rng.random(total)
        for offset, trip in enumerate(e for e in pop.expeditions if e.start <= hour < e.end):
            chosen = (pick >= offset * EXPEDITION_SHARE) & (pick < (offset + 1) * EXPEDITION_SHARE)
            dx[chosen] = trip.index
        tenths = (
            _LOW[band, mode] + (dx * 2654435761 + number * 40503 + band * 97) % _SPAN[band, mode]
        )
        tenths += np.where(kind == 0, rng.integers(-1, 2, total), 0)  # a skimmer's reading
        low = _LOW[band, mode]
        tenths = np.clip(tenths, low, low + _SPAN[band, mode] - 1)
        beacon = (
            (kind == 0)
            & (mode == 0)
            & (_BEACON_TENTHS[band] > 0)
            & (rng.random(total) < BEACON_SHARE)
        )
        dx[beacon] = pop.beacons[rng.integers(0, pop.beacons.size, int(beacon.sum()))]
        tenths[beacon] = _BEACON_TENTHS[band[beacon]]
        # Spotters of the spot's region and kind.
        spotter = np.zeros(total, dtype=np.int64)
        group = region * 2 + kind
        for g in np.unique(group):
            members, cdf = pop.spotter_groups[g]
            chosen = group == g
            spotter[chosen] = members[np.searchsorted(cdf, rng.random(int(chosen.sum())))]
        snr = np.clip(rng.normal(14, 8, total), -20, 45).astype(np.int64)
        wpm = np.clip(rng.normal(26, 5, total), 12, 45).astype(np.int64)
        spot_kind = rng.random(total)
        comment = rng.random(total)
        # One spot per dedupe key (minute, DX call, spotter, kHz); then in time order.
        key = ((minute * 2**19 + dx) * 2**16 + spotter) * 2**17 + tenths // 10
        _, first = np.unique(key, return_index=True)
        keep = first[np.lexsort((first, second[first], minute[first]))]
        seconds = (minute * 60 + second)[keep].tolist()
        hhmm = f"{hour.hour:02d}"
        lines = []
        rows = zip(seconds, dx[keep].tolist(), spotter[keep].tolist(), (tenths[keep] / 10).tolist(),
                   kind[keep].tolist(), mode[keep].tolist(), snr[keep].tolist(),
                   wpm[keep].tolist(), beacon[keep].tolist(), spot_kind[keep].tolist(),
                   comment[keep].tolist(), strict=True)  # fmt: skip
        for at, call, by, freq, skimmer, m, db, speed, is_beacon, roll, text in rows:
            name = MODES[m]
            stamp = f"{hhmm}{at // 60:02d}Z"
            received = hour + timedelta(seconds=at)
            if skimmer == 0:
                report = f"{speed:>2} WPM" if m == 0 else ("45 BPS" if name == "RTTY" else "JO62  ")
                typ = "NCDXF B" if is_beacon else ("CQ" if roll < 0.82 else "DX")
                line = (f"DX de {pop.spotters[by] + ':':<10}{freq:>8.1f}  {pop.dx_calls[call]:<13}"
                        f"  {name:<4} {db:>3} dB  {report}  {typ:<7} {stamp}")  # fmt: skip
            else:
                said = (
                    pop.mode_comments[name][int(text * 1e7) % len(pop.mode_comments[name])]
                    if text < 0.3
                    else pop.neutral_comments[int(text * 1e7) % len(pop.neutral_comments)]
                )
                line = (f"DX de {pop.spotters[by] + ':':<10}{freq:>8.1f}  {pop.dx_calls[call]:<12}"
                        f" {said:<30} {stamp}{pop.tails[by]}")  # fmt: skip
            lines.append((line, received))
        return lines


def batches(history: History, size: int) -> Iterator[list[Spot]]:
    """The history's spots in batches of `size`, made on a thread ahead of the consumer."""
    made: queue.Queue[list[Spot] | BaseException | None] = queue.Queue(maxsize=8)

    def produce() -> None:
        try:
            batch: list[Spot] = []
            for spots in history.spots():
                batch.extend(spots)
                while len(batch) >= size:
                    made.put(batch[:size])
                    batch = batch[size:]
            if batch:
                made.put(batch)
            made.put(None)
        except BaseException as error:  # handed to the consumer, which raises it
            made.put(error)

    threading.Thread(target=produce, daemon=True, name="history").start()
    while (item := made.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item


SIZES = (
    "SELECT c.relname, CASE WHEN c.relkind = 'p' THEN (SELECT sum(pg_total_relation_size(relid))"
    " FROM pg_partition_tree(c.oid))::bigint ELSE pg_total_relation_size(c.oid) END FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
    " ORDER BY 2 DESC, 1"
)
"""Every table with its partitions, indexes and TOAST, largest first."""


def sizes(dsn: str) -> tuple[int, list[tuple[str, int]]]:
    """The database's size and each table's (partitions, indexes and TOAST included)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        tables = [(str(name), int(size or 0)) for name, size in conn.execute(SIZES)]
    return int(row[0]) if row else 0, tables


def generate_only(history: History) -> tuple[int, float]:
    """Make every spot and drop it: how many, in how many seconds."""
    started = time.perf_counter()
    made = sum(len(batch) for batch in batches(history, BATCH))
    return made, time.perf_counter() - started


def load(
    dsn: str, history: History, batch: int = BATCH, progress: bool = False
) -> tuple[int, int, float, int]:
    """Write the history through `SpotWriter`: spots made, spots stored, seconds taken, and
    the bytes of WAL written meanwhile (what a streaming replica receives)."""
    made = stored = 0
    with psycopg.connect(dsn) as conn:
        migrate(conn)
        conn.commit()
        wal_from = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        writer = SpotWriter(conn)
        started = last = time.perf_counter()
        for spots in batches(history, batch):
            made += len(spots)
            stored += writer.write(spots).spots_new
            if progress and time.perf_counter() - last >= 10:
                last = time.perf_counter()
                rate = made / (last - started)
                print(f"  {made:,} spots ({made / history.expected:.0%} of the expected),"
                      f" {rate:,.0f} rows/s, up to {spots[-1].spot_time:%Y-%m-%d %H:%M}Z",
                      flush=True)  # fmt: skip
        elapsed = time.perf_counter() - started
        conn.autocommit = True
        wal = conn.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)::bigint", (wal_from,)
        ).fetchone()[0]  # type: ignore[index]
        conn.execute("ANALYZE")
    return made, stored, elapsed, int(wal)


def _end(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def check(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
        return value

    return check


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number, 0 or more, not {text!r}")
    return int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "dsn", nargs="?", help="database to fill (default: a throwaway local server)"
    )
    parser.add_argument("--days", type=_positive(float), required=True, help="days of history")
    parser.add_argument(
        "--end",
        type=_end,
        default=datetime.now(UTC),
        help="end of the history (ISO 8601, UTC; default now)",
    )
    rate = parser.add_mutually_exclusive_group()
    rate.add_argument(
        "--scale",
        type=_positive(float),
        default=1.0,
        help="rate multiplier (1: 250,000 spots a weekday)",
    )
    rate.add_argument(
        "--target", type=_positive(int), help="expected spots in all (picks the scale)"
    )
    parser.add_argument(
        "--seed", type=_seed, default=1, help="random seed, 0 or more (same seed, same spots)"
    )
    parser.add_argument("--batch", type=_positive(int), default=BATCH, help="spots per write")
    parser.add_argument("--generate-only", action="store_true", help="time the generation alone")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="without a DSN: start the local server in DIR and leave it running, filled",
    )
    args = parser.parse_args()  # fmt: skip
    if round(args.days * 24) < 1:
        parser.error("argument --days: at least one hour (0.042 days)")
    scale = scale_for(args.target, args.days, args.end) if args.target else args.scale
    started = time.perf_counter()
    history = History(days=args.days, end=args.end, scale=scale, seed=args.seed)
    print(f"{history.start:%Y-%m-%d %H:%M}Z .. {history.end:%Y-%m-%d %H:%M}Z, scale {scale:.4g},"
          f" {history.expected:,.0f} spots expected, {len(history.population.dx_calls):,} DX calls,"
          f" country file {history.cty}, set up in {time.perf_counter() - started:.1f} s",
          flush=True)  # fmt: skip
    if args.generate_only:
        made, elapsed = generate_only(history)
        print(f"generated {made:,} spots in {elapsed:.1f} s: {made / elapsed:,.0f} rows/s")
        return
    root = None
    dsn = args.dsn
    server = None
    if dsn is None:
        root = args.keep or Path(tempfile.mkdtemp(prefix="dxspots-bench-history-"))
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        server = LocalServer(root, options={"shared_buffers": "1GB", "max_wal_size": "4GB"})
        server.start()
        dsn = server.dsn
    try:
        try:
            made, stored, elapsed, wal = load(dsn, history, args.batch, progress=True)
        except psycopg.OperationalError as error:
            sys.exit(f"DSN: cannot use the database: {error}")
        total, tables = sizes(dsn)
    finally:
        if args.keep is not None:
            print(f"left running in {args.keep}: {dsn}")
        elif server is not None and root is not None:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)
    mb = 1024 * 1024
    listed = "; ".join(f"{name} {size / mb:,.1f} MB" for name, size in tables if size >= mb // 4)
    print(f"wrote {stored:,} of {made:,} spots in {elapsed:.1f} s: {made / elapsed:,.0f} rows/s;"
          f" WAL {wal / mb:,.0f} MB ({wal / mb / (stored / 1e6):,.0f} MB per million spots);"
          f" database {total / mb:,.0f} MB; {listed}")  # fmt: skip


if __name__ == "__main__":
    main()

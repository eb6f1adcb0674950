"""dxspots.db.gaps: the newest stored spot per node, with the node's rate before it, and gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from dxspots.db.gaps import Gap, newest_spot, record_gaps
from dxspots.parse import parse_line
from dxspots.spot import Spot
from tests.spotset import store


def spots(node: str, count: int, start: datetime, every: timedelta) -> list[Spot]:
    made = []
    for index in range(count):
        received = start + every * index
        line = (f"DX de DL1ABC:    {14000 + index / 10:7.1f}  VK9XX        cq"
                f"                         {received:%H%M}Z")  # fmt: skip
        spot = parse_line(line, received, node)
        assert isinstance(spot, Spot)
        made.append(spot)
    return made


def test_newest_spot_and_the_rate_before_it(db_dsn: str) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    store(db_dsn, spots("steady", 100, start, timedelta(seconds=0.5)))  # 2 a second, 50 s
    store(db_dsn, spots("burst", 120, start, timedelta(seconds=1 / 60)))  # 2 s: too short
    with psycopg.connect(db_dsn) as conn:
        steady = newest_spot(conn, "steady")
        assert steady is not None
        assert steady.freq_khz == 14009.9 and steady.spotter == "DL1ABC"
        assert 1.9 <= steady.per_second <= 2.1  # over the time the minute's spots span
        burst = newest_spot(conn, "burst")
        assert burst is not None and burst.per_second == 0.0  # too short to tell: unknown
        assert newest_spot(conn, "nobody") is None


def test_a_gap_is_recorded_once(db_dsn: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    gap = Gap("sim", now - timedelta(hours=1), now - timedelta(minutes=15), 1500)
    with psycopg.connect(db_dsn) as conn:
        record_gaps(conn, [gap])
        record_gaps(conn, [gap])  # found again (written twice): kept once
        rows = conn.execute("SELECT node, gap_from, gap_to, missed FROM collector_gaps").fetchall()
    assert rows == [("sim", gap.gap_from, gap.gap_to, 1500)]

"""What back-fill needs from the database: the newest spot stored per node, and the gaps it
could not close (table `collector_gaps`, migration 0009)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg


@dataclass(frozen=True, slots=True)
class Gap:
    """Spots a node's history could not give back: between the two times, about `missed`."""

    node: str
    gap_from: datetime
    """The newest spot stored before the gap."""
    gap_to: datetime
    """The oldest spot the node's history still had (or when that was found out)."""
    missed: int


NEWEST = (
    "SELECT s.spot_time, s.dx_call, s.spotter, s.freq_khz, s.received_at,"
    " r.spots, extract(epoch FROM s.received_at - r.first)"
    " FROM spots s, LATERAL (SELECT count(*) AS spots, min(received_at) AS first FROM spots"
    "   WHERE node = s.node AND spot_time >= s.spot_time - interval '2 minutes'"
    "   AND spot_time <= s.spot_time AND received_at > s.received_at - interval '1 minute') r"
    " WHERE s.node = %s AND s.spot_time > now() - interval '2 days'"
    " AND s.spot_time <= now() + interval '10 minutes'"
    " ORDER BY s.spot_time DESC, s.id DESC LIMIT 1"
)
"""Within two days: no node's `sh/dx` history reaches further back. With it, how many spots
came from the node in the minute before it, over how long: the node's rate, to estimate a
gap by."""


@dataclass(frozen=True, slots=True)
class NewestSpot:
    """The newest spot stored from a node, and the node's rate just before it."""

    spot_time: datetime
    dx_call: str
    spotter: str
    freq_khz: float
    received_at: datetime
    per_second: float


def newest_spot(conn: psycopg.Connection[tuple[object, ...]], node: str) -> NewestSpot | None:
    """The newest spot stored from `node` (in the last two days), or None."""
    row = conn.execute(NEWEST, (node,)).fetchone()
    if row is None:
        return None
    spot_time, dx_call, spotter, freq, received_at, spots, seconds = row
    assert isinstance(spot_time, datetime) and isinstance(received_at, datetime)
    # Over at least half a minute, else too few to tell a rate (None: unknown).
    span = float(seconds)  # type: ignore[arg-type]
    per_second = (int(spots) - 1) / span if span >= 30 else 0.0  # type: ignore[call-overload]
    return NewestSpot(
        spot_time, str(dx_call), str(spotter), float(freq),  # type: ignore[arg-type]
        received_at, per_second,
    )  # fmt: skip


def record_gaps(conn: psycopg.Connection[tuple[object, ...]], gaps: list[Gap]) -> None:
    """Store gaps; one already stored (same node and start) is kept as it was."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO collector_gaps (node, gap_from, gap_to, missed) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (node, gap_from) DO NOTHING",
            [(gap.node, gap.gap_from, gap.gap_to, gap.missed) for gap in gaps],
        )

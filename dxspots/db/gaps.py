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
    "SELECT spot_time, dx_call, spotter, freq_khz FROM spots"
    " WHERE node = %s AND spot_time > now() - interval '2 days'"
    " ORDER BY spot_time DESC, id DESC LIMIT 1"
)
"""Within two days: no node's `sh/dx` history reaches further back."""


def newest_spot(
    conn: psycopg.Connection[tuple[object, ...]], node: str
) -> tuple[datetime, str, str, float] | None:
    """The newest spot stored from `node`: (spot time, DX call, spotter, kHz), or None."""
    row = conn.execute(NEWEST, (node,)).fetchone()
    if row is None:
        return None
    spot_time, dx_call, spotter, freq = row
    assert isinstance(spot_time, datetime)
    return spot_time, str(dx_call), str(spotter), float(freq)  # type: ignore[arg-type]


def record_gaps(conn: psycopg.Connection[tuple[object, ...]], gaps: list[Gap]) -> None:
    """Store gaps; one already stored (same node and start) is kept as it was."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO collector_gaps (node, gap_from, gap_to, missed) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (node, gap_from) DO NOTHING",
            [(gap.node, gap.gap_from, gap.gap_to, gap.missed) for gap in gaps],
        )

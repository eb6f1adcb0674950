"""A small, varied, deterministic set of spots for the query and API tests.

Spread over the three hours before `now`, plus a few a day and a month and more back (other
partitions), with every field the filters look at varied: bands, modes, prefixes, entities,
continents, skimmer and human spotters with SSIDs, nodes; several spots share a minute.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dxspots.db.writer import SpotWriter
from dxspots.spot import Spot

BANDS = (("160m", 1830.0), ("40m", 7020.0), ("20m", 14025.0), ("15m", 21030.0), ("6m", 50313.0))
MODES = ("CW", "SSB", "FT8", None)
DX = (
    ("VP8PJ", "Falkland Islands", "SA"), ("VP8STI", "South Georgia Island", "SA"),
    ("3Y0K", "Bouvet", "AF"), ("K1ABC", "United States", "NA"), ("W1AW", "United States", "NA"),
    ("DL1XX", "Fed. Rep. of Germany", "EU"), ("JA1ZZ", "Japan", "AS"), ("ZL2AB", None, None),
)  # fmt: skip
SPOTTERS = (
    ("KM3T-2-#", "KM3T", "NA", True), ("KM3T-#", "KM3T", "NA", True),
    ("DK8NE-#", "DK8NE", "EU", True), ("G4ABC", "G4ABC", "EU", False),
    ("JH1XYZ-5", "JH1XYZ", "AS", False), ("VK2DX", "VK2DX", "OC", False),
)  # fmt: skip
NODES = ("rbn", "dxspider", None)
REQUIRED: dict[str, dict[str, str]] = {
    "callsign": {"dx_call": "VP8PJ"},
    "needed": {"owner": "DL9ZZ"},
}
"""The parameters a catalogue query cannot answer without (any query not here needs none)."""


def make_spots(now: datetime, count: int = 240, seed: int = 7) -> list[Spot]:
    """The spots, oldest first; every one unique under the dedupe key."""
    rng = random.Random(seed)
    spots = []
    recent = [now - timedelta(minutes=rng.randrange(1, 180)) for _ in range(count)]
    older = [now - timedelta(days=1, minutes=5), now - timedelta(days=3), now - timedelta(days=40)]
    for i, moment in enumerate(sorted(recent) + older):
        band, base = BANDS[rng.randrange(len(BANDS))]
        call, entity, continent = DX[rng.randrange(len(DX))]
        spotter, spotter_base, spotter_continent, skimmer = SPOTTERS[rng.randrange(len(SPOTTERS))]
        fields: dict[str, Any] = {
            "spot_time": moment.replace(second=0, microsecond=0), "freq_khz": base + i,
            "dx_call": call, "spotter": spotter, "comment": f"test {i}", "received_at": moment,
            "raw": f"DX de {spotter}: {call} {i}", "source": "rbn" if skimmer else "dx",
            "node": NODES[i % len(NODES)], "is_skimmer": skimmer, "mode": MODES[i % len(MODES)],
            "band": band, "spotter_base": spotter_base, "dx_entity": entity,
            "dx_continent": continent, "spotter_continent": spotter_continent,
        }  # fmt: skip
        spots.append(Spot(**fields))
    return spots


def store(dsn: str, spots: list[Spot], *, notify: bool = False) -> int:
    """Write spots through the one write path; return how many were new."""
    with psycopg.connect(dsn) as conn:
        return SpotWriter(conn, notify=notify).write(spots).spots_new


def all_rows(dsn: str) -> list[dict[str, Any]]:
    """Every stored spot as the catalogue returns them, newest first."""
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        return conn.execute("SELECT * FROM spots ORDER BY spot_time DESC, id DESC").fetchall()

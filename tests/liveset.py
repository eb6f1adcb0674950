"""Data for the live views' queries: a history of hours, coordinates, messages.

`history` spreads spots over the same hours of many days (band_normal); `place` gives the
spot set of tests/spotset.py SNRs and coordinates (dx_board, map_paths); `messages` makes
announcements, talk and WX with hostile text, several in one minute (messages).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import psycopg

from dxspots.spot import Announcement, Spot
from tests.spotset import make_spots

HISTORY_DAYS = 20


def history(now: datetime) -> list[Spot]:
    """Spots around `now`'s UTC hour on each of the 20 days before, some bands missing on
    some days, plus spots in the hour in progress (which must not count)."""
    rng = random.Random(3)
    template = make_spots(now, count=1)[0]
    bands = (("160m", 1830.0), ("40m", 7020.0), ("20m", 14025.0), ("15m", 21030.0))
    spots: list[Spot] = []
    hour = now.replace(minute=0, second=0, microsecond=0)
    for day in range(HISTORY_DAYS + 1):
        for shift in (-1, 0, 1):
            start = hour - timedelta(days=day, hours=shift)
            for band, base in bands:
                for _ in range(rng.choice((0, 0, 1, 3, 6))):
                    moment = start + timedelta(minutes=rng.randrange(60))
                    if moment > now:
                        continue
                    skimmer = rng.random() < 0.5
                    spots.append(template._replace(
                        spot_time=moment, received_at=moment, band=band,
                        freq_khz=base + len(spots) / 10, dx_call=f"K{len(spots)}X",
                        mode=rng.choice(("CW", "FT8", None)), is_skimmer=skimmer,
                        spotter_continent=rng.choice(("EU", "NA", None)),
                        dx_continent=rng.choice(("AS", "EU", "SA")),
                        spotter="DK8NE-#" if skimmer else "G4ABC", comment=f"c{len(spots)}",
                    ))  # fmt: skip
    # The oldest counted hour: the history starts the day before the 20th, one hour early.
    first = hour - timedelta(days=HISTORY_DAYS, hours=1)
    spots.append(template._replace(spot_time=first, received_at=first, dx_call="FIRST"))
    return spots


SPOTTER_PLACES = {"KM3T": (42.47, -71.38), "DK8NE": (50.93, 7.02), "G4ABC": (51.53, -0.13),
                  "JH1XYZ": (35.68, 139.77), "VK2DX": None}  # fmt: skip
DX_PLACES = {"VP8PJ": (-51.7, -57.85), "VP8STI": (-54.28, -36.51), "3Y0K": (-54.42, 3.36),
             "K1ABC": (41.33, -72.22), "W1AW": (41.71, -72.73), "DL1XX": (50.93, 7.02),
             "JA1ZZ": (35.68, 139.77), "ZL2AB": None}  # fmt: skip


def place(dsn: str) -> None:
    """Give stored spots SNRs (two in three) and coordinates (all but VK2DX's and ZL2AB's)."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("UPDATE spots SET snr_db = (id % 40) - 10 WHERE id % 3 <> 0")
        for base, where in SPOTTER_PLACES.items():
            if where is not None:
                admin.execute(
                    "UPDATE spots SET spotter_lat = %s, spotter_lon = %s WHERE spotter_base = %s",
                    (*where, base),
                )
        for call, where in DX_PLACES.items():
            if where is not None:
                admin.execute(
                    "UPDATE spots SET dx_lat = %s, dx_lon = %s WHERE dx_call = %s", (*where, call)
                )


SENDERS = ("G4ABC", "DL1XX", "VK2DX", "W1AW")
TEXTS = ("CQ contest this weekend", '=HYPERLINK("x")', 'line, with "quotes"', "", "73")


def messages(now: datetime) -> list[Announcement]:
    rng = random.Random(5)
    out = []
    for i in range(150):
        received = now - timedelta(minutes=rng.randrange(0, 60 * 30), seconds=rng.randrange(60))
        sent = received.replace(second=0, microsecond=0) if i % 3 else None
        kind = ("all", "local", "talk", "wx")[i % 4]
        out.append(Announcement(
            kind=kind, sender=SENDERS[i % len(SENDERS)], text=f"{TEXTS[i % len(TEXTS)]} {i}",
            received_at=received, raw=f"raw {i}", recipient="G4ABC" if kind == "talk" else None,
            sent_time=sent, node=("rbn", None)[i % 2],
        ))  # fmt: skip
    # Several in one minute: the order within it must still be total.
    minute = now.replace(second=0) - timedelta(minutes=5)
    for i in range(6):
        out.append(Announcement(kind="all", sender="K1ABC", text=f"same minute {i}",
                                received_at=minute, raw="r", sent_time=minute))  # fmt: skip
    return out

"""Who is on the air in the history generator: DX calls, spotters, DXpeditions, comments.

- DX calls: a pool of invented calls over real prefixes (`bench/corpus.py`), drawn by a
  Zipf-Mandelbrot law p(rank) ~ (rank + 10)^-1.1. The busiest call then takes ~1.5 % of all
  spots (the issue's busy call: 158k of 10M) and the median call a few in a million: a few
  very busy calls (contest stations, beacons), a long tail of rare ones. The pool grows with
  the volume (30 x the square root of the spots expected, 20,000 to 400,000 calls), as the
  distinct calls of a real archive do.
- DXpeditions: one per 45 days of history (at least one), a rare entity's call active for
  14 days from a random day, taking 1.2 % of all spots while on (a top-10 call: pile-ups).
- NCDXF beacons: 4 % of skimmer CW spots on 20-10 m are the 18 beacons on their frequencies,
  with the spot type `NCDXF B`, as RBN reports them (they run all day, every day).
- Spotters: per region, 300 skimmers in all (RBN has about 250-350 active) with calls like
  `DK8NE-#` and a third with an SSID (`KM3T-2-#`), and 20,000 cluster users (8 % with an
  SSID, `-1` .. `-9`); within a region each group's activity is Zipf too (a few big
  stations and busy spotters, many occasional ones). One in ten users' nodes print a grid
  after the time.
- Comments: half stock phrases, half templates with names and numbers (`make_comment`), the
  ones naming a mode kept for spots of that mode, so enrichment's mode matches the segment.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from bench.corpus import make_calls, make_comment
from bench.traffic import REGIONS

ZIPF_S, ZIPF_Q = 1.1, 10
SKIMMERS, HUMANS = 300, 20_000
EXPEDITION_DAYS, EXPEDITION_SHARE, DAYS_PER_EXPEDITION = 14, 0.012, 45
EXPEDITIONS = ("3Y0K", "FT8WW", "VP8PJ", "TX7N", "9U5R", "ZL9A", "VK0EK", "T31EU", "5X1XA",
               "S21DX", "E51D", "KH1/KH7Z")  # fmt: skip
BEACONS = ("4U1UN", "VE8AT", "W6WX", "KH6RS", "ZL6B", "VK6RBP", "JA2IGY", "RR9O", "VR2B",
           "4S7B", "ZS6DN", "5Z4B", "4X6TU", "OH2B", "CS3B", "LU4AA", "OA4B", "YV5B")  # fmt: skip
BEACON_KHZ = {"20m": 14100.0, "17m": 18110.0, "15m": 21150.0, "12m": 24930.0, "10m": 28200.0}
BEACON_SHARE = 0.04
GRIDS = {"EU": "JO", "NA": "FN", "AS": "PM", "OC": "QF", "SA": "GG", "AF": "KG"}
MODE_WORDS = ("CW", "SSB", "FT8", "FT4", "RTTY", "LSB", "USB")


def zipf_cdf(count: int, s: float = ZIPF_S, q: float = ZIPF_Q) -> np.ndarray:
    """The cumulative Zipf-Mandelbrot distribution over ranks 1..count."""
    weights = (np.arange(1, count + 1) + q) ** -s
    cdf = np.cumsum(weights)
    return np.asarray(cdf / cdf[-1])


@dataclass(frozen=True, slots=True)
class Expedition:
    """A DXpedition: its index in the DX calls and when it is on the air."""

    index: int
    start: datetime
    end: datetime


@dataclass(slots=True)
class Population:
    """Every call the generator draws from, with the distributions it draws them by."""

    dx_calls: list[str]
    """The pool in rank order's permutation, then the DXpeditions, then the beacons."""
    dx_ranks: np.ndarray
    """dx_ranks[rank] is the pool index of the call of that rank."""
    dx_cdf: np.ndarray
    expeditions: list[Expedition]
    beacons: np.ndarray
    """Indexes of the beacons in `dx_calls`."""
    spotters: list[str]
    tails: list[str]
    """What the spotter's node prints after the time (a grid or nothing)."""
    spotter_groups: list[tuple[np.ndarray, np.ndarray]]
    """Per region and kind (region * 2 + kind): spotter indexes and their cumulative weights."""
    neutral_comments: list[str]
    mode_comments: dict[str, list[str]]


def make_population(
    rng: random.Random, expected: float, start: datetime, end: datetime
) -> Population:
    """Draw the calls for a history of `expected` spots between `start` and `end`."""
    size = int(min(400_000, max(20_000, 30 * math.sqrt(expected))))
    pool = make_calls(rng, size)
    ranks = list(range(size))
    rng.shuffle(ranks)
    days = (end - start).total_seconds() / 86_400
    expeditions = []
    for n in range(max(1, round(days / DAYS_PER_EXPEDITION))):
        earliest = start - timedelta(days=EXPEDITION_DAYS / 2)
        begin = earliest + timedelta(days=rng.uniform(0, days))
        begin = begin.replace(minute=0, second=0, microsecond=0)
        index = size + n
        expeditions.append(Expedition(index, begin, begin + timedelta(days=EXPEDITION_DAYS)))
    dx_calls = pool + [EXPEDITIONS[n % len(EXPEDITIONS)] for n in range(len(expeditions))]
    beacons = np.arange(len(dx_calls), len(dx_calls) + len(BEACONS))
    dx_calls += list(BEACONS)

    spotters: list[str] = []
    tails: list[str] = []
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    for region in REGIONS:
        for kind, count in (
            (0, round(SKIMMERS * region.skimmers)),
            (1, round(HUMANS * region.humans)),
        ):
            calls = make_calls(rng, count, region.prefixes)
            rng.shuffle(calls)
            first = len(spotters)
            for call in calls:
                if kind == 0:
                    spotters.append(
                        call + (f"-{rng.randint(1, 3)}-#" if rng.random() < 0.33 else "-#")
                    )
                    tails.append("")
                else:
                    ssid = f"-{rng.randint(1, 9)}" if rng.random() < 0.08 else ""
                    spotters.append(call + ssid)
                    grid = f" {GRIDS[region.name]}{rng.randint(10, 99)}"
                    tails.append(grid if rng.random() < 0.1 else "")
            groups.append((np.arange(first, len(spotters)), zipf_cdf(count, 1.0, 5)))
    texts = [make_comment(rng, pool[:2000]) for _ in range(4000)]
    neutral = sorted({t for t in texts if not any(w in t.upper().split() for w in MODE_WORDS)})
    mode_comments = {
        "CW": ["599", "5NN TU", "CW 25 wpm", "QRS pse", "tnx CW"],
        "SSB": ["59 tnx", "LSB", "USB 59", "SSB QRZ?", "up 5"],
        "FT8": [f"FT8 {snr} dB" for snr in range(-20, 11)],
        "RTTY": ["RTTY 599", "RTTY up 1", "tnx RTTY"],
    }
    return Population(
        dx_calls, np.array(ranks), zipf_cdf(size), expeditions, beacons, spotters, tails,
        groups, neutral, mode_comments,
    )  # fmt: skip

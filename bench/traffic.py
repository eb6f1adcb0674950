"""A model of a year of DX cluster traffic: how many spots of which kind, hour by hour.

The rates `bench/history.py` draws spots from. Every figure here is an estimate with its
reason beside it; where the issue (15) gives a figure, the model is calibrated to it.

- Volume: an ordinary weekday is `DAILY_SPOTS` (250,000) at scale 1. The issue: the Reverse
  Beacon Network sends "a few hundred thousand [spots] on an ordinary day", a year being "on
  the order of 100 million"; 250,000 a day plus the contest weekends below is ~100M a year.
- Skimmer share `SKIMMER_SHARE` 0.68 of an ordinary day (the issue's measured mix, 68 %).
- Where spotters are (`REGIONS`): RBN skimmers and cluster users are mostly in Europe and
  North America (reversebeacon.net's skimmer list and node map), then Asia (Japan above all);
  the shares are estimates. Each region has one longitude, for its local time.
- Band mix (`BANDS`): 20 m busiest, then 40, 15 and 10 m, the WARC bands and 160 m small:
  an estimate for the years near a solar maximum (2024-2026), when 10-15 m are open daily.
- Diurnal shape per band, by the spotter's local solar time: 17-6 m need daylight on the
  path (peak at local noon, almost nothing at night: `_day`), 160-80 m need darkness (peak at
  local midnight: `_night`), 40 m is best at night but usable by day, 30-20 m open most of the
  day, best in daylight. People: human spots follow waking hours (lowest ~03:00 local, most
  in the afternoon); skimmers run all night but hear fewer people then (a flatter curve).
  Weekends: 25 % more human spots, 10 % more skimmer spots.
- Modes by band segment (`SEGMENTS`, IARU region 1 band plans with the usual FT8 dial
  frequencies): skimmers report CW (86 %), FT8 (10 %) and RTTY (4 %) (RBN's decoders), humans
  SSB 40 %, CW 35 %, FT8 20 %, RTTY 5 %. A band without a segment for a mode (30 m SSB)
  gives its share to the others.
- Contest weekends (`CONTESTS`), 00:00 UTC Saturday for 48 hours: CQ WW CW (last full
  weekend of November), CQ WW SSB (last full weekend of October), CQ WPX CW (last full
  weekend of May) and SSB (last full weekend of March), ARRL DX CW (third full weekend of
  February) and SSB (first full weekend of March). Spots of the contest's mode on the six
  contest bands (no WARC bands: contesting is not allowed there) are multiplied. CQ WW CW's
  factor is set so that at scale 1 its weekend holds ~8M spots (`expected_spots`), near the
  issue's 10.9M RBN spots of CQ WW CW 2023; the others are smaller contests, set lower.
  Skimmers do not decode SSB, so an SSB contest multiplies human spots only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

DAILY_SPOTS = 250_000
"""Spots of an ordinary weekday at scale 1."""
SKIMMER_SHARE = 0.68
MODES = ("CW", "SSB", "FT8", "RTTY")
SKIMMER_MODES = {"CW": 0.86, "SSB": 0.0, "FT8": 0.10, "RTTY": 0.04}
HUMAN_MODES = {"CW": 0.35, "SSB": 0.40, "FT8": 0.20, "RTTY": 0.05}
WEEKEND = {"skimmer": 1.10, "human": 1.25}


@dataclass(frozen=True, slots=True)
class Region:
    """Where a group of spotters is: a name, one longitude, shares and call prefixes."""

    name: str
    longitude: float
    skimmers: float
    humans: float
    prefixes: tuple[str, ...]


REGIONS = (
    Region("EU", 15, 0.50, 0.45, ("DL", "DK", "DJ", "G", "F", "I", "OK", "SP", "OH", "SM",
                                  "PA", "ON", "HB9", "OE", "S5", "HA", "YO", "LZ", "UA", "EA")),
    Region("NA", -90, 0.33, 0.35, ("K", "W", "N", "AA", "KB", "VE", "VA")),
    Region("AS", 125, 0.09, 0.12, ("JA", "JH", "JE", "BV", "HL", "VU", "9M")),
    Region("OC", 150, 0.03, 0.03, ("VK", "ZL")),
    Region("SA", -55, 0.03, 0.03, ("PY", "LU", "CE")),
    Region("AF", 25, 0.02, 0.02, ("ZS", "5Z", "CN")),
)  # fmt: skip

# name, share of spots, propagation kind, segments in kHz per mode (low, high)
BANDS: tuple[tuple[str, float, str, dict[str, tuple[float, float]]], ...] = (
    ("160m", 0.04, "low", {"CW": (1810, 1838), "FT8": (1840, 1843), "SSB": (1843, 1900)}),
    ("80m", 0.08, "low", {"CW": (3500, 3570), "FT8": (3573, 3576), "RTTY": (3580, 3590),
                          "SSB": (3600, 3800)}),
    ("40m", 0.17, "night", {"CW": (7000, 7040), "RTTY": (7040, 7050), "FT8": (7074, 7077),
                            "SSB": (7130, 7200)}),
    ("30m", 0.08, "mixed", {"CW": (10100, 10130), "FT8": (10136, 10139),
                            "RTTY": (10140, 10150)}),
    ("20m", 0.24, "mixed", {"CW": (14000, 14070), "FT8": (14074, 14077), "RTTY": (14080, 14099),
                            "SSB": (14150, 14350)}),
    ("17m", 0.07, "day", {"CW": (18068, 18095), "RTTY": (18095, 18100), "FT8": (18100, 18103),
                          "SSB": (18110, 18168)}),
    ("15m", 0.13, "day", {"CW": (21000, 21070), "FT8": (21074, 21077), "RTTY": (21080, 21100),
                          "SSB": (21150, 21450)}),
    ("12m", 0.05, "day", {"CW": (24890, 24915), "FT8": (24915, 24918), "RTTY": (24920, 24930),
                          "SSB": (24940, 24990)}),
    ("10m", 0.12, "day", {"CW": (28000, 28070), "FT8": (28074, 28077), "RTTY": (28080, 28100),
                          "SSB": (28300, 28700)}),
    ("6m", 0.02, "day", {"CW": (50000, 50100), "SSB": (50100, 50200), "FT8": (50313, 50316)}),
)  # fmt: skip
WARC = {"30m", "17m", "12m", "6m"}
"""Bands without contests (6 m is not in the HF contests either)."""


@dataclass(frozen=True, slots=True)
class Contest:
    """A contest weekend: its mode, factor, month and which full weekend (-1: the last)."""

    name: str
    mode: str
    factor: float
    month: int
    weekend: int


CONTESTS = (
    Contest("CQ WW CW", "CW", 25, 11, -1),
    Contest("CQ WW SSB", "SSB", 12, 10, -1),
    Contest("CQ WPX CW", "CW", 10, 5, -1),
    Contest("CQ WPX SSB", "SSB", 6, 3, -1),
    Contest("ARRL DX CW", "CW", 8, 2, 3),
    Contest("ARRL DX SSB", "SSB", 5, 3, 1),
)


def contest_start(year: int, contest: Contest) -> datetime:
    """00:00 UTC on the Saturday of the contest's full weekend in `year`."""
    first = datetime(year, contest.month, 1, tzinfo=UTC)
    saturdays = []
    day = first + timedelta(days=(5 - first.weekday()) % 7)
    while day.month == contest.month:
        if (day + timedelta(days=1)).month == contest.month:  # a full weekend
            saturdays.append(day)
        day += timedelta(days=7)
    return saturdays[contest.weekend if contest.weekend < 0 else contest.weekend - 1]


def contest_at(moment: datetime) -> Contest | None:
    """The contest running at `moment`, if any."""
    for contest in CONTESTS:
        start = contest_start(moment.year, contest)
        if start <= moment < start + timedelta(hours=48):
            return contest
    return None


def _day(hour: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, np.cos(2 * math.pi * (hour - 12.5) / 24))


def _night(hour: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, np.cos(2 * math.pi * (hour - 0.5) / 24))


_SHAPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "day": lambda h: 0.04 + _day(h) ** 1.5,
    "mixed": lambda h: 0.35 + 0.65 * _day(h),
    "night": lambda h: 0.30 + 0.70 * _night(h),
    "low": lambda h: 0.03 + _night(h) ** 1.5,
}
_MEANS = {kind: float(shape(np.arange(0, 24, 0.01)).mean()) for kind, shape in _SHAPES.items()}


def propagation(kind: str, hour: np.ndarray) -> np.ndarray:
    """A band's openings by the spotter's local solar hour (0-24), 1 on average over a day.

    So a band's share in `BANDS` is its share of a day's spots.
    """
    return np.asarray(_SHAPES[kind](hour) / _MEANS[kind])


def _awake(hour: np.ndarray, depth: float) -> np.ndarray:
    return 1 - depth * (1 + np.cos(2 * math.pi * (hour - 15) / 24)) / 2


class Model:
    """Expected spots per UTC hour and cell (region, band, skimmer or human, mode).

    Cells are numbered `((region * len(BANDS) + band) * 2 + kind) * len(MODES) + mode`,
    kind 0 a skimmer, 1 a human. `rates(hour)` is the expected count of each cell.
    """

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        shape = (len(REGIONS), len(BANDS), 2, len(MODES))
        self.shape = shape
        # weights[r, b, k, m, utc_hour]: region share x band share x mode share x diurnal.
        weights = np.zeros((*shape, 24))
        utc = np.arange(24)
        for r, region in enumerate(REGIONS):
            local = (utc + region.longitude / 15) % 24
            for b, (_, share, kind, segments) in enumerate(BANDS):
                openings = propagation(kind, local)
                for k, (people, mix) in enumerate(
                    (
                        (region.skimmers * _awake(local, 0.35), SKIMMER_MODES),
                        (region.humans * _awake(local, 0.85), HUMAN_MODES),
                    )
                ):
                    present = {m: mix[m] for m in MODES if m in segments}
                    total = sum(present.values())
                    for m, mode in enumerate(MODES):
                        if present.get(mode):
                            weights[r, b, k, m] = people * share * openings * present[mode] / total
        # Scale skimmers and humans apart so an ordinary weekday has the shares wanted.
        per_day = weights.sum(axis=(0, 1, 3, 4))
        targets = (SKIMMER_SHARE * DAILY_SPOTS, (1 - SKIMMER_SHARE) * DAILY_SPOTS)
        for k in range(2):
            weights[:, :, k] *= targets[k] / per_day[k]
        self._weights = weights
        self._contest_bands = np.array([name not in WARC for name, *_ in BANDS])

    def rates(self, hour: datetime) -> np.ndarray:
        """Expected spots in each cell during the UTC hour starting at `hour` (flat array)."""
        rates = self._weights[..., hour.hour] * self.scale
        if hour.weekday() >= 5:
            rates = rates * np.array([WEEKEND["skimmer"], WEEKEND["human"]])[:, None]
        contest = contest_at(hour)
        if contest is not None:
            factor = np.ones(self.shape)
            factor[:, self._contest_bands, :, MODES.index(contest.mode)] = contest.factor
            rates = rates * factor
        return np.asarray(rates.ravel())

    def expected_spots(self, start: datetime, end: datetime) -> float:
        """Expected spots between the hours `start` and `end` (UTC, whole hours)."""
        total = 0.0
        hour = start
        while hour < end:
            total += float(self.rates(hour).sum())
            hour += timedelta(hours=1)
        return total

    def cell(self, index: np.ndarray) -> tuple[np.ndarray, ...]:
        """Region, band, kind and mode indexes of cell numbers."""
        return np.unravel_index(index, self.shape)

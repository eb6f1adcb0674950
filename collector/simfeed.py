"""What the simulated node says: a deterministic, varied stream of DXSpider-style lines.

Spots over the HF bands and 6 m in CW, SSB and the data modes, from spotters on every
continent; RBN skimmer lines; the odd WWV/WCY report and announcement. Human comments carry
Latin-1 letters now and then, as real ones do. Every spot is remembered so that `sh/dx N`
can answer with the node's own history, as DXSpider does, and every WWV and WCY report for
`sh/wwv N` and `sh/wcy N`.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from datetime import datetime

SPOTTERS = (
    "DL1ABC", "G4XYZ", "F5LEN", "EA5WU", "I2ABC", "OH6BG", "SM0IHR", "K1TTT", "W3LPL",
    "VE7CC", "JA1XYZ", "VK2ABC", "ZS6WN", "PY2ABC", "LU1YT", "4X4AA", "UA9XYZ", "KH6QQ",
)  # fmt: skip
SKIMMERS = ("DK8NE-#", "KM3T-2-#", "W3LPL-#", "VE7CC-#", "JA1ABC-#", "OH6BG-#", "ZL3X-#")
DX_CALLS = (
    "3B9FR", "RW1M", "CS3B", "K7GT", "PT7KM", "EI5JF", "RA1AFT", "N5JCB", "UN7BBD", "ZD6DYA",
    "VP2V/W1ABC", "KH6/N0XYZ", "EA8/DL1ABC", "VK9XX", "JW5E", "TI4DJ", "XO1X", "D66D",
    "OP17A", "HC2AO", "CE0Y", "FT5ZM", "9J2BO", "A61ZZ", "BY1PK", "VU2PTT", "ZL1BQD",
)  # fmt: skip
# (band edges in kHz, modes): where spots of each mode sit.
SEGMENTS = (
    ((1810, 1838), "CW"), ((3500, 3560), "CW"), ((3700, 3790), "SSB"), ((7000, 7035), "CW"),
    ((7074, 7076), "FT8"), ((7150, 7190), "SSB"), ((10100, 10130), "CW"), ((14000, 14060), "CW"),
    ((14074, 14076), "FT8"), ((14080, 14095), "RTTY"), ((14150, 14300), "SSB"),
    ((18068, 18095), "CW"), ((21000, 21060), "CW"), ((21200, 21400), "SSB"),
    ((24890, 24915), "CW"), ((28000, 28060), "CW"), ((28400, 28600), "SSB"), ((50090, 50100), "CW"),
)  # fmt: skip
COMMENTS = (
    "", "599", "tnx QSO", "up 2", "QSX 14.205", "CQ DX", "pse QSL via LoTW", "tnx Jürgen",
    "Señor José 73", "Ørsted Island", "579 Köln", "JN48QT<ES>IM98", "LSB", "POTA K-1234",
)  # fmt: skip
PREFIXES = (
    "DL", "G", "F", "EA", "I", "OK", "SP", "UA", "K", "W", "N", "VE", "JA", "VK", "ZL", "PY",
    "LU", "ZS", "9A", "YO", "LZ", "HA", "OH", "SM", "LA", "PA", "ON", "CT", "EI",
)  # fmt: skip
HISTORY = 1000
"""Spots remembered for `sh/dx`."""


@dataclass(frozen=True, slots=True)
class SentSpot:
    """A spot the node sent, kept for its `sh/dx` history."""

    freq_khz: float
    dx_call: str
    spotter: str
    comment: str
    at: datetime


class SpotFeed:
    """Make the node's lines, one at a time, deterministic for a seed."""

    def __init__(self, seed: int = 1) -> None:
        self._rng = random.Random(seed)
        self.history: deque[SentSpot] = deque(maxlen=HISTORY)
        self.reports: deque[tuple[str, datetime, str, str]] = deque(maxlen=HISTORY)
        """WWV and WCY reports sent: (kind, time, the row's values, reporter)."""
        # The named calls, plus a few thousand made-up ones over real prefixes: a busy
        # node's variety, so that a fast stream is not mostly the same spot again.
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        made_up = {
            f"{self._rng.choice(PREFIXES)}{self._rng.randrange(10)}"
            + "".join(self._rng.choice(letters) for _ in range(self._rng.randint(1, 3)))
            for _ in range(5000)
        }
        self.dx_calls = (*DX_CALLS, *sorted(made_up))

    def next_line(self, now: datetime) -> str:
        """The next line the node sends (without line ending), for the time `now` (UTC)."""
        rng = self._rng
        roll = rng.random()
        if roll < 0.01:
            return self.wwv(now)
        if roll < 0.02:
            return self.wcy(now)
        if roll < 0.03:
            return f"To ALL de {rng.choice(SPOTTERS)}: pse QSY {rng.randint(1, 9)} up"
        (low, high), mode = rng.choice(SEGMENTS)
        freq = round(rng.uniform(low, high), 1)
        dx = rng.choice(self.dx_calls)
        if roll < 0.6:
            spotter = rng.choice(SKIMMERS)
            speed = f"{rng.randint(12, 40):>2} WPM" if mode == "CW" else "45 BPS"
            if mode == "FT8":
                speed = "JO62  "
            elif mode == "SSB":
                mode, speed = "CW", f"{rng.randint(12, 40):>2} WPM"
            comment = f"{mode:<5} {rng.randint(-20, 40):>3} dB  {speed}  CQ"
            line = f"DX de {spotter + ':':<10}{freq:>8.1f}  {dx:<13}  {comment:<23} {now:%H%M}Z"
        else:
            spotter = rng.choice(SPOTTERS)
            comment = rng.choice(COMMENTS)
            line = f"DX de {spotter + ':':<10}{freq:>8.1f}  {dx:<12} {comment:<30} {now:%H%M}Z"
        self.history.append(SentSpot(freq, dx, spotter, comment, now))
        return line

    def wwv(self, now: datetime) -> str:
        """A WWV report line, remembered for `sh/wwv`."""
        rng = self._rng
        sfi, a, k = rng.randint(65, 250), rng.randint(0, 60), rng.randint(0, 7)
        self.reports.append(("wwv", now, f"{sfi:>5} {a:>3} {k:>3} No Storms -> No Storms", "VE7CC"))
        return f"WWV de VE7CC <{now:%H}>:   SFI={sfi}, A={a}, K={k}, No Storms -> No Storms"

    def wcy(self, now: datetime) -> str:
        """A WCY report line, remembered for `sh/wcy`."""
        rng = self._rng
        k, expk, a = rng.randint(0, 7), rng.randint(0, 7), rng.randint(0, 60)
        r, sfi = rng.randint(0, 250), rng.randint(65, 250)
        row = f"{sfi:>5} {a:>3} {k:>3} {expk:>5} {r:>5} qui   qui   no      "
        self.reports.append(("wcy", now, row, "DK0WCY-1"))
        return (
            f"WCY de DK0WCY-1 <{now:%H}> : K={k} expK={expk} A={a} R={r} SFI={sfi} "
            "SA=qui GMF=qui Au=no"
        )

    def show_reports(self, kind: str, count: int) -> list[str]:
        """The answer to `sh/wwv count` or `sh/wcy count`: newest first, as DXSpider prints
        it (`30-Nov-2026   18   148   4   1 No Storms -> No Storms  <VE7CC>`)."""
        rows = [report for report in self.reports if report[0] == kind][-count:][::-1]
        return [
            f"{at.day:>2}-{at:%b-%Y}   {at:%H}  {values}  <{reporter}>"
            for _, at, values, reporter in rows
        ]

    def show_dx(self, count: int) -> list[str]:
        """The node's answer to `sh/dx count`: newest first, as DXSpider prints it."""
        rows = []
        for spot in list(self.history)[-count:][::-1]:
            when = f"{spot.at.day:>2}-{spot.at:%b-%Y %H%M}Z"
            rows.append(
                f"{spot.freq_khz:>9.1f} {spot.dx_call:<12} {when} {spot.comment:<30} "
                f"<{spot.spotter}>"
            )
        return rows

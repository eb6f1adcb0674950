"""Back-fill that closes the gap a reconnect left, by construction, or says it could not.

Before a session ends, the newest spot it received is remembered (`SpotMark`); when the
collector starts, the newest spot stored for the node stands in for it. After the next login
the node is asked for its history (`sh/dx N`); while the answer does not reach back to the
mark, it is asked for more, up to the node's limit. What the history still cannot cover is a
`Gap` (from the mark to the oldest spot the node still had, and an estimate of the spots in
between, at the rate the answer itself shows), which the collector records.

The answer is read from the lines as they pass: `sh/dx` rows are told from live `DX de`
lines by their shape, and the node's prompt (or a quiet spell) ends the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dxspots.db.gaps import Gap
from dxspots.parse import parse_line
from dxspots.spot import Spot

NODE_LIMIT = 500
"""The most `sh/dx` rows asked for at once (DXSpider's own ceiling for the command)."""
ANSWER_QUIET = 5.0
"""Seconds without a new history row (and no prompt) after which the answer is taken as
complete."""
PROMPT_RE = re.compile(r"^(\S+) de [^\s:]+ +[^>]{0,60}\b\d{4}Z[^>]{0,30}>\s*$")
"""A node's prompt: `DL1ABC de GB7SIM 30-Nov-2026 0412Z dxspider >` (DXSpider, AR-Cluster
and CC Cluster all give the user's call, the node's, the time and a closing `>`). Bounded
repeats: it runs on strangers' lines, which must not cost it more than a line's length."""
PROMPT_MAX = 120
MINUTE = timedelta(minutes=1)
SKEW = timedelta(minutes=2)
"""How far a history row's time may be out of order (late relays, spotters' clocks): only
rows older than the mark by more than this show that the history reaches back past it."""
FUTURE = timedelta(minutes=10)
"""A history row dated further ahead of its arrival than this is garbled, and ignored."""
SPREAD = 120.0
"""Seconds an answer's rows must span for their own rate to estimate a gap."""
MISSED_MAX = 10_000_000
"""The most spots a gap is estimated at (an estimate past this is a wrong rate)."""


@dataclass(frozen=True, slots=True)
class SpotMark:
    """A spot, as far as back-fill needs to recognise it."""

    spot_time: datetime
    dx_call: str
    spotter: str
    freq_khz: float
    received_at: datetime | None = None
    """When it arrived (to the second: a spot's own time is to the minute)."""

    @classmethod
    def of(cls, spot: Spot) -> SpotMark:
        return cls(spot.spot_time, spot.dx_call, spot.spotter, spot.freq_khz, spot.received_at)

    def same_spot(self, spot: Spot) -> bool:
        return (
            spot.dx_call == self.dx_call
            and spot.spotter == self.spotter
            and abs(spot.freq_khz - self.freq_khz) < 0.05
            and abs(spot.spot_time - self.spot_time) <= MINUTE
        )


def is_prompt(line: str, call: str | None = None) -> bool:
    """Whether `line` is a node's prompt (to `call`, when given: a stranger's announcement,
    WWV or talk line cannot pass for ours)."""
    if len(line) > PROMPT_MAX:
        return False
    match = PROMPT_RE.match(line)
    return match is not None and (call is None or match[1].upper() == call.upper())


def history_row(line: str, received_at: datetime, node: str) -> Spot | None:
    """The spot a `sh/dx` answer row holds, or None for any other line."""
    if line[:6] == "DX de " or (not line[:1].isspace() and not line[:1].isdecimal()):
        return None
    record = parse_line(line, received_at, node)
    if not isinstance(record, Spot) or record.source != "shdx":
        return None
    return record if record.spot_time <= received_at + FUTURE else None


@dataclass
class Backfill:
    """One back-fill after a login: which sizes to ask, and what the answers showed."""

    node: str
    first: int
    """The size asked first (the node's `backfill` setting)."""
    mark: SpotMark | None
    limit: int = NODE_LIMIT
    asked: int = 0
    rows: list[Spot] = field(default_factory=list)
    answering: bool = False
    last_row_at: float = 0.0
    """Loop time of the latest row (or of the question): the answer's quiet timer."""

    def question(self, now: float) -> str:
        """The next command to send; starts reading its answer."""
        self.asked = self.first if not self.asked else min(self.limit, max(self.asked * 5, 1))
        self.rows, self.answering, self.last_row_at = [], True, now
        return f"sh/dx {self.asked}"

    def take(self, row: Spot, now: float) -> bool:
        """Keep a row; True when the answer is complete (as many rows as were asked)."""
        self.rows.append(row)
        self.last_row_at = now
        return len(self.rows) >= self.asked

    def covered(self) -> bool:
        """Whether the rows reach back to the mark (the node gave all that was missed): the
        mark itself is among them, or a few rows are older than it by more than rows can be
        out of order."""
        if self.mark is None:
            return True  # nothing known to have been stored: whatever came is a bonus
        if any(self.mark.same_spot(row) for row in self.rows):
            return True
        before = self.mark.spot_time - SKEW
        return sum(row.spot_time < before for row in self.rows) >= 3

    def more(self) -> bool:
        """Whether a bigger question could reach further back than the last one."""
        return self.asked < self.limit and len(self.rows) >= self.asked

    def needs_rate(self) -> bool:
        """Whether a gap's estimate needs the node's rate (the rows span too little time)."""
        times = [row.spot_time for row in self.rows]
        return not times or (max(times) - min(times)).total_seconds() < SPREAD

    def gap(self, now: datetime, rate: float | None = None) -> Gap | None:
        """The gap the answers leave, when they do not reach the mark, with an estimate of
        the spots in it. An answer spread over minutes gives its own rate, applied from the
        mark to its oldest row. One packed into a minute or two (a busy node: spot times
        are to the minute) cannot: then the node's spot rate (`rate` a second, as the last
        session saw it; else the answer's, at least) over the time since the mark arrived,
        less the rows the answer gave."""
        mark = self.mark
        if self.covered() or mark is None:
            return None
        times = sorted(row.spot_time for row in self.rows)
        until = times[0] if times else now
        spread = (times[-1] - times[0]).total_seconds() if times else 0.0
        if spread >= SPREAD:
            per_second = (len(times) - 1) / spread
            span = max(0.0, (until - mark.spot_time).total_seconds())
            return Gap(self.node, mark.spot_time, until, min(MISSED_MAX, round(span * per_second)))
        per_second = rate or len(times) / max(60.0, spread + 60.0)
        since = mark.received_at or mark.spot_time + MINUTE / 2
        published = per_second * max(0.0, (now - since).total_seconds())
        missed = max(1, min(MISSED_MAX, round(published - len(times))))
        return Gap(self.node, mark.spot_time, until, missed)

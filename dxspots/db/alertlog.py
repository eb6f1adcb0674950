"""What the alerts process tells the dashboard (migration 0017): the rules it runs, replaced
at each start, and each alert's outcome per channel, kept for `ALERT_LOG_DAYS`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

ALERT_LOG_DAYS = 31
"""How long an alert's outcome is kept (and the longest window the `alerts` query takes)."""
CLAIMS_KEPT = timedelta(days=8)
"""Cool-down claims older than this can hold nothing back (a cool-down is at most 7 days)."""


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One rule as the dashboard shows it: no channel URL, only the services' names."""

    position: int
    name: str
    conditions: str
    channels: str
    cooldown_minutes: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one alert on one channel."""

    at: datetime
    rule: str
    channel: str
    outcome: str
    """`sent`, `given up` (after its tries) or `dropped` (the channel's queue was full)."""
    attempts: int
    spot: dict[str, Any]
    needed: str | None


def store_rules(
    conn: psycopg.Connection[Any], rules: Sequence[RuleRow], *, source: str, at: datetime
) -> None:
    """Replace the stored rules by `rules`, in one transaction (two processes starting at
    once take turns: the last one's rules are shown)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("LOCK TABLE alert_rules IN EXCLUSIVE MODE")
        cur.execute("DELETE FROM alert_rules")
        cur.executemany(
            "INSERT INTO alert_rules (position, name, conditions, channels, cooldown_minutes,"
            " loaded_at, source) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(r.position, r.name, r.conditions, r.channels, r.cooldown_minutes, at, source)
             for r in rules],
        )  # fmt: skip


def record(conn: psycopg.Connection[Any], outcomes: Iterable[Outcome]) -> int:
    """Store `outcomes`; return how many."""
    rows = [
        (o.at, o.rule, o.channel, o.outcome, o.attempts, o.spot.get("id"), o.spot.get("spot_time"),
         o.spot.get("dx_call"), o.spot.get("freq_khz"), o.spot.get("band"), o.spot.get("mode"),
         o.needed)
        for o in outcomes
    ]  # fmt: skip
    if rows:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO alert_log (at, rule, channel, outcome, attempts, spot_id, spot_time,"
                " dx_call, freq_khz, band, mode, needed)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
    return len(rows)


def prune(conn: psycopg.Connection[Any], now: datetime) -> int:
    """Forget outcomes older than `ALERT_LOG_DAYS` and claims that can no longer hold an
    alert back; return how many rows went."""
    with conn.transaction():
        gone = conn.execute(
            "DELETE FROM alert_log WHERE at < %s", (now - timedelta(days=ALERT_LOG_DAYS),)
        ).rowcount
        gone += conn.execute(
            "DELETE FROM alert_claims WHERE sent_at < %s", (now - CLAIMS_KEPT,)
        ).rowcount
    return gone

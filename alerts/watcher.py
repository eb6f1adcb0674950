"""The alerts loop: new spots read by id after a LISTEN wakes it (or every `POLL_S`),
matched, claimed and handed to `Delivery`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from alerts import message
from alerts.channels import Channel
from alerts.delivery import OUTCOMES_MAX, Alert, Delivery
from dxspots.alertrules import Rule, Rules
from dxspots.db.alertclaims import claim
from dxspots.db.alertlog import Outcome, prune, record
from dxspots.db.writer import SPOTS_CHANNEL
from dxspots.queries import LATEST_SPOT_ID, new_spots
from dxspots.queries.needed import judge_spots

log = logging.getLogger("dxspots.alerts")

MAX_AGE = timedelta(minutes=10)
"""A spot older than this when read is history (an import, a back-fill): no alert."""
POLL_S = 2.0
"""How often the new spots are read with no notification (one may be missed in a reconnect)."""
BATCH = 5000
PRUNE_EVERY = timedelta(hours=1)
LOGGED = ("id", "spot_time", "dx_call", "freq_khz", "band", "mode")
"""The spot's fields the alerts log keeps."""


class Watcher:
    """Match new spots against `rules` and send what matches through `delivery`."""

    def __init__(
        self, conn: psycopg.Connection[Any], rules: Rules, channels: dict[str, Channel],
        delivery: Delivery, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self.conn = conn
        self.rules = rules
        self.channels = channels
        self.delivery = delivery
        self.clock = clock
        self.last_id = 0
        self.unlogged: list[Outcome] = []
        self.pruned: datetime | None = None
        self.owners = sorted({r.owner for r in rules.rule if r.owner and r.needed})

    def listen(self) -> None:
        """Be woken by the writer's notifications on this connection."""
        self.conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(SPOTS_CHANNEL)))

    def start(self) -> None:
        """Listen, and begin after the newest spot stored now."""
        self.listen()
        row = self.conn.execute(LATEST_SPOT_ID.sql).fetchone()
        self.last_id = int(row[0]) if row else 0
        log.info("alerts: %d rules; new spots after id %d", len(self.rules.rule), self.last_id)

    def watch(self, stop: threading.Event) -> None:
        """Until `stop` is set: wait for a notification (or `POLL_S`), then read and match,
        and log what the channels did."""
        while not stop.is_set():
            for _ in self.conn.notifies(timeout=POLL_S, stop_after=1):
                pass
            self.step()
            self.keep_log()

    def keep_log(self) -> None:
        """Store the alerts' outcomes since the last call (kept for the next call if the
        database goes away meanwhile), and once an hour forget the old ones."""
        self.unlogged += self.delivery.take_outcomes()
        del self.unlogged[:-OUTCOMES_MAX]
        record(self.conn, self.unlogged)
        self.unlogged = []
        now = self.clock()
        if self.pruned is None or now - self.pruned >= PRUNE_EVERY:
            prune(self.conn, now)
            self.pruned = now

    def step(self) -> int:
        """Read every spot stored since the last step and match it; return how many."""
        read = 0
        while True:
            statement = new_spots(self.last_id, BATCH)
            with self.conn.cursor(row_factory=dict_row) as cur:
                spots = cur.execute(statement.sql, statement.values).fetchall()
            if not spots:
                return read
            # Matched, then marked read: a batch cut short by a lost connection is matched
            # again after the reconnect (the claims keep what was sent from going twice).
            self.match(spots)
            self.last_id = int(spots[-1]["id"])
            read += len(spots)

    def match(self, spots: list[dict[str, Any]]) -> None:
        now = self.clock()
        fresh = [spot for spot in spots if spot["spot_time"] >= now - MAX_AGE]
        if not fresh:
            return
        judged = {owner: self.judge(owner, fresh) for owner in self.owners}
        for spot in fresh:
            for rule in self.rules.rule:
                needed = judged.get(rule.owner or "", {}).get(spot["id"]) if rule.owner else None
                if rule.matches(spot, needed) and self.claim(rule, spot, now):
                    self.send(rule, spot, needed)

    def judge(self, owner: str, spots: list[dict[str, Any]]) -> dict[int, str | None]:
        since = min(spot["spot_time"] for spot in spots)
        statement = judge_spots(owner, [int(spot["id"]) for spot in spots], since)
        rows = self.conn.execute(statement.sql, statement.values).fetchall()
        return {int(row[0]): row[1] for row in rows}

    def claim(self, rule: Rule, spot: dict[str, Any], now: datetime) -> bool:
        return claim(
            self.conn, rule.name, str(spot["dx_call"]), spot.get("band"), spot.get("mode"),
            at=now, cooldown_minutes=self.rules.cooldown(rule), spot_id=int(spot["id"]),
        )  # fmt: skip

    def send(self, rule: Rule, spot: dict[str, Any], needed: str | None) -> None:
        alert = Alert(
            rule.name, message.title(spot), message.text(spot, rule.name, needed),
            message.line(spot, rule.name, needed), message.spot_json(spot, rule.name, needed),
            {name: spot.get(name) for name in LOGGED}, needed,
        )  # fmt: skip
        for url in self.rules.channels(rule):  # each channel its own (it counts its tries)
            self.delivery.submit(self.channels[url], replace(alert))

"""`dxspots alerts` running: the channels checked, then the watcher until told to stop,
reconnecting (with back-off) when the database goes away, and the queues drained at the end."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import psycopg

from alerts.channels import Channel, ChannelError
from alerts.delivery import Delivery
from alerts.watcher import Watcher
from dxspots.alertrules import Rules, RulesError
from dxspots.db.alertlog import RuleRow, store_rules

log = logging.getLogger("dxspots.alerts")

RECONNECT_MAX_S = 60.0


def build_channels(rules: Rules) -> dict[str, Channel]:
    """Every channel the rules name, checked; `RulesError` naming the rule for a bad one (the
    URL shown only by its scheme: it may hold a password)."""
    channels: dict[str, Channel] = {}
    for number, rule in enumerate(rules.rule, 1):
        for url in rules.channels(rule):
            if url in channels:
                continue
            try:
                channels[url] = Channel(url, rules.defaults.spacing_seconds, len(channels) + 1)
            except ChannelError as error:
                scheme = url.split("://", 1)[0][:20] if "://" in url else "(no scheme)"
                raise RulesError(
                    f"rule {number} ({rule.name!r}): channels: {scheme}://...: {error}"
                ) from None
    return channels


def rule_rows(rules: Rules, channels: dict[str, Channel]) -> list[RuleRow]:
    """The rules as the dashboard lists them: conditions in words, channels by service."""
    return [
        RuleRow(number, rule.name, rule.describe(),
                ", ".join(dict.fromkeys(channels[url].label for url in rules.channels(rule))),
                rules.cooldown(rule))
        for number, rule in enumerate(rules.rule, 1)
    ]  # fmt: skip


def run(
    dsn: str, rules: Rules, channels: dict[str, Channel], stop: threading.Event, source: str = ""
) -> Delivery:
    """Watch for new spots until `stop` is set; return the delivery (its counts). `source`
    (the rules file) is shown with the rules on the dashboard."""
    delivery = Delivery()
    watcher: Watcher | None = None
    wait, rules_stored = 1.0, False
    try:
        while not stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
                    if watcher is None:
                        watcher = Watcher(conn, rules, channels, delivery)
                        watcher.start()
                    else:  # carry on after the last spot read, with the new connection
                        watcher.conn = conn
                        watcher.listen()
                        log.info("alerts: the database is back; carrying on")
                    if not rules_stored:  # until it is, on each connection
                        store_rules(conn, rule_rows(rules, channels), source=source,
                                    at=datetime.now(UTC))  # fmt: skip
                        rules_stored = True
                    wait = 1.0
                    watcher.watch(stop)
            except psycopg.OperationalError as error:
                log.warning("alerts: the database is away (%s); again in %.0f s",
                            str(error).strip()[:200], wait)  # fmt: skip
                stop.wait(wait)
                wait = min(wait * 2, RECONNECT_MAX_S)
    finally:
        started = time.monotonic()
        delivery.stop()
        if watcher is not None:
            _last_log(dsn, watcher)
        log.info("alerts: stopped (%s; %.1f s to drain)",
                 ", ".join(f"{k} {v}" for k, v in sorted(delivery.counts.items())) or "none sent",
                 time.monotonic() - started)  # fmt: skip
    return delivery


def _last_log(dsn: str, watcher: Watcher) -> None:
    """Store the outcomes of the last sends, if the database answers."""
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
            watcher.conn = conn
            watcher.keep_log()
    except psycopg.Error as error:
        log.warning("alerts: the last outcomes were not logged (%s)", str(error).strip()[:200])

"""What the alerts process stores for the dashboard (dxspots/db/alertlog.py, migration 0017),
on a real PostgreSQL: rules replaced whole even by two processes at once, outcomes kept and
read back by the catalogue, and old rows and spent cool-down claims pruned."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from dxspots.db.alertclaims import claim
from dxspots.db.alertlog import ALERT_LOG_DAYS, Outcome, RuleRow, prune, record, store_rules
from dxspots.queries import ParameterError, fetch, plan

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def rules(tag: str, count: int) -> list[RuleRow]:
    return [RuleRow(n, f"{tag} {n}", "every spot", "ntfy", 30) for n in range(1, count + 1)]


def test_two_processes_storing_their_rules_at_once_take_turns(db_dsn: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def store(tag: str, count: int) -> None:
        try:
            with psycopg.connect(db_dsn, autocommit=True) as conn:
                start.wait()
                for _ in range(20):
                    store_rules(conn, rules(tag, count), source=f"{tag}.toml", at=NOW)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=store, args=args) for args in (("a", 3), ("b", 5))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with psycopg.connect(db_dsn) as conn:
        stored = fetch(conn, plan("alert_rules", {})).items
    assert {row["source"] for row in stored} in ({"a.toml"}, {"b.toml"})  # one file, whole
    assert len(stored) == (3 if stored[0]["source"] == "a.toml" else 5)


def test_outcomes_are_read_back_newest_first_and_pruned_after_the_kept_days(
    db_dsn: str,
) -> None:
    spot = {"id": 9, "spot_time": NOW, "dx_call": "3Y0J", "freq_khz": 14025.0, "band": "20m",
            "mode": "CW"}  # fmt: skip
    old = NOW - timedelta(days=ALERT_LOG_DAYS + 1)
    with psycopg.connect(db_dsn) as conn:
        assert record(conn, [
            Outcome(old, "Bouvet", "ntfy", "sent", 1, spot, None),
            Outcome(NOW - timedelta(minutes=2), "Bouvet", "ntfy", "abandoned", 2, spot, None),
            Outcome(NOW - timedelta(minutes=1), "New", "E-Mail", "sent", 1, spot, "entity"),
        ]) == 3  # fmt: skip
        assert claim(conn, "Bouvet", "3Y0J", "20m", "CW", at=NOW - timedelta(days=9),
                     cooldown_minutes=30)  # fmt: skip
        assert claim(conn, "Bouvet", "3Y0J", "40m", "CW", at=NOW, cooldown_minutes=30)
        conn.commit()
        rows = fetch(conn, plan("alerts", {"days": 31}, now=NOW)).items
        assert [(r["rule"], r["outcome"], r["needed"]) for r in rows] == [
            ("New", "sent", "entity"), ("Bouvet", "abandoned", None)
        ]  # fmt: skip
        only = fetch(conn, plan("alerts", {"rule": "Bouvet", "outcome": "abandoned"}, now=NOW))
        assert [r["attempts"] for r in only.items] == [2]
        assert prune(conn, NOW) == 2  # the outcome 32 days old, the claim 9 days old
        assert conn.execute("SELECT count(*) FROM alert_log").fetchone() == (2,)
        assert conn.execute("SELECT band FROM alert_claims").fetchall() == [("40m",)]


@pytest.mark.parametrize(
    ("raw", "name"),
    [({"rule": "\x00"}, "rule"), ({"rule": "x" * 81}, "rule"), ({"outcome": "SENT"}, "outcome"),
     ({"days": 32}, "days")],
)  # fmt: skip
def test_bad_parameters_of_the_alerts_query_are_named(raw: dict[str, object], name: str) -> None:
    with pytest.raises(ParameterError) as error:
        plan("alerts", raw, now=NOW)
    assert error.value.parameter == name

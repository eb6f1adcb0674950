"""The dashboard's Alerts page, by Streamlit's AppTest on a real PostgreSQL, as the reader
role: what `dxspots alerts` stored (its rules and each alert's outcome), shown read-only and
equal to the catalogue's own answers; without an alerts process, how to start one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from dashboard.views.alerts import NO_RULES
from dxspots.db.alertlog import Outcome, RuleRow, record, store_rules
from dxspots.queries import fetch, plan
from tests.conftest import login_role
from tests.e2e.test_dashboard import app, call_of, no_errors, table

RULES = [
    RuleRow(1, "Bouvet", "calls 3Y0*", "E-Mail, ntfy", 30),
    RuleRow(2, "New ones", "new for DL9ZZ's log: entity", "dxspots spot webhook (http)", 60),
]


def test_without_an_alerts_process_the_page_says_how_to_start_one(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with login_role(db_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch).run()
        at.switch_page("views/alerts.py").run()
        no_errors(at)
        assert [info.value for info in at.info] == [NO_RULES, "No alerts in this window."]
        assert not at.dataframe


def test_rules_and_recent_alerts_as_the_catalogue_gives_them(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(db_dsn) as conn:
        store_rules(conn, RULES, source="/etc/dxspots/alerts.toml", at=now)
        spot = {"id": 1, "spot_time": now, "dx_call": "3Y0J", "freq_khz": 14025.0,
                "band": "20m", "mode": "CW"}  # fmt: skip
        record(conn, [
            Outcome(now - timedelta(minutes=5), "Bouvet", "E-Mail", "sent", 1, spot, None),
            Outcome(now - timedelta(minutes=4), "Bouvet", "ntfy", "given up", 8, spot, None),
            Outcome(now - timedelta(minutes=3), "New ones", "dxspots spot webhook (http)",
                    "dropped", 0, spot | {"dx_call": "VP8PJ"}, "entity"),
            Outcome(now - timedelta(days=2), "Bouvet", "E-Mail", "sent", 1, spot, None),
        ])  # fmt: skip
    with login_role(db_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch).run()
        at.switch_page("views/alerts.py").run()
        no_errors(at)
        rules = table(at, 0)
        assert rules.to_dict("records") == [
            {"name": r.name, "conditions": r.conditions, "channels": r.channels,
             "cooldown_minutes": r.cooldown_minutes} for r in RULES
        ]  # fmt: skip
        assert any("2 rules from /etc/dxspots/alerts.toml" in c.value for c in at.caption)
        shown = table(at, 1)
        with psycopg.connect(dsn) as conn:
            expected = fetch(conn, plan("alerts", {"minutes": 1440, "limit": 500})).items
        assert len(shown) == len(expected) == 3  # the one two days ago is outside 24 h
        assert [call_of(link) for link in shown["dx_call"]] == [a["dx_call"] for a in expected]
        assert list(shown["outcome"]) == ["dropped", "given up", "sent"]
        assert list(shown["needed"]) == ["★ new one", "", ""]
        assert any(c.value == "1 sent, 1 given up, 1 dropped" for c in at.caption)
        at.select_slider(key="alerts_window").set_value("7 days").run()
        assert len(table(at, 1)) == 4

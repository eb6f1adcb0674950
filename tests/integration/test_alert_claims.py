"""The alerts' cool-down claimed in a real PostgreSQL (dxspots/db/alertclaims.py): once per
window per rule, DX call, band and mode, whoever asks, across connections and restarts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg

from dxspots.db.alertclaims import claim

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def take(dsn: str, at: datetime, *, rule: str = "Bouvet", band: str | None = "20m",
         mode: str | None = "CW", cooldown: int = 30) -> bool:  # fmt: skip
    with psycopg.connect(dsn) as conn:  # a connection of its own: a process, a restart
        return claim(conn, rule, "3Y0J", band, mode, at=at, cooldown_minutes=cooldown)


def test_once_per_window_then_again(db_dsn: str) -> None:
    assert take(db_dsn, AT)
    assert not take(db_dsn, AT + timedelta(minutes=5))  # another skimmer, 5 minutes on
    assert not take(db_dsn, AT + timedelta(minutes=29, seconds=59))
    assert take(db_dsn, AT + timedelta(minutes=30))  # the window is over
    assert not take(db_dsn, AT + timedelta(minutes=31))


def test_each_rule_band_and_mode_has_its_own_window(db_dsn: str) -> None:
    assert take(db_dsn, AT)
    assert take(db_dsn, AT, band="40m")
    assert take(db_dsn, AT, mode="SSB")
    assert take(db_dsn, AT, rule="Everything")
    assert take(db_dsn, AT, band=None, mode=None)  # unknown band and mode: a key of their own
    assert not take(db_dsn, AT + timedelta(minutes=1), band=None, mode=None)
    assert take(db_dsn, AT, rule="No cool-down", cooldown=0)
    assert take(db_dsn, AT + timedelta(seconds=1), rule="No cool-down", cooldown=0)


def test_claims_at_once_from_many_connections_send_once(db_dsn: str) -> None:
    won: list[bool] = []
    start = threading.Barrier(8)

    def contend() -> None:
        with psycopg.connect(db_dsn) as conn:
            start.wait()
            won.append(claim(conn, "Bouvet", "3Y0J", "20m", "CW", at=AT, cooldown_minutes=30))

    threads = [threading.Thread(target=contend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 7 + [True]

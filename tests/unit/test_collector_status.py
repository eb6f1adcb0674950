"""systemd's STATUS= line (collector/health.py `StatusLine`): what it says, over which
minute, and when it is sent (at once when health changes, else at most every 10 s)."""

from __future__ import annotations

from collector.health import Health, StatusLine


def verdict(*reasons: str, storage: str = "database", nodes: tuple[str, ...] = ("rbn",)) -> Health:
    return Health(tuple(reasons), {"nodes_logged_in": list(nodes), "storage": storage})


def test_it_says_the_nodes_the_last_minutes_counts_and_where_spots_go() -> None:
    status = StatusLine(2, now=0.0)
    assert status.update(verdict(), lines=120, spots=100, now=1.0) == (
        "ok: 1 of 2 node(s) logged in, 120 lines received and 100 spots stored in the last"
        " minute, storing to the database"
    )
    # 90 s on: only what came in the last minute counts.
    for second in range(2, 91):
        status.update(verdict(), lines=120 + 10 * second, spots=100 + 8 * second, now=second)
    assert status.said.startswith("ok: 1 of 2 node(s) logged in, 6")
    assert "lines received and 4" in status.said  # about 60 s of 10 lines and 8 spots a second


def test_counts_are_followed_every_ten_seconds_but_health_at_once() -> None:
    status = StatusLine(1, now=0.0)
    assert status.update(verdict(), lines=10, spots=10, now=1.0) is not None
    assert status.update(verdict(), lines=20, spots=20, now=2.0) is None  # within 10 s
    assert status.update(verdict(), lines=30, spots=30, now=11.5) is not None
    assert status.update(verdict(), lines=30, spots=30, now=30.0) is None  # nothing changed
    spooling = status.update(verdict(storage="spool"), lines=40, spots=30, now=31.0)
    assert spooling is not None and spooling.endswith("SPOOLING (the database is away)")
    lost = status.update(verdict("5 lines lost", storage="spool full"), 50, 30, now=32.0)
    assert lost is not None and lost.startswith("unavailable: 5 lines lost; ")
    assert lost.endswith("SPOOL FULL")
    # The reason's text changes with every lost batch: that alone waits its 10 s.
    assert status.update(verdict("9 lines lost", storage="spool full"), 60, 30, now=33.0) is None
    back = status.update(verdict(), lines=70, spots=60, now=34.0)
    assert back is not None and back.startswith("ok: ")

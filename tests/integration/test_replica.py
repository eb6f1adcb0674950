"""Reads on a real streaming replica: the API and the dashboard read from it, say how far it
is behind its primary, and the live stream goes on though NOTIFY does not reach a replica.

A primary and its `pg_basebackup -R` replica run on 127.0.0.1 (tests/replicas.py); spots go
in through the collector's writer on the primary; the API runs as a process with
DXSPOTS_READ_DATABASE_URL pointing at the replica, as a `dxspots_reader` login.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
import streamlit as st
from psycopg.conninfo import make_conninfo
from streamlit.testing.v1 import AppTest

from dxspots.db.writer import SpotWriter
from dxspots.queries import fetch, plan, read_replication
from tests.conftest import REPO, login_role
from tests.e2e.apiprocess import ApiProcess, api_process
from tests.e2e.test_api import EventReader, fresh_spots
from tests.replicas import Pair, primary_and_replica
from tests.spotset import make_spots


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with primary_and_replica() as both:
        yield both


@pytest.fixture(scope="module")
def reader(pair: Pair) -> Iterator[str]:
    """A `dxspots_reader` login's DSN on the primary (the role reaches the replica too)."""
    with login_role(pair.primary.dsn, "dxspots_reader") as dsn:
        pair.wait_replayed()
        yield dsn


def on_replica(pair: Pair, dsn: str) -> str:
    return make_conninfo(dsn, port=str(pair.replica.port))


def write(pair: Pair, spots: list[object]) -> int:
    """Store spots through the collector's writer on the primary (it notifies, as it does)."""
    with psycopg.connect(pair.primary.dsn) as conn:
        return SpotWriter(conn, notify=True).write(spots).spots_new  # type: ignore[arg-type]


def metrics(api: ApiProcess) -> dict[str, float]:
    answer = api.get("/metrics")
    assert answer.status == 200
    found = {}
    for line in answer.body.decode().splitlines():
        if line.startswith("dxspots_api_") and "{" not in line:
            name, _, value = line.partition(" ")
            found[name] = float(value)
    return found


@pytest.fixture(scope="module")
def replica_api(pair: Pair, reader: str) -> Iterator[ApiProcess]:
    with api_process(on_replica(pair, reader), api_stream_heartbeat="0.5") as api:
        yield api


def test_the_api_serves_spots_from_the_replica(
    pair: Pair, reader: str, replica_api: ApiProcess
) -> None:
    now = datetime.now(UTC)
    assert write(pair, make_spots(now, count=50, seed=3)) == 53  # 50 recent, 3 older
    pair.wait_replayed()
    answer = replica_api.get("/v1/spot_count?days=60")
    assert answer.status == 200, answer.body
    with psycopg.connect(pair.primary.dsn, autocommit=True) as conn:
        on_primary = fetch(conn, plan("spot_count", {"days": "60"}, now=now)).items[0]["spots"]
    assert answer.json()["items"][0]["spots"] == on_primary >= 53
    # The API's connections are on the replica, as the reader login; none on the primary.
    login = psycopg.conninfo.conninfo_to_dict(reader)["user"]
    sessions = "SELECT count(*) FROM pg_stat_activity WHERE usename = %s"
    with psycopg.connect(pair.replica.dsn) as conn:
        row = conn.execute(sessions, (login,)).fetchone()
        assert row is not None and row[0] >= 1
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
    with psycopg.connect(pair.primary.dsn) as conn:
        assert conn.execute(sessions, (login,)).fetchone() == (0,)


def test_metrics_show_the_replication_lag(pair: Pair, replica_api: ApiProcess) -> None:
    write(pair, fresh_spots("LAG1/20m"))
    pair.wait_replayed()
    found = metrics(replica_api)
    assert found["dxspots_api_read_replica"] == 1
    assert found["dxspots_api_replication_lag_seconds"] == 0  # replayed all it received
    assert found["dxspots_api_replication_replay_pending_bytes"] == 0
    assert abs(found["dxspots_api_replication_last_replay_timestamp_seconds"] - time.time()) < 60
    assert "dxspots_api_replicas" not in found


def test_a_primary_reads_as_not_a_replica(pair: Pair, reader: str) -> None:
    with psycopg.connect(reader, autocommit=True) as conn:
        state = read_replication(conn)
    assert (state.replica, state.lag_seconds, state.replicas) == (False, None, 1)
    with api_process(reader) as api:
        found = metrics(api)
    assert found["dxspots_api_read_replica"] == 0
    assert found["dxspots_api_replicas"] == 1
    assert not any(name.startswith("dxspots_api_replication_") for name in found)


def test_the_stream_delivers_spots_written_on_the_primary(
    pair: Pair, replica_api: ApiProcess
) -> None:
    client = EventReader(replica_api, "/v1/stream?band=20m")
    try:
        assert client.answer.status == 200
        assert "comment" in client.next_event()  # the greeting
        assert client.next_event().get("comment") == "heartbeat"  # the feed is up, idle
        started = time.monotonic()
        write(pair, fresh_spots("R1/20m", "R2/40m", "R3/20m"))
        calls = []
        while len(calls) < 2 and time.monotonic() - started < 5:  # heartbeats every 0.5 s
            event = client.next_event()
            if event.get("event") == "spot":
                calls.append(json.loads(event["data"])["dx_call"])
        assert calls == ["R1", "R3"]
    finally:
        client.close()


def test_a_client_from_a_replica_further_ahead_gets_no_gap_and_no_repeats(
    pair: Pair, replica_api: ApiProcess
) -> None:
    """Behind a proxy with two replicas, a client reconnects to the one that is behind the
    id it last saw: the stream waits for the replica to replay that far, then goes on."""
    import threading

    def replay(action: str) -> None:
        with psycopg.connect(pair.replica.dsn, autocommit=True) as replica:
            replica.execute(f"SELECT pg_wal_replay_{action}()")  # pause or resume

    pair.wait_replayed()
    replay("pause")
    write(pair, fresh_spots("AHEAD1/20m", "AHEAD2/20m"))
    with psycopg.connect(pair.primary.dsn) as conn:
        row = conn.execute("SELECT max(id) FROM spots").fetchone()
    assert row is not None
    seen = int(row[0])  # what the other replica, further on, already sent this client
    threading.Timer(1.5, replay, args=("resume",)).start()
    client = EventReader(replica_api, "/v1/stream?band=20m", last_id=str(seen))
    try:
        assert client.answer.status == 200
        events = [client.next_event()]  # the greeting
        write(pair, fresh_spots("AFTER1/20m"))
        while not any(event.get("event") == "spot" for event in events):
            events.append(client.next_event())
        assert not any(event.get("event") == "gap" for event in events), events
        spots = [json.loads(event["data"]) for event in events if event.get("event") == "spot"]
        assert [spot["dx_call"] for spot in spots] == ["AFTER1"]  # not AHEAD1, AHEAD2 again
        assert spots[0]["id"] > seen
    finally:
        client.close()


def test_the_collector_page_shows_the_lag(
    pair: Pair, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(pair, fresh_spots("PAGE1/20m"))
    pair.wait_replayed()
    for name in ("DXSPOTS_DATABASE_URL", "DXSPOTS_READ_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DXSPOTS_READ_DATABASE_URL", on_replica(pair, reader))
    monkeypatch.setenv("DXSPOTS_DASHBOARD_REFRESH", "10")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60).run()
    at.switch_page("views/collector.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [sub.value for sub in at.subheader][:1] == ["Database replica"]
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["Replication lag"] == "0.0 s"
    assert shown["Last change replayed"].endswith("s ago")
    assert not at.warning  # it follows its primary
    # Read from the primary, the page says nothing of replicas.
    monkeypatch.setenv("DXSPOTS_READ_DATABASE_URL", reader)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60).run()
    at.switch_page("views/collector.py").run()
    assert not at.exception
    assert "Database replica" not in [sub.value for sub in at.subheader]
    assert "Replication lag" not in [metric.label for metric in at.metric]


def test_reads_go_on_when_the_primary_stops() -> None:
    with primary_and_replica() as both, login_role(both.primary.dsn, "dxspots_reader") as dsn:
        write(both, make_spots(datetime.now(UTC), count=20, seed=5))
        both.wait_replayed()
        with api_process(on_replica(both, dsn)) as api:
            both.primary.stop()
            answer = api.get("/v1/spot_count?days=60")
            assert answer.status == 200, answer.body
            assert answer.json()["items"][0]["spots"] == 23  # 20 recent, 3 older
            assert metrics(api)["dxspots_api_read_replica"] == 1
            both.primary.start()  # login_role drops its login there on the way out

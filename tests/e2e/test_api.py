"""The API as a process on 127.0.0.1 against a real PostgreSQL: routes, errors, CSV, stream."""

from __future__ import annotations

import contextlib
import csv
import http.client
import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from openapi_spec_validator import validate

from dxspots.db.writer import SpotWriter
from dxspots.queries import CATALOGUE
from tests.conftest import login_role
from tests.e2e.apiprocess import Answer, ApiProcess, api_process, free_port
from tests.integration.test_queries import text_of
from tests.liveset import messages, place
from tests.spotset import REQUIRED, make_spots, store

KEY = "k" * 24
ORIGIN = "https://dx.example.org"


@pytest.fixture
def spots_dsn(db_dsn: str) -> str:
    now = datetime.now(UTC)
    store(db_dsn, make_spots(now))
    place(db_dsn)  # SNRs and coordinates: dx_board and map_paths have something to show
    with psycopg.connect(db_dsn) as conn:
        SpotWriter(conn).write(messages(now))
    return db_dsn


@pytest.fixture
def reader_dsn(spots_dsn: str) -> Iterator[str]:
    with login_role(spots_dsn, "dxspots_reader") as dsn:
        yield dsn


@pytest.fixture
def api(reader_dsn: str) -> Iterator[ApiProcess]:
    with api_process(reader_dsn, api_cors_origins=ORIGIN, api_stream_heartbeat="0.5") as api:
        yield api


def query_path(name: str, suffix: str = "", **params: str) -> str:
    params = REQUIRED.get(name, {}) | params
    text = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/v1/{name}{suffix}" + (f"?{text}" if text else "")


def assert_error(answer: Answer, status: int, error: str) -> dict[str, Any]:
    """Every error has the one body: error, status, detail (and parameter for a 400)."""
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["error"] == error
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"error", "status", "detail", "parameter"}
    assert "Traceback" not in answer.body.decode()
    return dict(body)


def test_every_route_answers_json_and_the_suffix_is_the_default(api: ApiProcess) -> None:
    for name in CATALOGUE:
        plain = api.get(query_path(name))
        assert plain.status == 200, (name, plain.body)
        assert plain.headers["content-type"] == "application/json"
        document = plain.json()
        assert isinstance(document["items"], list)
        assert "next" in document
        suffixed = api.get(query_path(name, ".json"))
        assert suffixed.status == 200
        assert suffixed.json()["items"] == document["items"]  # one cache entry for both
    spots = api.get("/v1/spots?limit=5").json()
    assert len(spots["items"]) == 5 and spots["next"]
    more = api.get(f"/v1/spots?limit=5&cursor={spots['next']}").json()
    assert more["items"][0]["id"] < spots["items"][-1]["id"]


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_csv_equals_json_for_the_same_query(api: ApiProcess, name: str) -> None:
    until = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = (
        {}
        if name in ("nodes", "summary", "callsign", "log_owners", "alert_rules")
        else {"until": until}
    )
    if name == "band_normal":
        params = {"at": until}
    as_json = api.get(query_path(name, ".json", **params))
    as_csv = api.get(query_path(name, ".csv", **params))
    assert as_json.status == as_csv.status == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert f'filename="dxspots-{name}-' in as_csv.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(as_csv.body.decode())))
    items = as_json.json()["items"]
    if name == "summary":
        items[0].pop("spots_estimate"), table[0].pop("spots_estimate")
    assert len(table) == len(items)
    assert items or name in (
        "nodes",
        "solar",
        "band_normal",
        "log_owners",
        "alert_rules",
        "alerts",
    ), name  # the rest do
    for item, row in zip(items, table, strict=True):
        assert list(row) == [k for k in item if k in row]
        for key, value in item.items():
            typed = value
            if isinstance(value, str) and value.endswith("Z") and "T" in value:
                typed = datetime.fromisoformat(value)
            assert row[key] == text_of(typed), (key, row[key], value)


def test_error_bodies_are_one_shape(api: ApiProcess) -> None:
    body = assert_error(api.get("/v1/spots?band=21m"), 400, "bad_parameter")
    assert body["parameter"] == "band"
    body = assert_error(api.get("/v1/band_activity?days=30"), 400, "bad_parameter")
    assert body["parameter"] == "days" and "at most 7 days" in body["detail"]
    assert assert_error(api.get("/v1/spots?limt=5"), 400, "bad_parameter")["parameter"] == "limt"
    assert assert_error(api.get("/v1/spots?limit=-1"), 400, "bad_parameter")["parameter"] == "limit"
    assert_error(api.get("/v1/nothing"), 404, "not_found")
    assert_error(api.get("/v1/spots.xml"), 404, "not_found")
    assert_error(api.request("/v1/spots", method="POST"), 405, "method_not_allowed")
    assert_error(api.request("/v1/spots", method="DELETE"), 405, "method_not_allowed")
    stream = api.request("/v1/stream?band=21m")
    assert assert_error(stream, 400, "bad_parameter")["parameter"] == "band"


def test_lists_mean_the_same_however_given_and_never_share_a_wrong_answer(
    api: ApiProcess,
) -> None:
    repeated = api.get("/v1/spots?node=rbn&node=dxspider&limit=1000").json()["items"]
    assert repeated and {s["node"] for s in repeated} == {"rbn", "dxspider"}
    assert api.get("/v1/spots?node=rbn,dxspider&limit=1000").json()["items"] == repeated
    # A node literally named "['rbn'" has no spots, whatever was cached before.
    odd = api.get("/v1/spots?node=%5B%27rbn%27%2C%20%27dxspider%27%5D&limit=1000").json()
    assert odd["items"] == []
    assert api.get("/v1/stream?limit=5").json()["parameter"] == "limit"


def test_csv_exports_beyond_half_the_pool_are_503s(reader_dsn: str, spots_dsn: str) -> None:
    settings = {"api_pool_size": "2", "api_request_timeout": "30"}
    with api_process(reader_dsn, **settings) as api:
        answers: list[Answer] = []
        with locked(spots_dsn, "spots"):
            first = threading.Thread(target=lambda: answers.append(api.get("/v1/spots.csv")))
            first.start()
            time.sleep(1.0)  # the one export slot is taken, waiting on the lock
            busy = api.get("/v1/spots.csv?limit=5")
            assert_error(busy, 503, "unavailable")
            assert "CSV exports" in busy.json()["detail"]
        first.join()
        assert answers[0].status == 200 and answers[0].body.count(b"\n") == 101  # header + 100
        assert api.get("/v1/spots.csv?limit=5").status == 200


def test_an_internal_error_is_a_500_without_a_traceback_but_logged(
    api: ApiProcess, spots_dsn: str
) -> None:
    with psycopg.connect(spots_dsn, autocommit=True) as admin:
        admin.execute("ALTER TABLE node_status DROP COLUMN host")
    answer = api.get("/v1/nodes")
    body = assert_error(answer, 500, "internal_error")
    assert "host" not in body["detail"]
    log = api.log_text()
    assert "Traceback" in log and "UndefinedColumn" in log


def test_a_database_that_is_away_is_a_503_with_retry_after(reader_dsn: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(reader_dsn) | {"port": str(free_port())}
    dead = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    with api_process(dead, api_pool_timeout="1") as api:
        assert api.get("/healthz").status == 200
        for path in ("/readyz", "/v1/spots", "/v1/spots.csv", "/v1/summary"):
            answer = api.get(path)
            assert_error(answer, 503, "unavailable")
            assert answer.headers["retry-after"] == "5"


@contextlib.contextmanager
def locked(dsn: str, table: str) -> Iterator[None]:
    """Hold an exclusive lock on `table`, so that queries reading it wait."""
    with psycopg.connect(dsn) as conn:
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
        conn.rollback()


def test_a_busy_pool_and_a_slow_query_are_503s(reader_dsn: str, spots_dsn: str) -> None:
    settings = {
        "api_pool_size": "1", "api_pool_timeout": "0.5", "api_statement_timeout": "2",
        "api_request_timeout": "20", "api_cache_seconds": "0",
    }  # fmt: skip
    with api_process(reader_dsn, **settings) as api, locked(spots_dsn, "node_status"):
        answers: list[Answer] = []
        slow = threading.Thread(target=lambda: answers.append(api.get("/v1/nodes")))
        slow.start()
        time.sleep(0.5)
        busy = api.get("/v1/spots")  # the one connection is waiting on the lock
        slow.join()
        assert_error(busy, 503, "unavailable")
        assert "busy" in busy.json()["detail"] and busy.headers["retry-after"] == "5"
        assert_error(answers[0], 503, "unavailable")
        assert "statement timeout" in answers[0].json()["detail"]
        assert api.get("/v1/spots").status == 200  # and the pool has its connection back


def test_a_request_that_takes_too_long_is_a_503(reader_dsn: str, spots_dsn: str) -> None:
    settings = {"api_statement_timeout": "20", "api_request_timeout": "1"}
    with api_process(reader_dsn, **settings) as api, locked(spots_dsn, "node_status"):
        started = time.monotonic()
        answer = api.get("/v1/nodes")
        assert time.monotonic() - started < 5
        assert_error(answer, 503, "unavailable")
        assert "too long" in answer.json()["detail"]


def test_an_api_key_guards_v1_only(reader_dsn: str) -> None:
    with api_process(reader_dsn, api_key=KEY) as api:
        assert_error(api.get("/v1/spots"), 401, "unauthorized")
        assert_error(api.get("/v1/spots", X_API_Key="wrong"), 401, "unauthorized")
        assert api.get("/v1/spots", X_API_Key=KEY).status == 200
        assert api.get("/healthz").status == 200
        assert api.get("/readyz").status == 200
        document = api.get("/openapi.json").json()
        assert document["components"]["securitySchemes"]["apiKey"]["name"] == "X-API-Key"


def test_cors_only_for_the_configured_origin(api: ApiProcess, reader_dsn: str) -> None:
    allowed = api.get("/v1/summary", Origin=ORIGIN)
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    other = api.get("/v1/summary", Origin="https://elsewhere.example")
    assert "access-control-allow-origin" not in other.headers
    with api_process(reader_dsn) as plain:
        assert "access-control-allow-origin" not in plain.get("/v1/summary", Origin=ORIGIN).headers


def test_probes_metrics_and_the_openapi_document(api: ApiProcess) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").json()["status"] == "ready"
    api.get("/v1/spots?band=21m")
    metrics = api.get("/metrics")
    assert metrics.status == 200
    text = metrics.body.decode()
    assert 'dxspots_api_requests_total{route="/v1/spots",status="400"} 1.0' in text
    assert "dxspots_api_pool_size" in text and "dxspots_api_request_seconds_bucket" in text
    document = api.get("/openapi.json").json()
    validate(document)
    assert {f"/v1/{name}" for name in CATALOGUE} <= set(document["paths"])


class EventReader:
    """A Server-Sent Events client on one connection."""

    def __init__(self, api: ApiProcess, path: str, last_id: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
        headers = {"Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        self.conn.request("GET", path, headers=headers)
        self.answer = self.conn.getresponse()

    def next_event(self) -> dict[str, str]:
        event: dict[str, str] = {}
        while True:
            line = self.answer.readline().decode().rstrip("\n")
            if not line:
                if event:
                    return event
                continue
            field, _, value = line.partition(":")
            event[field or "comment"] = value.strip()

    def spot_events(self, count: int) -> list[dict[str, Any]]:
        spots = []
        while len(spots) < count:
            event = self.next_event()
            if event.get("event") == "spot":
                spots.append({"id": int(event["id"]), **json.loads(event["data"])})
        return spots

    def close(self) -> None:
        self.conn.close()


def fresh_spots(*calls: str) -> list[Any]:
    """New spots now, one per `CALL/band`."""
    now = datetime.now(UTC)
    template = make_spots(now, count=1, seed=99)[0]
    return [
        template._replace(
            dx_call=call, band=band, freq_khz=14_000.0 + i, spot_time=now, received_at=now
        )
        for i, (call, band) in enumerate(item.split("/") for item in calls)
    ]


def test_the_stream_sends_spots_stored_after_the_client_connected(
    api: ApiProcess, spots_dsn: str
) -> None:
    reader = EventReader(api, "/v1/stream?band=20m")
    try:
        assert reader.answer.status == 200
        assert reader.answer.getheader("content-type") == "text/event-stream"
        assert "comment" in reader.next_event()  # the greeting
        heartbeat = reader.next_event()  # idle: a heartbeat comment within 0.5 s
        assert heartbeat.get("comment") == "heartbeat"
        store(spots_dsn, fresh_spots("S1/20m", "S2/40m", "S3/20m", "S4/40m", "S5/20m"), notify=True)
        got = reader.spot_events(3)
        assert [s["dx_call"] for s in got] == ["S1", "S3", "S5"]
        assert all(s["spot_time"].endswith("Z") for s in got)
        # History being imported (received long ago) is not live; the next live spot is.
        old = fresh_spots("OLD1/20m")[0]
        old = old._replace(received_at=old.received_at - timedelta(days=2))
        store(spots_dsn, [old, *fresh_spots("S9/20m")], notify=True)
        assert [s["dx_call"] for s in reader.spot_events(1)] == ["S9"]
        assert all(s["band"] == "20m" for s in got)
        assert got[0]["id"] < got[1]["id"] < got[2]["id"]
    finally:
        reader.close()

    # Reconnecting with Last-Event-ID replays what came since, then goes on live.
    store(spots_dsn, fresh_spots("S6/20m", "S7/40m"), notify=True)
    again = EventReader(api, "/v1/stream?band=20m", last_id=str(got[0]["id"]))
    try:
        replayed = again.spot_events(5)  # a replay comes from the table: history included
        assert [s["dx_call"] for s in replayed] == ["S3", "S5", "OLD1", "S9", "S6"]
        store(spots_dsn, fresh_spots("S8/20m"), notify=True)
        assert [s["dx_call"] for s in again.spot_events(1)] == ["S8"]
        assert api.get("/metrics").body.count(b"dxspots_api_stream_clients 1.0") == 1
    finally:
        again.close()


def test_a_bad_last_event_id_is_a_400(api: ApiProcess) -> None:
    answer = api.get("/v1/stream", Last_Event_ID="yesterday")
    assert assert_error(answer, 400, "bad_parameter")["parameter"] == "Last-Event-ID"


def test_a_last_event_id_from_elsewhere_is_a_gap_then_live(api: ApiProcess, spots_dsn: str) -> None:
    reader = EventReader(api, "/v1/stream", last_id="999999999")
    try:
        gap = reader.next_event()
        while "event" not in gap:  # the greeting, heartbeats
            gap = reader.next_event()
        assert gap["event"] == "gap"
        assert json.loads(gap["data"])["after"] == 999999999
        store(spots_dsn, fresh_spots("G1/20m"), notify=True)
        assert [s["dx_call"] for s in reader.spot_events(1)] == ["G1"]
    finally:
        reader.close()


def test_several_workers_serve_the_same_api(reader_dsn: str) -> None:
    with api_process(reader_dsn, api_workers="2") as api:
        for _ in range(3):
            assert api.get("/v1/summary").status == 200
            assert api.get("/readyz").json()["status"] == "ready"
        assert api.get("/v1/spots?band=21m").json()["parameter"] == "band"
        deadline = time.monotonic() + 10
        while api.log_text().count("Started server process") < 2:
            assert time.monotonic() < deadline, api.log_text()
            time.sleep(0.1)


def test_dxspots_api_takes_host_and_port_and_refuses_a_bad_one(
    reader_dsn: str, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    env["DXSPOTS_READ_DATABASE_URL"] = reader_dsn
    bad = subprocess.run(
        [sys.executable, "-m", "dxspots.cli", "api", "--port", "70000"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "DXSPOTS_API_PORT" in bad.stderr and "Traceback" not in bad.stderr
    port = free_port()
    log = tmp_path / "api.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "api", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        api = ApiProcess(port, process, log)
        deadline = time.monotonic() + 30
        while True:
            try:
                assert api.get("/readyz").status == 200
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        process.terminate()
        # uvicorn shuts down, then re-raises SIGTERM so that the exit says why.
        assert process.wait(15) in (0, -15)
    assert "Application shutdown complete" in log.read_text()


def test_top_lists_give_their_bands_in_band_order(api: ApiProcess) -> None:
    from dxspots.bands import BAND_NAMES

    for name in ("top_dx", "top_spotters"):
        items = api.get(f"/v1/{name}?minutes=180&limit=100").json()["items"]
        lists = [item["bands"].split(",") for item in items]
        assert max(len(bands) for bands in lists) >= 4, lists  # text order would differ
        for bands in lists:
            assert bands == sorted(bands, key=list(BAND_NAMES).index), (name, bands)
        table = list(csv.DictReader(io.StringIO(api.get(f"/v1/{name}.csv?minutes=180&limit=100")
                                                .body.decode())))  # fmt: skip
        assert [row["bands"].split(",") for row in table] == lists


def test_the_live_views_queries_over_http(api: ApiProcess) -> None:
    board = api.get("/v1/dx_board?minutes=180&limit=1000").json()["items"]
    assert board and {row["dx_call"] for row in board} >= {"VP8PJ", "3Y0K"}
    assert [row["last_seen"] for row in board] == sorted(
        (row["last_seen"] for row in board), reverse=True
    )
    paths = api.get("/v1/map_paths?minutes=180").json()
    assert paths["items"] and paths["totals"]["left_out"] > 0
    assert (
        sum(p["spots"] for p in paths["items"]) + paths["totals"]["left_out"]
        == (paths["totals"]["spots"])
    )
    talk = api.get("/v1/messages?kind=talk&limit=5").json()
    assert len(talk["items"]) == 5 and {m["kind"] for m in talk["items"]} == {"talk"}
    more = api.get(f"/v1/messages?kind=talk&limit=5&cursor={talk['next']}").json()["items"]
    assert more and more[0]["sent_time"] <= talk["items"][-1]["sent_time"]
    texts = api.get("/v1/messages.csv?limit=1000").body.decode()
    assert "'=HYPERLINK" in texts  # a formula from a stranger is inert in the CSV
    assert api.get("/v1/band_normal").status == 200
    body = assert_error(api.get("/v1/band_normal?dx_call=VP8PJ"), 400, "bad_parameter")
    assert body["parameter"] == "dx_call"
    body = assert_error(api.get("/v1/messages?kind=spots"), 400, "bad_parameter")
    assert body["parameter"] == "kind"
    body = assert_error(api.get("/v1/map_paths?days=2"), 400, "bad_parameter")
    assert body["parameter"] == "days" and "at most 1 days" in body["detail"]

"""The API attacked as the adversarial review attacked it (issue 11), against a real server.

Each test performs the attack: odd spellings of every route with an API key set, stream
clients that stop reading, more stream clients than allowed, a stream whose database fails,
a CSV export abandoned after 1 KB, connections that never send their headers, oversized
bad values, cross-origin requests. Raw sockets on 127.0.0.1, so nothing normalises the
request on the way.
"""

from __future__ import annotations

import contextlib
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import psutil
import psycopg
import pytest

from dxspots.queries import CATALOGUE
from tests.conftest import login_role
from tests.e2e.apiprocess import ApiProcess, api_process
from tests.spotset import REQUIRED, make_spots, store

KEY = "s3cret-key-" + "x" * 16
ROUTES = [f"/v1/{name}{suffix}" for name in CATALOGUE for suffix in ("", ".json", ".csv")]
ROUTES.append("/v1/stream")
PUBLIC = ["/healthz", "/readyz", "/metrics", "/openapi.json"]


def spellings(path: str) -> list[str]:
    """Ways to write `path` that a server or router may read as the same route."""
    rest = path.removeprefix("/")
    return [
        "/" + path,  # //v1/spots
        "//" + path,
        "/%2F" + rest,
        "/%2f" + rest,
        path.replace("/v1/", "/v1//"),
        path.replace("/v1/", "/v1/%2F"),
        path + "/",
        path + "//",
        path + "%2F",
        path.replace("v1", "%76%31"),
        path.replace("/v1/", "/./v1/") if path.startswith("/v1/") else path,
        path.replace("/v1/", "/v1/./"),
        path.replace("/v1/", "/x/../v1/"),
        path + ";key",
        path + "?",
        path + "#x",
        "http://127.0.0.1" + path,  # absolute form
        path.replace("/v1/", "/V1/"),
        path.replace("/v1/", "\\v1\\"),
    ]


def with_query(target: str, path: str) -> str:
    """`target` with the query a route needs to answer 200 (`callsign` wants a call,
    `needed` an owner)."""
    name = path.removeprefix("/v1/").split(".")[0].split("?")[0]
    if name not in REQUIRED:
        return target
    head, hash_, fragment = target.partition("#")
    query = "&".join(f"{k}={v}" for k, v in REQUIRED[name].items())
    return head + ("&" if "?" in head else "?") + query + hash_ + fragment


def raw_request(
    port: int, target: str, headers: dict[str, str] | None = None, *, body_limit: int = 1 << 20
) -> tuple[int, dict[str, str], bytes]:
    """Send `target` as written; read the status, the headers and (some of) the body."""
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head:
            return 0, {}, b""
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        answer = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
        status = int(status_line.split()[1])
        if answer.get("content-type", "").startswith("text/event-stream"):
            return status, answer, body  # endless: do not wait for the rest
        sock.settimeout(20)
        while len(body) < body_limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, answer, body


def healthy(port: int) -> bool:
    try:
        return raw_request(port, "/healthz")[0] == 200
    except OSError:  # refused or reset while the server has no descriptor for it
        return False


def metric(api: ApiProcess, name: str, labels: str = "") -> float:
    text = api.get("/metrics").body.decode()
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    return float(match[1]) if match else 0.0


def wait_for(condition: object, timeout: float, what: str) -> float:
    """Poll `condition` until true; return the seconds it took."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
def reader_dsn(db_dsn: str) -> Iterator[str]:
    store(db_dsn, make_spots(datetime.now(UTC), count=300))
    with login_role(db_dsn, "dxspots_reader") as dsn:
        yield dsn


def test_no_spelling_of_any_route_gets_past_the_key(reader_dsn: str) -> None:
    with api_process(reader_dsn, api_key=KEY) as api:
        for path in ROUTES:
            status, _, body = raw_request(api.port, with_query(path, path))
            assert status == 401, (path, status)
            status, _, _ = raw_request(api.port, with_query(path, path), {"X-API-Key": KEY})
            assert status == 200, (path, status)
            for spelt in spellings(path):
                status, _, body = raw_request(api.port, with_query(spelt, path))
                assert status in (400, 401, 404), (spelt, status, body[:200])
                assert b'"items"' not in body and b"spot_time" not in body, spelt
            wrong = {"X-API-Key": KEY[:-1] + "y"}
            status, _, _ = raw_request(api.port, with_query(path, path), wrong)
            assert status == 401, path
        for path in PUBLIC:  # the allow-list: open without the key
            status, _, _ = raw_request(api.port, path)
            assert status == 200, path
        assert "Traceback" not in api.log_text()


def test_every_answer_says_nosniff_and_cors_answers_vary_by_origin(reader_dsn: str) -> None:
    origin = "https://dx.example.org"
    with api_process(reader_dsn, api_cors_origins=origin, api_stream_heartbeat="0.5") as api:
        for path in ["/v1/spots", "/v1/spots.csv", "/v1/spots?band=99m", "/nowhere",
                     "/healthz", "/v1/stream"]:  # fmt: skip
            status, headers, _ = raw_request(api.port, path, {"Origin": origin})
            assert headers.get("x-content-type-options") == "nosniff", (path, status)
            assert "Origin" in headers.get("vary", ""), (path, headers)
        _, headers, _ = raw_request(api.port, "/v1/spots", {"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in headers
        assert "Origin" in headers.get("vary", "")


def test_a_bad_value_is_quoted_only_in_part(reader_dsn: str) -> None:
    huge = "A" * 60_000
    with api_process(reader_dsn) as api:
        for query in [f"band={huge}", f"dx_call={huge}", f"dx_entity={huge}", f"{huge}=1",
                      f"mode={huge}", f"spotter_continent={huge}"]:  # fmt: skip
            status, _, body = raw_request(api.port, f"/v1/spots?{query}")
            assert status == 400, (query[:20], status)
            assert len(body) < 700, (query[:20], len(body))
            assert b"AAAAAAAAAA" in body  # a prefix is still shown, to say which value
        status, _, body = raw_request(api.port, f"/v1/{huge}")
        assert status == 404 and len(body) < 700 and b"AAAAAAAAAA" in body


def test_odd_cursor_offsets_and_the_end_of_time_are_400s(reader_dsn: str) -> None:
    import base64
    import json

    def cursor(moment: str) -> str:
        text = json.dumps([moment, 5], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    with api_process(reader_dsn) as api:
        for moment in ["2026-01-01T00:00:00+20:00", "2026-01-01T00:00:00+05:30:30.5",
                       "2026-01-01T00:00:00-23:59"]:  # fmt: skip
            for suffix in ("", ".csv"):
                status, _, body = raw_request(
                    api.port, f"/v1/spots{suffix}?cursor={cursor(moment)}"
                )
                assert status == 200, (moment, suffix, body[:300])
        for moment in ["9999-12-31T23:30:00+00:00", "0001-01-01T00:00:00+05:00"]:
            status, _, body = raw_request(api.port, f"/v1/spots.csv?cursor={cursor(moment)}")
            assert status == 400 and b'"parameter":"cursor"' in body, (moment, body[:300])
        for until in ["9999-12-31T23:30:00Z", "9999-12-31T00:00:00Z"]:
            for suffix in ("", ".csv"):
                status, _, body = raw_request(
                    api.port, f"/v1/band_hour_heatmap{suffix}?until={until}"
                )
                assert status == 400 and b'"parameter":"until"' in body, (until, body[:300])
        assert "Traceback" not in api.log_text()


def stalled_stream(port: int, last_event_id: int = 0) -> socket.socket:
    """A stream client that asks for a catch-up and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        f"GET /v1/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: {last_event_id}\r\n\r\n".encode()
    )
    return sock


def test_stream_clients_that_stop_reading_are_dropped(db_dsn: str) -> None:
    store(db_dsn, make_spots(datetime.now(UTC), count=8000))
    with (
        login_role(db_dsn, "dxspots_reader") as reader,
        api_process(reader, api_send_timeout="2", api_stream_heartbeat="0.5") as api,
    ):
        wait_for(lambda: api.get("/readyz").json().get("stream"), 15, "the feed is connected")
        clients = [stalled_stream(api.port) for _ in range(12)]
        try:
            wait_for(lambda: metric(api, "dxspots_api_stream_clients") == 12, 10, "12 admitted")
            took = wait_for(
                lambda: metric(api, "dxspots_api_stream_clients") == 0, 20, "all dropped"
            )
            dropped = metric(api, "dxspots_api_clients_dropped_total", '{reason="stopped reading"}')
            assert dropped == 12
            assert took < 15  # a hang detector, not a speed target
            # The server dropped them (a reset: what was buffered for them is gone too).
            for sock in clients:
                sock.settimeout(10)
                with contextlib.suppress(ConnectionResetError):
                    while sock.recv(1 << 20):
                        pass
        finally:
            for sock in clients:
                sock.close()
        assert api.get("/v1/summary").status == 200  # still serving
        log = api.log_text()
    assert "Traceback" not in log and "Exception in ASGI" not in log
    assert "without completing response" not in log  # dropped, not mistaken for a bug
    assert log.count("read nothing for 2 s and was dropped") == 12


def test_stream_clients_past_the_cap_get_a_503(reader_dsn: str) -> None:
    with api_process(reader_dsn, api_stream_clients="2", api_stream_heartbeat="0.5") as api:
        first = [socket.create_connection(("127.0.0.1", api.port)) for _ in range(2)]
        try:
            for sock in first:
                sock.sendall(b"GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n")
                assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            status, headers, body = raw_request(api.port, "/v1/stream")
            assert status == 503 and headers["retry-after"]
            assert b'"error":"unavailable"' in body and b"2 live-stream clients" in body
            first.pop().close()
            wait_for(lambda: metric(api, "dxspots_api_stream_clients") == 1, 10, "one left")
            status, _, _ = raw_request(api.port, "/v1/stream")
            assert status == 200
        finally:
            for sock in first:
                sock.close()


def test_a_stream_whose_database_fails_ends_with_an_error_event(db_dsn: str) -> None:
    store(db_dsn, make_spots(datetime.now(UTC), count=300))
    with login_role(db_dsn, "dxspots_reader") as reader, api_process(reader) as api:
        wait_for(lambda: api.get("/readyz").json().get("stream"), 15, "the feed is connected")
        with psycopg.connect(db_dsn, autocommit=True) as owner:
            owner.execute("REVOKE SELECT ON spots FROM dxspots_reader")
        with socket.create_connection(("127.0.0.1", api.port), timeout=20) as sock:
            sock.sendall(b"GET /v1/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n")
            answer = b""
            while chunk := sock.recv(65536):  # the stream ends: the server closes it
                answer += chunk
                if answer.endswith(b"0\r\n\r\n"):
                    break
        assert b"event: error" in answer
        assert b'"error":"unavailable"' in answer
        log = api.log_text()
    assert "live stream: a client's stream ended" in log
    assert "Traceback" not in log and "Exception in ASGI" not in log


def copies_running(owner: psycopg.Connection[tuple[object, ...]]) -> int:
    row = owner.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %' AND state = 'active'"
        " AND pid <> pg_backend_pid()"
    ).fetchone()
    return int(row[0]) if row else 0


def test_an_abandoned_csv_export_stops_its_query_and_frees_its_slot(db_dsn: str) -> None:
    store(db_dsn, make_spots(datetime.now(UTC), count=3000))
    with (
        psycopg.connect(db_dsn, autocommit=True) as owner,
        login_role(db_dsn, "dxspots_reader") as reader,
    ):
        # Every row read by a reader costs 3 ms: the export of 3,000 rows takes ~9 s. The
        # reader's plan streams rows as it finds them (newest first, by the index), as it
        # would on a big table, rather than sorting all 3,000 first.
        owner.execute("ALTER TABLE spots ENABLE ROW LEVEL SECURITY")
        owner.execute(
            "CREATE FUNCTION slow_row(bigint) RETURNS boolean VOLATILE LANGUAGE sql"
            " AS 'SELECT true FROM pg_sleep(0.003)'"
        )
        owner.execute("CREATE POLICY slow ON spots FOR SELECT USING (slow_row(id))")
        login = psycopg.conninfo.conninfo_to_dict(reader)["user"]
        owner.execute(f"ALTER ROLE {login} SET enable_seqscan = off")
        owner.execute(f"ALTER ROLE {login} SET enable_bitmapscan = off")
        with api_process(reader, api_pool_size="2") as api:  # one export at a time
            target = "/v1/spots.csv?minutes=1440&limit=3000"
            sock = socket.create_connection(("127.0.0.1", api.port), timeout=20)
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            received = b""
            while len(received) < 1024 and (chunk := sock.recv(1024)):
                received += chunk
            assert received.startswith(b"HTTP/1.1 200"), received
            wait_for(lambda: copies_running(owner) == 1, 5, "the export's COPY runs")
            busy, _, _ = raw_request(api.port, "/v1/spots.csv?minutes=60&limit=5")
            assert busy == 503  # the one slot is taken
            sock.close()  # the client goes away
            took = wait_for(lambda: copies_running(owner) == 0, 5, "the COPY is cancelled")
            assert took < 3
            took = wait_for(
                lambda: raw_request(api.port, "/v1/spots.csv?minutes=60&limit=5")[0] == 200,
                5, "the export slot is free",
            )  # fmt: skip
            assert took < 2
            assert metric(api, "dxspots_api_clients_dropped_total", '{reason="left"}') == 1
            log = api.log_text()
    assert "Traceback" not in log and "Exception in ASGI" not in log


def test_connections_that_send_no_headers_are_closed(reader_dsn: str) -> None:
    with api_process(reader_dsn, api_header_timeout="1") as api:
        idle = [socket.create_connection(("127.0.0.1", api.port)) for _ in range(20)]
        trickling = [socket.create_connection(("127.0.0.1", api.port)) for _ in range(5)]
        for promise in [b"GET /v1/spots HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
                        b"POST /v1/spots HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
                        b"GET /v1/spots HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                        b"\r\n\r\n"]:  # fmt: skip
            idle.append(socket.create_connection(("127.0.0.1", api.port)))
            idle[-1].sendall(promise)  # complete headers, and a body that never comes
        stop = threading.Event()

        def trickle() -> None:  # a byte every 0.2 s, never the end of the headers
            text = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
            for byte in text:
                if stop.is_set():
                    return
                for sock in trickling:
                    with contextlib.suppress(OSError):
                        sock.send(bytes([byte]))
                time.sleep(0.2)

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            started = time.monotonic()
            for sock in idle + trickling:
                sock.settimeout(10)
                with contextlib.suppress(ConnectionResetError):  # or reset: closed
                    assert sock.recv(100) == b""  # closed by the server
            assert time.monotonic() - started < 8
            # A client that sends its request in time is served as ever, and kept alive.
            with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
                for _ in range(2):
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    answer = b""
                    while not answer.endswith(b'{"status":"ok"}'):
                        chunk = sock.recv(4096)
                        assert chunk, answer  # not closed: kept alive
                        answer += chunk
                    assert answer.startswith(b"HTTP/1.1 200")
                    time.sleep(0.5)
        finally:
            stop.set()
            for sock in idle + trickling:
                sock.close()


def test_idle_connections_cannot_use_up_the_descriptors(reader_dsn: str) -> None:
    """With 256 open files allowed, 400 idle connections once made the API refuse everyone."""
    limited = (
        "import os, resource, sys;"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256));"
        "os.execv(sys.executable, [sys.executable, '-m', 'dxspots.cli', 'api'])"
    )
    command = [sys.executable, "-c", limited]
    with api_process(reader_dsn, command, api_header_timeout="1") as api:
        idle = []
        try:
            for _ in range(400):
                idle.append(socket.create_connection(("127.0.0.1", api.port), timeout=5))
            time.sleep(0.5)
            took = wait_for(lambda: healthy(api.port), 15, "served again")
            assert took < 10
        finally:
            for sock in idle:
                sock.close()
        log = api.log_text()
    assert "only 256 open files allowed" in log


def test_a_stream_with_a_request_pipelined_behind_it_still_ends_when_its_client_goes(
    reader_dsn: str,
) -> None:
    """uvicorn marks only the newest request of a connection as disconnected."""
    with api_process(reader_dsn, api_stream_heartbeat="0.5") as api:
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", api.port))
            sock.sendall(
                b"GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            sock.close()
        wait_for(lambda: metric(api, "dxspots_api_stream_clients") == 0, 10, "streams ended")
        # WebSocket upgrades are plain requests here (no WebSocket routes), not a 500.
        upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}  # fmt: skip
        status, _, _ = raw_request(api.port, "/v1/summary", upgrade)
        assert status == 200
        # A server stopping with a stream open ends it at once, not after its grace period.
        streaming = socket.create_connection(("127.0.0.1", api.port))
        streaming.sendall(b"GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        assert streaming.recv(4096).startswith(b"HTTP/1.1 200")
        api.process.terminate()
        started = time.monotonic()
        api.process.wait(15)
        stopped_in = time.monotonic() - started
        streaming.close()
        log = api.log_text()
    assert stopped_in < 4  # a hang detector: the grace period is 5 s
    assert "Traceback" not in log and "Exception in ASGI" not in log
    assert "socket.send() raised" not in log


def test_a_large_answer_nobody_reads_does_not_keep_its_connection(db_dsn: str) -> None:
    """A JSON answer goes out in one piece: the send timeout cannot see it stall, the kernel
    (TCP_USER_TIMEOUT) does, and the answer's buffers go with the connection."""
    spots = make_spots(datetime.now(UTC), count=1200)
    store(db_dsn, [spot._replace(comment="x" * 3000) for spot in spots])
    with (
        login_role(db_dsn, "dxspots_reader") as reader,
        api_process(reader, api_send_timeout="1", api_cache_seconds="0") as api,
    ):
        server = psutil.Process(api.process.pid)

        def held() -> int:
            return sum(
                1 for c in server.net_connections("tcp")
                if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == api.port
            )  # fmt: skip

        readers = []
        for _ in range(3):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", api.port))
            sock.sendall(b"GET /v1/spots?limit=1000&days=7 HTTP/1.1\r\nHost: x\r\n\r\n")
            readers.append(sock)
        try:
            wait_for(lambda: held() >= 3, 10, "the answers are being sent")
            wait_for(lambda: held() == 0, 30, "the connections are dropped")
        finally:
            for sock in readers:
                sock.close()

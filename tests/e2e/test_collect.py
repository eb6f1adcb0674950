"""`dxspots collect` as a process: two simulated nodes at once, SIGTERM, a real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from collector.simulator import SimulatedNode
from dxspots.db.localserver import LocalServer
from dxspots.parse import parse_line
from dxspots.spot import Spot
from tests.conftest import REPO


def collector_env(dsn: str, data_dir: Path, nodes: str, **extra: str) -> dict[str, str]:
    """The environment of a collector process: this machine's, less any DXSPOTS_ setting."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    return (
        base
        | {
            "DXSPOTS_DATABASE_URL": dsn,
            "DXSPOTS_CALLSIGN": "DL1ABC",
            "DXSPOTS_DATA_DIR": str(data_dir),
            "DXSPOTS_NODES": nodes,
            "DXSPOTS_METRICS_PORT": "0",
        }
        | extra
    )


def one_node(port: int, backfill: int = 0) -> str:
    return json.dumps([{"name": "sim", "host": "127.0.0.1", "port": port, "backfill": backfill}])


def start_collect(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dxspots.cli", "collect"], env=env, cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def stored_keys(dsn: str) -> list[tuple[str, str, int, str]]:
    """The stored spots, as `key` makes them of parsed ones."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(  # type: ignore[return-value]
            "SELECT dx_call, spotter, freq_bucket, to_char(spot_time, 'HH24MI') FROM spots"
        ).fetchall()


def key(spot: Spot) -> tuple[str, str, int, str]:
    return (spot.dx_call, spot.spotter, round(spot.freq_khz * 10) // 10, f"{spot.spot_time:%H%M}")


def test_two_nodes_every_spot_once_and_sigterm_flushes(
    db_dsn: str, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    nodes = [SimulatedNode(rate=150, seed=seed) for seed in (11, 12)]
    metrics_port = free_port()
    ports = [asyncio.run_coroutine_threadsafe(n.start(), loop).result(10) for n in nodes]
    nodes_json = json.dumps(
        [
            {"name": f"sim{i}", "host": "127.0.0.1", "port": port, "backfill": 30}
            for i, port in enumerate(ports)
        ]
    )
    env = collector_env(db_dsn, tmp_path, nodes_json, DXSPOTS_METRICS_PORT=str(metrics_port))
    collector = start_collect(env)
    try:
        deadline = time.monotonic() + 30
        while min(len(n.sent) for n in nodes) < 400 and time.monotonic() < deadline:
            time.sleep(0.1)
        health = get(metrics_port, "/healthz")
        metrics = get(metrics_port, "/metrics")[1].decode()
        for node in nodes:  # stop sending; what was sent is on its way to the collector
            node.paused = True
        time.sleep(1.0)
        collector.send_signal(signal.SIGTERM)  # it must store what it has queued, then exit 0
        _, err = collector.communicate(timeout=30)
    finally:
        collector.kill()
        for node in nodes:
            asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
    assert collector.returncode == 0, err
    assert "Traceback" not in err
    assert health[0] == 200 and json.loads(health[1])["nodes_logged_in"] == ["sim0", "sim1"]
    assert 'dxspots_lines_total{node="sim0"}' in metrics
    assert 'dxspots_spots_total{result="new"}' in metrics and "dxspots_queue_depth" in metrics
    now = datetime.now(UTC)
    sent = {
        key(spot)
        for node in nodes
        for line in node.sent
        if isinstance(spot := parse_line(line, now), Spot)
    }
    with psycopg.connect(db_dsn) as conn:
        rows = conn.execute(
            "SELECT dx_call, spotter, freq_bucket, to_char(spot_time, 'HH24MI'), count(*)"
            " FROM spots GROUP BY 1, 2, 3, 4"
        ).fetchall()
        nodes_seen = {row[0] for row in conn.execute("SELECT DISTINCT node FROM spots")}
    stored = {(r[0], r[1], r[2], r[3]) for r in rows}
    assert len(sent) > 700
    assert stored == sent  # every spot sent arrived, and nothing else
    assert all(r[4] == 1 for r in rows)  # once
    assert nodes_seen == {"sim0", "sim1"}
    assert all("sh/dx 30" in n.commands for n in nodes)
    with psycopg.connect(db_dsn) as conn:
        status = conn.execute(
            "SELECT node, software, lines, spots, reconnects FROM node_status ORDER BY node"
        ).fetchall()
        per_node = dict(conn.execute("SELECT node, count(*) FROM spots GROUP BY node").fetchall())
        collectors = conn.execute(
            "SELECT collector, lines, lost_lines, spool_bytes FROM collector_status"
        ).fetchall()
        rates = conn.execute("SELECT lines_per_minute FROM node_status").fetchall()
    assert [(row[0], row[1]) for row in status] == [("sim0", "dxspider"), ("sim1", "dxspider")]
    (collector,) = collectors
    assert collector[1] == sum(row[2] for row in status) and collector[2:] == (0, 0)
    assert len(rates) == 2 and all(rate > 0 for (rate,) in rates)
    for node_name, _, lines, spots, reconnects in status:
        # every spot a node sent counts for it, stored or a duplicate of the other node's
        assert lines > 400 and spots >= per_node.get(node_name, 0) and reconnects == 0


def test_systemd_hears_ready_and_the_watchdog(
    db_dsn: str, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    import socket

    node = SimulatedNode(rate=20)
    port = asyncio.run_coroutine_threadsafe(node.start(), loop).result(10)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(20)
    env = collector_env(
        db_dsn, tmp_path, f"127.0.0.1:{port}",
        NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="400000",
    )  # fmt: skip
    collector = start_collect(env)
    try:
        messages = [notify.recv(100).decode() for _ in range(4)]
        collector.send_signal(signal.SIGTERM)
        collector.communicate(timeout=30)
        messages.append(notify.recv(100).decode())
        while "STOPPING=1" not in messages:
            messages.append(notify.recv(100).decode())
    finally:
        collector.kill()
        notify.close()
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
    assert "READY=1" in messages and messages.count("WATCHDOG=1") >= 3
    assert collector.returncode == 0


def test_collect_without_a_callsign_is_a_clear_error(db_dsn: str, tmp_path: Path) -> None:
    env = collector_env(db_dsn, tmp_path, "127.0.0.1:7300")
    del env["DXSPOTS_CALLSIGN"]
    collector = start_collect(env)
    _, err = collector.communicate(timeout=60)
    assert collector.returncode == 1
    assert "DXSPOTS_CALLSIGN is not set" in err and "Traceback" not in err


def test_health_is_503_while_no_node_is_logged_in(db_dsn: str, tmp_path: Path) -> None:
    metrics_port, dead_port = free_port(), free_port()  # nothing listens on dead_port
    env = collector_env(
        db_dsn, tmp_path, f"127.0.0.1:{dead_port}", DXSPOTS_METRICS_PORT=str(metrics_port)
    )
    collector = start_collect(env)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, body = get(metrics_port, "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert status == 503 and json.loads(body)["status"] == "unavailable"
        assert get(metrics_port, "/nope")[0] == 404
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.communicate(timeout=30)
    assert collector.returncode == 0


def test_sigterm_under_full_load_stores_the_queue_and_exits(
    db_dsn: str, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # asyncio.wait_for once swallowed the cancellation of a busy session, and the collector
    # never exited; a node sending flat out reproduces that race.
    node = SimulatedNode(rate=0)
    port = asyncio.run_coroutine_threadsafe(node.start(), loop).result(10)
    env = collector_env(db_dsn, tmp_path, f"127.0.0.1:{port}")
    collector = start_collect(env)
    try:
        time.sleep(4)
        started = time.monotonic()
        collector.send_signal(signal.SIGTERM)
        _, err = collector.communicate(timeout=30)
        took = time.monotonic() - started
    finally:
        collector.kill()
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
    assert collector.returncode == 0, err
    assert took < 15
    with psycopg.connect(db_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM spots").fetchone()
    assert row is not None and row[0] > 1000


def test_kill_9_with_the_database_down_then_restart_replays_the_spool(
    own_server: LocalServer, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    node = SimulatedNode(rate=300)
    port = asyncio.run_coroutine_threadsafe(node.start(), loop).result(10)
    own_server.stop()  # the database is away when the collector starts
    env = collector_env(own_server.dsn, tmp_path, one_node(port))
    spool = tmp_path / "spool" / "batches.jsonl"
    first = start_collect(env)
    second: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 30
        while (not spool.exists() or spool.stat().st_size < 50_000) and time.monotonic() < deadline:
            time.sleep(0.1)
        first.kill()  # kill -9: no flush, no goodbye
        first.communicate(timeout=10)
        spooled = [
            line for batch in spool.read_text(encoding="utf-8").splitlines()
            for line, _, _ in json.loads(batch)
        ]  # fmt: skip
        own_server.start()
        second = start_collect(env)
        deadline = time.monotonic() + 30
        while spool.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
    finally:
        for process in (first, second):
            if process is not None:
                process.kill()
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
    assert second is not None and second.returncode == 0, err
    assert not spool.exists()  # replayed and cleared
    now = datetime.now(UTC)
    expected = {key(s) for line in spooled if isinstance(s := parse_line(line, now), Spot)}
    rows = stored_keys(own_server.dsn)
    assert len(expected) > 100
    assert expected <= set(rows)  # every spooled spot is in the database


def test_database_stopped_and_restarted_mid_stream_loses_nothing(
    own_server: LocalServer, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    node = SimulatedNode(rate=300)
    port = asyncio.run_coroutine_threadsafe(node.start(), loop).result(10)
    env = collector_env(own_server.dsn, tmp_path, one_node(port))
    collector = start_collect(env)
    spool = tmp_path / "spool" / "batches.jsonl"
    try:
        time.sleep(2)
        own_server.stop()  # mid-stream
        deadline = time.monotonic() + 20
        while not spool.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        own_server.start()
        time.sleep(2)
        node.paused = True  # stop sending, let the collector catch up, then compare
        deadline = time.monotonic() + 30
        while spool.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        collector.send_signal(signal.SIGTERM)
        _, err = collector.communicate(timeout=30)
    finally:
        collector.kill()
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
    assert collector.returncode == 0, err
    assert "spooling" in err and not spool.exists()
    now = datetime.now(UTC)
    sent = {key(s) for line in node.sent if isinstance(s := parse_line(line, now), Spot)}
    rows = stored_keys(own_server.dsn)
    assert len(sent) > 1000
    assert set(rows) == sent


def test_back_fill_after_a_reconnect_closes_the_gap(
    db_dsn: str, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    node = SimulatedNode(rate=50)
    port = asyncio.run_coroutine_threadsafe(node.start(), loop).result(10)
    env = collector_env(db_dsn, tmp_path, one_node(port, backfill=500))
    collector = start_collect(env)
    try:
        deadline = time.monotonic() + 20
        while "sh/dx 500" not in node.commands and time.monotonic() < deadline:
            time.sleep(0.1)  # logged in, start-up commands and back-fill done
        time.sleep(0.5)
        loop.call_soon_threadsafe(node.disconnect_all)
        time.sleep(0.2)
        gap = asyncio.run_coroutine_threadsafe(_away(node, 20), loop).result(10)
        deadline = time.monotonic() + 30
        while node.commands.count("sh/dx 500") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the collector reconnected and asked for the history
        time.sleep(1.5)
        node.paused = True
        time.sleep(1)
        collector.send_signal(signal.SIGTERM)
        _, err = collector.communicate(timeout=30)
    finally:
        collector.kill()
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
    assert collector.returncode == 0, err
    now = datetime.now(UTC)
    missed = {key(s) for line in gap if isinstance(s := parse_line(line, now), Spot)}
    rows = stored_keys(db_dsn)
    assert node.commands.count("sh/dx 500") == 2 and len(missed) >= 15
    assert missed <= set(rows)  # every spot made while away came in through sh/dx


async def _away(node: SimulatedNode, count: int) -> list[str]:
    return node.spots_while_away(count)

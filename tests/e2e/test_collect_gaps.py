"""`dxspots collect` as a process: back-fill reaches back to the newest stored spot after a
`kill -9`, and a gap the node's history cannot cover is recorded where a user looks (the
nodes query behind the Collector page and the API, and `/metrics`)."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from collector.simulator import SimulatedNode
from dxspots.parse import parse_line
from dxspots.queries import fetch, plan
from dxspots.spot import SolarReport, Spot
from tests.e2e.test_collect import (
    collector_env,
    free_port,
    get,
    key,
    one_node,
    start_collect,
    stored_keys,
)
from tests.spotset import store


def wait(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def scrape(port: int) -> bytes:
    try:
        return get(port, "/metrics")[1]
    except OSError:  # not listening yet
        return b""


def spot_keys(lines: list[str]) -> set[tuple[str, str, int, str]]:
    now = datetime.now(UTC)
    return {key(s) for line in lines if isinstance(s := parse_line(line, now), Spot)}


def test_after_kill_9_back_fill_reaches_the_newest_stored_spot(
    db_dsn: str, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    node = SimulatedNode(rate=200)
    port = asyncio.run_coroutine_threadsafe(node.start(), loop).result(10)
    env = collector_env(db_dsn, tmp_path, one_node(port, backfill=100))
    first = start_collect(env)
    try:
        wait(lambda: len(node.sent) > 600)
        first.send_signal(signal.SIGKILL)  # what was queued and not yet stored is gone
        first.wait(10)
        away = asyncio.run_coroutine_threadsafe(_away(node, 100), loop).result(10)
        sent_before = [line for line in node.sent if line.startswith("DX de ")]
        second = start_collect(env)
        try:
            wait(lambda: node.commands.count("sh/dx 500") == 1)
            time.sleep(2)
            node.paused = True
            time.sleep(1)
            second.send_signal(signal.SIGTERM)
            _, err = second.communicate(timeout=30)
        finally:
            second.kill()
    finally:
        first.kill()
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
    assert second.returncode == 0, err
    stored = set(stored_keys(db_dsn))
    # Every spot the node made, to the killed collector or while nobody was connected.
    assert spot_keys(sent_before) | spot_keys(away) <= stored
    assert "back-fill" not in err or "missing" not in err  # no gap was reported


def test_a_gap_the_history_cannot_cover_is_recorded_and_shown(
    db_dsn: str, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    stored_last = now - timedelta(minutes=60)
    line = (
        f"DX de DL1ABC:    14025.0  VK9XX        up 2                           {stored_last:%H%M}Z"
    )
    spot = parse_line(line, stored_last + timedelta(seconds=20), "sim")
    assert isinstance(spot, Spot)
    store(db_dsn, [spot])
    node = SimulatedNode(rate=2)
    port = asyncio.run_coroutine_threadsafe(node.start(), loop).result(10)
    asyncio.run_coroutine_threadsafe(_away(node, 1000, now - timedelta(minutes=30)), loop).result(
        10
    )
    metrics = free_port()
    env = collector_env(db_dsn, tmp_path, one_node(port, backfill=100),
                        DXSPOTS_METRICS_PORT=str(metrics))  # fmt: skip
    collector = start_collect(env)
    try:
        wait(lambda: b'dxspots_backfill_gaps_total{node="sim"} 1.0' in scrape(metrics))
        with psycopg.connect(db_dsn, row_factory=dict_row) as conn:
            wait(lambda: conn.execute("SELECT count(*) AS n FROM collector_gaps").fetchone()["n"])
        collector.send_signal(signal.SIGTERM)
        _, err = collector.communicate(timeout=30)
    finally:
        collector.kill()
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
    assert collector.returncode == 0, err
    assert "about" in err and "spots between" in err and "are missing" in err
    with psycopg.connect(db_dsn, row_factory=dict_row) as conn:
        (row,) = fetch(conn, plan("nodes", {}, now=datetime.now(UTC))).items
    assert row["node"] == "sim" and row["gaps_24h"] == 1 and row["gaps"] == 1
    assert row["last_gap_from"] == stored_last
    assert now - timedelta(minutes=16) <= row["last_gap_to"] <= now - timedelta(minutes=14)
    assert 1300 <= row["missed_24h"] <= 1700 and row["missed"] == row["missed_24h"]


async def _away(node: SimulatedNode, count: int, since: datetime | None = None) -> list[str]:
    return node.spots_while_away(count, since)


def test_wwv_and_wcy_reports_made_while_away_are_asked_back_once(
    db_dsn: str, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    node = SimulatedNode(rate=20)
    port = asyncio.run_coroutine_threadsafe(node.start(), loop).result(10)
    away = asyncio.run_coroutine_threadsafe(_reports(node), loop).result(10)
    env = collector_env(db_dsn, tmp_path, one_node(port, backfill=50))
    collector = start_collect(env)
    try:
        wait(lambda: node.commands.count("sh/wcy") == 1)
        loop.call_soon_threadsafe(node.disconnect_all)  # and again: the same reports come back
        wait(lambda: node.commands.count("sh/wcy") == 2)
        time.sleep(1.5)
        collector.send_signal(signal.SIGTERM)
        _, err = collector.communicate(timeout=30)
    finally:
        collector.kill()
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
    assert collector.returncode == 0, err
    assert node.commands[:5] == ["set/page 0", "set/nobeep", "sh/dx 50", "sh/wwv", "sh/wcy"]
    now = datetime.now(UTC)
    wanted = {(r.kind, r.report_time, r.reporter, r.sfi) for line in away
              if isinstance(r := parse_line(line, now), SolarReport)}  # fmt: skip
    assert len(wanted) == 2
    with psycopg.connect(db_dsn) as conn:
        rows = conn.execute(
            "SELECT kind, report_time, reporter, sfi, count(*) OVER (PARTITION BY kind,"
            " report_time, reporter) FROM solar_reports"
        ).fetchall()
    assert wanted <= {row[:4] for row in rows}
    assert all(row[4] == 1 for row in rows)  # each report once, however often it came


async def _reports(node: SimulatedNode) -> list[str]:
    return node.reports_while_away()

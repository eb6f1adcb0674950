"""Finding 4 of issue 11: `/healthz` said ok while every batch was being lost.

The attack: a small spool cap and the database made unreachable (a TCP proxy in front of a
real PostgreSQL stops forwarding) until the spool cannot take the next batch and lines are
lost. `/healthz` must answer 503 and say why, systemd's STATUS= must say it too, and both must
turn ok again only after the database is back and the loss window has passed. The Collector
page shows "losing spots" and "spool full" per collector.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from collector.app import Collector
from collector.sdnotify import Notifier
from collector.simulator import SimulatedNode
from collector.spool import Spool
from dxspots.enrich import Enricher
from dxspots.settings import NodeConfig
from tests.conftest import REPO
from tests.e2e.apiprocess import free_port

SPOOL_CAP = 30_000
"""Bytes: a few batches of the simulated node's lines."""
LOSS_WINDOW = 3.0


class Proxy:
    """Forward 127.0.0.1:<port> to the database; `cut` drops every connection and refuses new
    ones (accepts and closes them at once) until `mend`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.cut_off = False
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()

    def cut(self) -> None:
        self.cut_off = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def mend(self) -> None:
        self.cut_off = False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.transport.abort()


def healthz(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:  # not listening yet
        return 0, {}


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.1)


class NotifyListener:
    """systemd's side of sd_notify: a datagram socket collecting every message."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="dxn"))  # short: AF_UNIX paths are
        self.path = str(self.folder / "notify")  # limited to 108 bytes
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._done.is_set():
            with contextlib.suppress(TimeoutError):
                self.messages.append(self.sock.recv(4096).decode())

    def statuses(self) -> list[str]:
        return [m.removeprefix("STATUS=") for m in list(self.messages) if m.startswith("STATUS=")]

    def close(self) -> None:
        self._done.set()
        self._thread.join(5)
        self.sock.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def test_lost_lines_make_health_503_until_the_window_passes_with_the_database_back(
    db_dsn: str, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    info = psycopg.conninfo.conninfo_to_dict(db_dsn)
    proxy = Proxy(str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432))
    proxy_port = asyncio.run_coroutine_threadsafe(proxy.start(), loop).result(10)
    proxied = psycopg.conninfo.make_conninfo(
        **(info | {"host": "127.0.0.1", "port": str(proxy_port)})  # type: ignore[arg-type]
    )
    node = SimulatedNode(rate=300)
    node_port = asyncio.run_coroutine_threadsafe(node.start(), loop).result(10)
    notify = NotifyListener()
    metrics_port = free_port()
    collector = Collector(
        [NodeConfig(name="sim", host="127.0.0.1", port=node_port, backfill=0)], "DL1ABC",
        lambda: psycopg.connect(proxied, connect_timeout=3), Enricher(None),
        Spool(tmp_path / "spool" / "batches.jsonl", cap_bytes=SPOOL_CAP),
        Notifier(notify.path), metrics_address=("127.0.0.1", metrics_port), name="sec-test",
        loss_window=LOSS_WINDOW, status_seconds=0.5,
    )  # fmt: skip
    collector.pipeline.retry_seconds = 0.5  # replay soon after the database is back
    collector_loop = asyncio.new_event_loop()
    runner = threading.Thread(
        target=collector_loop.run_until_complete, args=(collector.run(),), daemon=True
    )
    runner.start()
    try:
        wait_until(lambda: healthz(metrics_port)[0] == 200, 30, "healthy at first")

        proxy.cut()  # the database is away: batches go to the spool, then are lost
        wait_until(lambda: healthz(metrics_port)[1]["lost_lines"] > 0, 30, "lines lost")
        status, body = healthz(metrics_port)
        assert status == 503 and body["status"] == "unavailable"
        assert body["storage"] == "spool full" and body["lost_lines_recent"] > 0
        assert any("lines lost in the last 3 s" in reason for reason in body["reasons"])
        assert any("spool cannot take the next batch" in r for r in body["reasons"])
        wait_until(lambda: any("lines lost" in s for s in notify.statuses()), 10, "STATUS=")
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as answer:
            metrics = answer.read().decode()
        assert "dxspots_spool_full 1.0" in metrics

        time.sleep(LOSS_WINDOW + 0.5)  # longer than the window: still losing, still 503
        status, body = healthz(metrics_port)
        assert status == 503 and body["lost_lines_recent"] > 0

        proxy.mend()  # the database is back: the spool is replayed, nothing more is lost
        wait_until(lambda: healthz(metrics_port)[1]["storage"] == "database", 30, "replayed")
        last_lost = datetime.fromisoformat(healthz(metrics_port)[1]["last_lost_at"])
        wait_until(lambda: healthz(metrics_port)[0] == 200, 30, "healthy again")
        status, body = healthz(metrics_port)
        # ok only once no loss is within the window
        assert datetime.now(UTC) >= last_lost + timedelta(seconds=LOSS_WINDOW)
        assert body["status"] == "ok" and body["reasons"] == [] and body["lost_lines"] > 0
        wait_until(lambda: notify.statuses()[-1].startswith("ok:"), 10, "STATUS=ok")
        # What `systemctl status` shows: nodes of those configured, spots, where they go.
        assert re.fullmatch(r"ok: 1 of 1 node\(s\) logged in, [\d,]+ lines received and"
                            r" [\d,]+ spots stored in the last minute, storing to the database",
                            notify.statuses()[-1])  # fmt: skip
        assert any(s.startswith("unavailable: ") and s.endswith("SPOOL FULL")
                   for s in notify.statuses())  # fmt: skip

        def reported() -> tuple[Any, ...] | None:
            with psycopg.connect(db_dsn) as conn:
                return conn.execute(
                    "SELECT lost_lines, lost_at, spool_cap_bytes, spool_full FROM"
                    " collector_status WHERE collector = 'sec-test' AND lost_at IS NOT NULL"
                ).fetchone()

        wait_until(lambda: reported() is not None, 10, "the status row with the loss")
        row = reported()
        assert row is not None and row[0] > 0 and row[2] == SPOOL_CAP
    finally:
        collector_loop.call_soon_threadsafe(collector.stop)
        runner.join(30)
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(10)
        asyncio.run_coroutine_threadsafe(proxy.stop(), loop).result(10)
        notify.close()
    assert not runner.is_alive()
    unhealthy = [i for i, s in enumerate(notify.statuses()) if "lines lost" in s]
    assert unhealthy and any(s.startswith("ok:") for s in notify.statuses()[unhealthy[-1] :])


def collector_page(dsn: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    for name in ("DXSPOTS_DATABASE_URL", "DXSPOTS_READ_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DXSPOTS_READ_DATABASE_URL", dsn)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    at.switch_page("views/collector.py").run()
    return at


def test_the_collector_page_says_which_collector_is_losing_spots(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(db_dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO node_status (node, host, port, logged_in, updated_at)"
            " VALUES ('rbn', '127.0.0.1', 7000, true, now())"
        )
        admin.execute(
            "INSERT INTO collector_status (collector, started_at, spool_bytes, lost_lines,"
            " spool_cap_bytes, spool_full, lost_at) VALUES"
            " ('a-losing', now(), 1040000, 13271, 1048576, true, now() - '10s'::interval),"
            " ('b-full', now(), 1040000, 0, 1048576, true, NULL),"
            " ('c-lost-long-ago', now(), 0, 50, 1048576, false, now() - '2h'::interval),"
            " ('d-ok', now(), 0, 0, 1048576, false, NULL)"
        )
    at = collector_page(db_dsn, monkeypatch)
    assert not at.exception
    collectors = at.dataframe[1].value
    assert dict(zip(collectors["collector"], collectors["state"], strict=True)) == {
        "a-losing": "losing spots (spool full)",
        "b-full": "spool full",
        "c-lost-long-ago": "ok",
        "d-ok": "ok",
    }
    assert list(collectors["spool"])[:2] == ["1.0 of 1.0 MB"] * 2
    assert len(at.error) == 1 and "Spots are being lost" in at.error[0].value

    with psycopg.connect(db_dsn, autocommit=True) as admin:
        admin.execute("DELETE FROM collector_status WHERE collector = 'a-losing'")
    at = collector_page(db_dsn, monkeypatch)
    assert len(at.error) == 1 and "spool is full" in at.error[0].value

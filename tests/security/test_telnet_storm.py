"""Finding 7 of issue 11: a telnet negotiation storm from one node blocked the collector.

The attack: a hostile node (a plain asyncio server on 127.0.0.1) floods IAC DO/WILL/WONT at
the collector for a few seconds on every connection it gets, then trickles negotiation that
telnetlib3 warns about below the flood bound, and sends a spot behind a command cut short (the
cut command eats the spot's first byte). Beside it a well-behaved simulated node keeps
sending. The storm node must be disconnected (and retried after the back-off), the other
node's lines must keep arriving, `/healthz` must answer throughout, the log must stay small,
and the spot after the storm must be stored or kept as a rejected line, never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from collector.logrepeats import RepeatFilter
from collector.negotiation import MAX_COMMANDS_PER_SECOND
from collector.pipeline import GARBLED
from collector.simulator import SimulatedNode
from tests.e2e.test_collect import collector_env, free_port, get, start_collect

IAC, WILL, WONT, DO = 255, 251, 252, 253
LOGOUT = 18  # telnetlib3 warns "Server sent WONT LOGOUT unsolicited" for each one
STORM_SECONDS = 3.0
TRICKLE_SECONDS = 1.5


class HostileNode:
    """Floods negotiation on every connection until `STORM_SECONDS` after the first, then,
    on the next connection, trickles warned-about commands below the bound and sends a spot
    behind a cut-short command (and a clean one after it)."""

    def __init__(self) -> None:
        self.storm_until: float | None = None
        self.connections = 0
        self.flood_bytes = 0
        self.cut_off = 0
        """Connections the collector dropped in the middle of the flood."""
        self.spots: list[str] = []
        self._server: asyncio.Server | None = None
        self._closing = asyncio.Event()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.close()
        await asyncio.sleep(0.1)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            writer.write(b"login: ")
            await reader.readline()
            writer.write(b"Hello DL1ABC, this is GB7BAD\r\nrunning DXSpider V1.57\r\n")
            await writer.drain()
            loop = asyncio.get_running_loop()
            if self.storm_until is None:
                self.storm_until = loop.time() + STORM_SECONDS
            if loop.time() < self.storm_until:
                await self._flood(writer, self.storm_until)
            else:
                await self._trickle_then_spot(writer)
            await self._closing.wait()  # idle until the test ends
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _flood(self, writer: asyncio.StreamWriter, until: float) -> None:
        rng = random.Random(7)
        chunk = bytes(b for _ in range(12_000) for b in (IAC, rng.choice((DO, WILL, WONT)),
                                                         rng.randrange(1, 40)))  # fmt: skip
        loop = asyncio.get_running_loop()
        try:
            while loop.time() < until:
                writer.write(chunk)
                await writer.drain()
                self.flood_bytes += len(chunk)
        except ConnectionError:
            self.cut_off += 1
            raise

    async def _trickle_then_spot(self, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + TRICKLE_SECONDS
        while loop.time() < until:  # about half the bound: allowed, but each one warned about
            writer.write(bytes([IAC, WONT, LOGOUT]) * (MAX_COMMANDS_PER_SECOND // 20))
            await writer.drain()
            await asyncio.sleep(0.1)
        now = datetime.now(UTC)
        for call in ("DL1XYZ", "DL1XYW"):
            self.spots.append(f"DX de K1ABC:     14025.0  {call}       cq  {now:%H%M}Z")
        # A DO without its option: the spot's "D" is taken as the option, "X de ..." is left.
        writer.write(bytes([IAC, DO]) + self.spots[0].encode() + b"\r\n")
        writer.write(self.spots[1].encode() + b"\r\n")
        await writer.drain()


def lines_of(metrics: str, node: str) -> float:
    match = re.search(rf'^dxspots_lines_total{{node="{node}"}} (\S+)$', metrics, re.M)
    return float(match.group(1)) if match else 0.0


def test_a_negotiation_storm_is_cut_off_and_costs_the_others_nothing(
    db_dsn: str, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    hostile, good = HostileNode(), SimulatedNode(rate=50)
    bad_port = asyncio.run_coroutine_threadsafe(hostile.start(), loop).result(10)
    good_port = asyncio.run_coroutine_threadsafe(good.start(), loop).result(10)
    nodes = json.dumps([
        {"name": "bad", "host": "127.0.0.1", "port": bad_port, "backfill": 0},
        {"name": "sim", "host": "127.0.0.1", "port": good_port, "backfill": 0},
    ])  # fmt: skip
    metrics_port = free_port()
    collector = start_collect(
        collector_env(db_dsn, tmp_path, nodes, DXSPOTS_METRICS_PORT=str(metrics_port))
    )
    health: list[int] = []
    gaps: list[float] = []
    err = ""
    try:
        deadline = time.monotonic() + 30
        while hostile.storm_until is None or hostile.flood_bytes == 0:
            assert time.monotonic() < deadline, "the storm did not start"
            time.sleep(0.05)
        # During the storm: /healthz answers, and the good node's lines keep coming.
        storm_end = time.monotonic() + STORM_SECONDS
        seen, last_new = -1.0, time.monotonic()
        while time.monotonic() < storm_end:
            health.append(get(metrics_port, "/healthz")[0])  # 5 s timeout: raises on a hang
            count = lines_of(get(metrics_port, "/metrics")[1].decode(), "sim")
            if count > seen:
                if seen >= 0:
                    gaps.append(time.monotonic() - last_new)
                seen, last_new = count, time.monotonic()
            time.sleep(0.2)

        def kept() -> tuple[list[str], list[tuple[str, str]]]:
            with psycopg.connect(db_dsn) as conn:
                spots = conn.execute("SELECT dx_call FROM spots WHERE node = 'bad'").fetchall()
                rejects = conn.execute(
                    "SELECT reason, raw FROM rejected_lines WHERE node = 'bad'"
                ).fetchall()
            return [s[0] for s in spots], [(r[0], r[1]) for r in rejects]

        deadline = time.monotonic() + 40
        while "DL1XYW" not in kept()[0]:  # the clean spot behind the cut one is stored
            assert time.monotonic() < deadline, "the spots after the storm did not arrive"
            time.sleep(0.2)
        spots, rejects = kept()
    finally:
        collector.send_signal(signal.SIGTERM)
        with contextlib.suppress(Exception):
            _, err = collector.communicate(timeout=30)
        collector.kill()
        asyncio.run_coroutine_threadsafe(hostile.stop(), loop).result(10)
        asyncio.run_coroutine_threadsafe(good.stop(), loop).result(10)
    assert collector.returncode == 0, err
    # The storm node was dropped mid-flood, more than once, and said so.
    assert hostile.cut_off >= 1 and hostile.connections >= hostile.cut_off + 1
    assert re.search(r"bad: telnet negotiation flood: \d+ commands within one second", err)
    # Health answered all along; the good node's lines kept coming (a hang detector, not a
    # speed target: the storm once held them for 30 s).
    assert len(health) >= 5 and set(health) <= {200, 503}
    assert len(gaps) >= 3 and max(gaps) < 5
    # The spot behind the cut-short command is kept, garbled, as a rejected line: not dropped.
    assert "DL1XYZ" in spots or any(
        reason == GARBLED and raw.startswith("X de K1ABC") and "DL1XYZ" in raw
        for reason, raw in rejects
    ), (spots, rejects)
    # The log stays small: telnetlib3's warning per odd command is rate-limited.
    records = err.splitlines()
    assert len(records) < 100, len(records)
    warned = [r for r in records if "WARNING telnetlib3.stream_writer: Server sent WONT" in r]
    assert 1 <= len(warned) <= 5
    assert re.search(r"INFO collector.app: \d+ more log lines like this were suppressed: "
                     r"telnetlib3.stream_writer: Server sent WONT LOGOUT", err)  # fmt: skip
    assert "Traceback" not in err


def test_repeated_log_lines_pass_a_few_then_say_how_many_were_suppressed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("tests.security.storm")
    repeats = RepeatFilter(interval=0.3, burst=3)
    logger.addFilter(repeats)
    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            for option in range(50):
                logger.warning("Server sent WONT %s unsolicited", option)
            logger.warning("another kind of line")
            time.sleep(0.35)
            logger.warning("Server sent WONT %s unsolicited", 99)
            for _ in range(4):
                logger.warning("another kind of line")
            pending = repeats.flush()
    finally:
        logger.removeFilter(repeats)
    messages = [record.getMessage() for record in caplog.records]
    assert messages[:4] == [
        "Server sent WONT 0 unsolicited", "Server sent WONT 1 unsolicited",
        "Server sent WONT 2 unsolicited", "another kind of line",
    ]  # fmt: skip
    assert messages[4] == "Server sent WONT 99 unsolicited (47 more like this suppressed)"
    assert messages[5:] == ["another kind of line"] * 3  # 3 in this interval, then counted
    assert pending == [("tests.security.storm", "another kind of line", 1)]

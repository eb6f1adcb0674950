"""The simulated node over a real socket on 127.0.0.1, read by a telnetlib3 client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import telnetlib3

from collector.simulator import Faults, SimulatedNode
from dxspots.parse import parse_line
from dxspots.spot import Announcement, SolarReport, Spot

Session = tuple[Any, Any]


async def connect(port: int) -> Session:
    return await telnetlib3.open_connection(
        "127.0.0.1", port, encoding=False, force_binary=True, connect_maxwait=0.2
    )


async def login(port: int, call: str = "DL1ABC") -> Session:
    reader, writer = await connect(port)
    prompt = await asyncio.wait_for(reader.readuntil(b"login: "), 5)
    assert prompt.endswith(b"login: ")  # a prompt without a newline, as DXSpider sends it
    writer.write(call.encode() + b"\r\n")
    return reader, writer


async def read_lines(reader: Any, count: int) -> list[bytes]:
    return [await asyncio.wait_for(reader.readline(), 5) for _ in range(count)]


def run(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(coro(), 60))


@pytest.fixture
def node() -> SimulatedNode:
    return SimulatedNode(rate=500)


def test_login_banner_and_a_varied_stream_that_parses(node: SimulatedNode) -> None:
    async def scenario() -> None:
        port = await node.start()
        reader, writer = await login(port)
        lines = await read_lines(reader, 400)
        writer.close()
        await node.stop()
        assert node.logins == ["DL1ABC"]
        assert b"dxspider >" in lines[4]  # banner, then the prompt
        stream = lines[5:]
        assert all(line.endswith(b"\r\n") for line in stream)
        assert any(line.endswith(b"\x07\x07\r\n") for line in stream)
        text = [line.decode("latin-1") for line in stream]
        assert [t.rstrip("\x07\r\n") for t in text] == node.sent[: len(text)]
        records = [parse_line(t, datetime.now(UTC), "sim") for t in text]
        spots = [r for r in records if isinstance(r, Spot)]
        assert len(spots) > 350
        assert {s.source for s in spots} == {"dx", "rbn"}
        assert any(not s.comment.isascii() for s in spots)  # Latin-1 comments arrive intact
        assert any(isinstance(r, (SolarReport, Announcement)) for r in records)

    run(scenario)


def test_show_dx_answers_with_history_rows_that_match_the_live_spots(node: SimulatedNode) -> None:
    async def scenario() -> None:
        port = await node.start()
        reader, writer = await login(port)
        await read_lines(reader, 60)
        writer.write(b"sh/dx 20\r\n")
        lines = await read_lines(reader, 200)
        writer.close()
        await node.stop()
        now = datetime.now(UTC)
        rows = [parse_line(line.decode("latin-1"), now) for line in lines]
        history = [r for r in rows if isinstance(r, Spot) and r.source == "shdx"]
        assert len(history) == 20 and node.commands == ["sh/dx 20"]
        live = {
            (s.spot_time, s.dx_call, s.spotter, s.freq_khz)
            for t in node.sent
            if isinstance(s := parse_line(t, now), Spot) and s.source != "shdx"
        }
        assert all((h.spot_time, h.dx_call, h.spotter, h.freq_khz) in live for h in history)

    run(scenario)


def test_refused_login_closes_the_connection() -> None:
    async def scenario() -> None:
        node = SimulatedNode(faults=Faults(refuse_login=True))
        port = await node.start()
        reader, _ = await login(port)
        answer = await asyncio.wait_for(reader.read(1000), 5)
        assert b"not allowed" in answer
        assert await asyncio.wait_for(reader.read(1000), 5) == b""  # closed
        await node.stop()

    run(scenario)


def test_drop_fault_closes_after_the_given_time() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=50, faults=Faults(drop_every=0.5))
        port = await node.start()
        reader, _ = await login(port)
        loop = asyncio.get_running_loop()
        start = loop.time()
        while await asyncio.wait_for(reader.read(4096), 5):
            pass
        assert 0.4 < loop.time() - start < 3
        await node.stop()

    run(scenario)


def test_garbage_and_endless_line_faults() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=0, faults=Faults(garbage_every=5, endless_line_after=20))
        port = await node.start()
        reader, writer = await login(port)
        received = b""
        while len(received) < 1_100_000:
            received += await asyncio.wait_for(reader.read(65536), 5)
        writer.close()
        await node.stop()
        assert node.garbage_sent >= 3
        assert b"X" * 1_000_000 in received

    run(scenario)


def test_the_stream_ends_when_the_client_leaves() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=200)
        port = await node.start()
        reader, writer = await login(port)
        await read_lines(reader, 20)
        writer.close()
        await asyncio.sleep(0.3)  # the close reaches the node
        after_close = len(node.sent)
        await asyncio.sleep(0.5)  # at 200 a second, 100 more lines if it went on
        await node.stop()
        assert len(node.sent) == after_close  # `sent` is what a client could have received

    run(scenario)

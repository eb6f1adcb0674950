"""A collector node session against the simulated node, over 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest

from collector.session import Backoff, NodeSession
from collector.simulator import BANNER as BANNER_LINES
from collector.simulator import Faults, SimulatedNode
from dxspots.settings import NodeConfig


def run(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(coro(), 60))


class Sink:
    def __init__(self) -> None:
        self.lines: list[str] = []

    async def __call__(self, line: str, received_at: datetime, node: str) -> None:
        self.lines.append(line.rstrip("\r\n\x07"))


async def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def session_for(port: int, sink: Sink, **node: object) -> NodeSession:
    config = NodeConfig(name="sim", host="127.0.0.1", port=port, **node)  # type: ignore[arg-type]
    # Back-off constants shortened so that reconnects happen within the test.
    return NodeSession(config, "DL1ABC", sink, backoff=Backoff(fast=0.05, cap=0.2, refused=0.5))


def test_logs_in_runs_start_commands_and_back_fills() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=200)
        port = await node.start()
        sink = Sink()
        session = session_for(port, sink, backfill=25)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: len(node.sent) > 300 and "sh/dx 25" in node.commands)
        await wait_for(lambda: all(line in sink.lines for line in node.sent[:300]))
        task.cancel()
        await node.stop()
        assert node.logins == ["DL1ABC"]
        assert node.commands[:3] == ["set/page 0", "set/nobeep", "sh/dx 25"]
        assert session.status.software == "dxspider" and session.status.reconnects == 0
        assert any(not line.isascii() for line in sink.lines)  # Latin-1 decoded, not replaced

    run(scenario)


def test_user_commands_replace_the_defaults() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=50)
        port = await node.start()
        task = asyncio.create_task(
            session_for(port, Sink(), commands=("set/skimmer",), backfill=0).run()
        )
        await wait_for(lambda: node.commands == ["set/skimmer"])
        task.cancel()
        await node.stop()

    run(scenario)


def test_reconnects_after_the_node_drops_the_connection() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=100, faults=Faults(drop_every=0.4))
        port = await node.start()
        sink = Sink()
        session = session_for(port, sink, backfill=0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: len(node.logins) >= 3)
        task.cancel()
        await node.stop()
        assert session.status.reconnects >= 2
        assert "closed" in (session.status.last_error or "")

    run(scenario)


def test_a_stalled_node_is_reconnected() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=100, faults=Faults(stall_after=0.3))
        port = await node.start()
        session = session_for(port, Sink(), backfill=0, stall_seconds=0.5)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: len(node.logins) >= 2)
        task.cancel()
        await node.stop()
        assert "nothing received" in (session.status.last_error or "")

    run(scenario)


def test_a_refused_login_waits_long_and_is_reported() -> None:
    async def scenario() -> None:
        node = SimulatedNode(faults=Faults(refuse_login=True))
        port = await node.start()
        session = session_for(port, Sink(), backfill=0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: session.status.last_error is not None)
        await asyncio.sleep(0.3)  # shorter than the refused back-off (0.5 s): no second try
        task.cancel()
        await node.stop()
        assert node.logins == ["DL1ABC"]
        assert "login refused" in (session.status.last_error or "")

    run(scenario)


def test_an_endless_line_is_dropped_and_the_stream_goes_on() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=0, faults=Faults(endless_line_after=10))
        port = await node.start()
        sink = Sink()
        session = session_for(port, sink, backfill=0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: len(sink.lines) > 200)
        task.cancel()
        await node.stop()
        assert session.status.reconnects == 0
        assert sum(len(line) > 4096 for line in sink.lines) == 1  # one cut line, then on

    run(scenario)


CC_BANNER = ("Greetings from the AE5E CC Cluster in Thief River Falls MN USA",
             "Running CC Cluster software version 3.101b")  # fmt: skip
RBN_BANNER = ("Welcome to the Reverse Beacon Network.",)
AR_BANNER = ("Welcome to K3LR AR-Cluster node Telnet port!",)


@pytest.mark.parametrize(
    ("prompt", "banner", "software", "commands"),
    [
        ("Please enter your call: ", CC_BANNER, "cc-cluster",
         ["set/nobeep", "sh/dx 10", "sh/wwv"]),
        ("Please enter your call: ", RBN_BANNER, "rbn", []),
        ("callsign: ", AR_BANNER, "ar-cluster", ["set/page 0", "sh/dx 10", "sh/wwv"]),
    ],
)
def test_other_node_software_is_recognised(
    prompt: str, banner: tuple[str, ...], software: str, commands: list[str]
) -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=50, login_prompt=prompt, banner=banner)
        port = await node.start()
        session = session_for(port, Sink(), backfill=10)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: session.status.software is not None and len(node.sent) > 150)
        if commands:  # after back-fill: at once, or after 5 quiet seconds for an empty one
            await wait_for(lambda: commands[-1] in node.commands, seconds=15)
        task.cancel()
        await node.stop()
        assert node.logins == ["DL1ABC"] and session.status.software == software
        assert node.commands == commands  # the RBN has no history to ask for

    run(scenario)


@pytest.mark.parametrize(("given", "refused"), [("s3cret", False), ("wrong", True)])
def test_password_is_sent_when_asked(given: str, refused: bool) -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=50, password="s3cret")
        port = await node.start()
        session = session_for(port, Sink(), backfill=0, password=given)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: len(node.sent) > 50 or session.status.last_error is not None)
        task.cancel()
        await node.stop()
        assert ("login refused" in (session.status.last_error or "")) is refused

    run(scenario)


def test_a_password_prompt_without_a_password_is_reported() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=50, password="s3cret")
        port = await node.start()
        session = session_for(port, Sink(), backfill=0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: session.status.last_error is not None)
        task.cancel()
        await node.stop()
        assert "asks for a password" in (session.status.last_error or "")

    run(scenario)


def test_one_stalled_node_does_not_hold_up_another() -> None:
    async def scenario() -> None:
        quiet = SimulatedNode(rate=50, faults=Faults(stall_after=0.2))
        busy = SimulatedNode(rate=200, seed=2)
        quiet_port, busy_port = await quiet.start(), await busy.start()
        busy_sink = Sink()
        sessions = [
            session_for(quiet_port, Sink(), backfill=0, stall_seconds=30),
            session_for(busy_port, busy_sink, backfill=0),
        ]
        tasks = [asyncio.create_task(s.run()) for s in sessions]
        await wait_for(lambda: len(busy_sink.lines) > 600)
        for task in tasks:
            task.cancel()
        await quiet.stop()
        await busy.stop()
        assert len(quiet.sent) < 100  # stalled while the other streamed on

    run(scenario)


def test_a_welcome_text_with_refusal_words_is_not_a_refusal() -> None:
    async def scenario() -> None:
        motd = (*BANNER_LINES, "Spotting pirates is not allowed here. 73 de the sysop")
        node = SimulatedNode(rate=50, banner=motd)
        port = await node.start()
        session = session_for(port, Sink(), backfill=0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: len(node.sent) > 150)
        task.cancel()
        await node.stop()
        assert session.status.reconnects == 0 and session.status.last_error is None

    run(scenario)

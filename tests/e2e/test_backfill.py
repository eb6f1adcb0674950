"""Back-fill closes the gap by construction, a quiet node is kept, a node that comes back is
logged into again soon: a session against the simulated node over 127.0.0.1.

Spots are compared by what makes them the same spot (DX call, spotter, frequency, minute),
whether they came as live `DX de` lines or as `sh/dx` rows.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from collector.backfill import Backfill, SpotMark, history_row, is_prompt
from collector.session import Backoff, NodeSession
from collector.simulator import Faults, SimulatedNode
from dxspots.parse import parse_line
from dxspots.settings import NodeConfig
from dxspots.spot import Spot
from tests.e2e.test_session import Sink, run, wait_for

Key = tuple[str, str, float, datetime]


def keys(lines: list[str]) -> set[Key]:
    now = datetime.now(UTC)
    found = set()
    for line in lines:
        spot = parse_line(line, now, "sim")
        if isinstance(spot, Spot):
            found.add((spot.dx_call, spot.spotter, round(spot.freq_khz, 1), spot.spot_time))
    return found


def session_for(
    port: int, sink: Sink, backoff: Backoff | None = None, **node: object
) -> NodeSession:
    config = NodeConfig(name="sim", host="127.0.0.1", port=port, **node)  # type: ignore[arg-type]
    return NodeSession(config, "DL1ABC", sink, backoff=backoff or Backoff(fast=0.05))


def test_a_busy_node_is_asked_for_more_until_the_gap_is_closed() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=200)
        port = await node.start()
        sink = Sink()
        session = session_for(port, sink, backfill=25)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: len(node.sent) > 300 and "sh/dx 25" in node.commands)
        node.disconnect_all()
        away = node.spots_while_away(60)  # published while nobody was connected
        await wait_for(lambda: len(node.logins) == 2)
        # The first answer is eaten up by what streamed since the login: more is asked for.
        await wait_for(lambda: node.commands.count("sh/dx 125") == 1)
        await wait_for(lambda: keys(away) <= keys(sink.lines))
        live = [line for line in node.sent if line.startswith("DX de ")]
        await wait_for(lambda: keys(live[:-50]) <= keys(sink.lines))
        task.cancel()
        await node.stop()
        assert session.gaps == [] and session.status.gaps == 0

    run(scenario)


def test_what_the_history_cannot_cover_is_a_gap_with_an_estimate() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=2)
        port = await node.start()
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        node.spots_while_away(1000, since=now - timedelta(minutes=30))  # ~33 a minute
        sink = Sink()
        session = session_for(port, sink, backfill=100)
        session.mark = SpotMark(now - timedelta(minutes=60), "VK9XX", "DL1ABC", 14025.0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: session.status.gaps == 1)
        task.cancel()
        await node.stop()
        assert node.commands.count("sh/dx 100") == 1 and node.commands.count("sh/dx 500") == 1
        (gap,) = session.gaps
        assert gap.node == "sim" and gap.gap_from == now - timedelta(minutes=60)
        # The 500 newest of 1,000 spots over 30 minutes reach back about 15 of them.
        assert now - timedelta(minutes=16) <= gap.gap_to <= now - timedelta(minutes=14)
        # 45 minutes at the rate the answer shows (500 in ~15 min): about 1,500 spots.
        assert 1300 <= gap.missed <= 1700, gap
        assert session.status.missed == gap.missed

    run(scenario)


def test_a_history_that_reaches_the_mark_is_no_gap() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=2)
        port = await node.start()
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        node.spots_while_away(300, since=now - timedelta(minutes=30))
        sink = Sink()
        session = session_for(port, sink, backfill=100)
        session.mark = SpotMark(now - timedelta(minutes=20), "VK9XX", "DL1ABC", 14025.0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: "sh/dx 500" in node.commands)
        await asyncio.sleep(1)  # the answer read, and nothing more asked
        task.cancel()
        await node.stop()
        assert node.commands.count("sh/dx 100") == 1 and "sh/dx 2500" not in node.commands
        assert session.gaps == []

    run(scenario)


def test_start_commands_go_when_the_prompt_shows_not_after_a_wait() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=1)
        port = await node.start()
        session = session_for(port, Sink(), backfill=10)
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(session.run())
        await wait_for(lambda: bool(node.logins))
        logged_in = loop.time()
        await wait_for(lambda: "sh/dx 10" in node.commands)
        took = loop.time() - logged_in
        task.cancel()
        await node.stop()
        assert node.commands[:3] == ["set/page 0", "set/nobeep", "sh/dx 10"]
        assert took < 1.0  # the banner wait (2 s) is only for nodes that show no prompt

    run(scenario)


@pytest.mark.parametrize("idle_prompt_every", [None, 1.1])
def test_a_quiet_node_that_answers_its_probe_is_kept(idle_prompt_every: float | None) -> None:
    # Scaled down from DXSpider's: a stall time of 3 minutes, an idle prompt every 11.
    async def scenario() -> None:
        node = SimulatedNode(faults=Faults(quiet=True, idle_prompt_every=idle_prompt_every))
        port = await node.start()
        session = session_for(port, Sink(), stall_seconds=0.3, backfill=0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: session.status.logged_in)
        await asyncio.sleep(3)  # ten stall times of silence
        task.cancel()
        await node.stop()
        assert session.status.reconnects == 0 and node.logins == ["DL1ABC"]
        assert session.status.probes >= 5 and node.commands.count("") >= 5

    run(scenario)


def test_a_hung_node_is_probed_then_reconnected() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=20, faults=Faults(stall_after=0.5))
        port = await node.start()
        session = session_for(port, Sink(), stall_seconds=0.3, backfill=0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: len(node.logins) >= 2)
        task.cancel()
        await node.stop()
        assert session.status.probes >= 1
        assert "no answer to a probe" in (session.status.last_error or "")

    run(scenario)


def test_a_restarted_node_is_logged_into_within_the_fast_retry_wait() -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=20)
        port = await node.start()
        session = session_for(port, Sink(), backoff=Backoff(fast=0.3), backfill=0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: session.status.logged_in)
        await node.stop()
        await asyncio.sleep(2.5)  # the node is away: several tries fail meanwhile
        back = SimulatedNode(rate=20, port=port)
        await back.start()
        loop = asyncio.get_running_loop()
        returned = loop.time()
        await wait_for(lambda: bool(back.logins))
        took = loop.time() - returned
        task.cancel()
        await back.stop()
        assert session.backoff.failures >= 5
        assert took < 1.0  # one fast wait (at most 0.3 s) and a login

    run(scenario)


@pytest.mark.parametrize(("healthy", "reset"), [(0.3, True), (60.0, False)])
def test_a_healthy_session_starts_the_back_off_again(healthy: float, reset: bool) -> None:
    async def scenario() -> None:
        node = SimulatedNode(rate=50, faults=Faults(drop_every=0.6))
        port = await node.start()
        backoff = Backoff(fast=0.05, fast_attempts=0, cap=0.4, healthy=healthy)
        session = session_for(port, Sink(), backoff=backoff, backfill=0)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: len(node.logins) >= 4, seconds=20)
        task.cancel()
        await node.stop()
        # Each session lasted 0.6 s with lines flowing: healthy when that is long enough.
        assert (backoff.failures == 1) is reset, backoff.failures

    run(scenario)


def test_backoff_waits() -> None:
    backoff = Backoff(first=1.0, fast=4.0, fast_attempts=20, cap=300.0, refused=900.0)
    fast = [backoff.delay() for _ in range(20)]
    assert 0.5 <= fast[0] <= 1.0
    assert all(2.0 <= wait <= 4.0 for wait in fast[1:])
    later = [backoff.delay() for _ in range(10)]
    assert 4.0 <= later[0] <= 8.0 and 8.0 <= later[1] <= 16.0
    assert all(150.0 <= wait <= 300.0 for wait in later[-3:])
    assert backoff.delay(refused=True) == 900.0


@pytest.mark.parametrize(
    ("line", "prompt"),
    [
        ("DL1ABC de GB7SIM 30-Nov-2026 0412Z dxspider >", True),
        ("DL1ABC de K3LR  30-Nov-2026 0412Z >", True),
        ("DL1ABC de VE7CC-1 30-Nov-2026 0412Z CCC >", True),
        ("To ALL de G4XYZ: meet at 1200Z >", False),
        ("DX de DL1ABC:  14025.0  VK9XX  tnx 1200Z >  0412Z", False),
        ("Hello DL1ABC, this is GB7SIM", False),
    ],
)
def test_what_counts_as_a_prompt(line: str, prompt: bool) -> None:
    assert is_prompt(line) is prompt


def test_a_gap_on_a_busy_node_is_estimated_from_its_rate_not_from_minutes() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    mark = SpotMark(now.replace(second=0), "VK9XX", "DL1ABC", 14025.0, now - timedelta(seconds=10))
    backfill = Backfill("sim", 500, mark)
    backfill.question(0.0)
    line = f"  14030.0 K1ABC        {now.day}-{now:%b-%Y %H%M}Z cq                <W3LPL>"
    for _ in range(500):  # all in the mark's minute: minutes cannot tell how many came before
        row = history_row(line, now, "sim")
        assert row is not None
        backfill.take(row, 0.0)
    gap = backfill.gap(now, rate=100.0)  # the node sent 100 a second: 1,000 since the mark
    assert gap is not None and gap.missed == 500
    unknown_rate = backfill.gap(now)  # no rate known: at least the answer's, 500 a minute
    assert unknown_rate is not None and 1 <= unknown_rate.missed < 500


@pytest.mark.parametrize(
    ("line", "prompt"),
    [
        ("DL1ABC de GB7SIM 30-Nov-2026 0412Z dxspider >", True),
        ("dl1abc de GB7SIM 30-Nov-2026 0412Z dxspider >", True),
        ("G4XYZ de GB7SIM 30-Nov-2026 0412Z dxspider >", False),  # someone else's
        ("WWV de G4XYZ <12>:   SFI=150, A=5, K=2, see you 1200Z >", False),
        ("DL1ABC de G4XYZ: meet me 1200Z >", False),  # talk to us
        ("DL1ABC de GB7SIM " + "1234Z " * 1400 + ">", False),  # too long to be one
    ],
)
def test_a_prompt_is_ours(line: str, prompt: bool) -> None:
    assert is_prompt(line, "DL1ABC") is prompt


def test_a_hostile_line_costs_the_prompt_check_little() -> None:
    line = "X de Y " + "1234Z" * 1600  # 8 KB: quadratic backtracking would take seconds
    started = time.perf_counter()
    for _ in range(100):
        assert not is_prompt(line[:119])
    assert time.perf_counter() - started < 1.0


def history_rows(now: datetime, minutes_back: list[int]) -> list[Spot]:
    rows = []
    for back in minutes_back:
        at = now - timedelta(minutes=back)
        line = f"  14030.0 K1ABC        {at.day}-{at:%b-%Y %H%M}Z cq                <W3LPL>"
        row = history_row(line, now, "sim")
        assert row is not None
        rows.append(row)
    return rows


def test_one_late_row_does_not_pass_for_a_history_reaching_the_mark() -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    mark = SpotMark(now - timedelta(minutes=1), "VK9XX", "DL1ABC", 14025.0)
    late = Backfill("sim", 100, mark)
    late.question(0.0)
    for row in history_rows(now, [0] * 99 + [10]):  # one relay ten minutes late
        late.take(row, 0.0)
    assert not late.covered() and late.more()
    reaching = Backfill("sim", 100, mark)
    reaching.question(0.0)
    for row in history_rows(now, [0] * 90 + [5] * 10):
        reaching.take(row, 0.0)
    assert reaching.covered()


def test_a_history_row_dated_in_the_future_is_ignored() -> None:
    now = datetime.now(UTC)
    ahead = now + timedelta(days=400)
    line = f"  14030.0 K1ABC        {ahead.day}-{ahead:%b-%Y %H%M}Z cq                <W3LPL>"
    assert history_row(line, now, "sim") is None

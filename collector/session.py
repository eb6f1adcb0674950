"""One node, kept connected: log in, run the start-up commands, back-fill, read lines.

Time limits use `asyncio.timeout`, not `asyncio.wait_for`: on Python 3.11 `wait_for` can
swallow a cancellation that races with the read completing, and a busy node then keeps
its session running after the collector was asked to stop.

`NodeSession.run` never returns on its own: it connects, logs in (answering `login:`,
`Please enter your call:`, `callsign:`, and a password prompt when a password is set),
tells the node software from its banner, sends that software's start-up commands as soon as
the node's prompt shows, and back-fills (`collector.backfill`: the node's `sh/dx` history,
asked for until it reaches the newest spot the last session got, or a recorded gap; the
database's dedupe drops the overlap), then hands every line to its sink. When the node goes
quiet for its stall time it is probed (a blank line, which a node answers with its prompt),
and only a probe left unanswered counts as a stall. When the connection drops or stalls it
waits (a few seconds for the first minute of tries, so a restarted node is logged into again
soon after it is back; then exponential back-off with jitter; all reset after a healthy
session; long when the node refused the login) and starts again. A node that floods
telnet negotiation is dropped the same way (`collector.negotiation`), and lines that came
with telnet commands are handed on as `GarbledLine`s. One node's trouble touches nothing but
its own task.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import telnetlib3

from collector.backfill import ANSWER_QUIET, Backfill, SpotMark, history_row, is_prompt
from collector.linereader import GarbledLine, LineReader
from collector.negotiation import Guard, NegotiationFloodError
from dxspots.db.gaps import Gap
from dxspots.parse import parse_line
from dxspots.settings import NodeConfig
from dxspots.spot import Spot

log = logging.getLogger(__name__)

LOGIN_PROMPTS = ("login", "please enter your call", "callsign", "enter your call")
"""How a prompt for the call ends, after its colon and blanks are taken off."""
PASSWORD_PROMPTS = ("password",)
REFUSALS = ("not allowed", "invalid call", "access denied", "not permitted", "is not valid")
SOFTWARE = (("dxspider", "dxspider"), ("ar-cluster", "ar-cluster"), ("cc cluster", "cc-cluster"),
            ("cc-cluster", "cc-cluster"), ("reverse beacon", "rbn"), ("rbn", "rbn"))  # fmt: skip
START_COMMANDS = {
    "dxspider": ("set/page 0", "set/nobeep"),
    "ar-cluster": ("set/page 0",),
    "cc-cluster": ("set/nobeep",),
    "rbn": (),
}
"""Default start-up commands per node software; a node's `commands` replaces them."""
REPORT_COMMANDS = {
    "dxspider": ("sh/wwv", "sh/wcy"),
    "ar-cluster": ("sh/wwv",),
    "cc-cluster": ("sh/wwv",),
}
"""After back-fill, the WWV/WCY reports sent while away are asked for too (the database
keeps each report once)."""
LOGIN_TIMEOUT = 30.0
BANNER_WAIT = 2.0
"""Seconds after login to read the banner before the start-up commands are sent, when no
prompt shows sooner."""
RATE_WAIT = 10.0
"""Seconds of live stream a gap's estimate waits for, at most, when no rate is known."""
GAPS_KEPT = 1000
"""Gaps held for the database at most (it may be away for long)."""
PROBE = ""
"""What a quiet node is asked: an empty line, which DXSpider, AR-Cluster and CC Cluster
answer with their prompt."""
PROBE_WAIT = 30.0
"""Seconds a probe may go unanswered (at most the node's stall time) before the session is
taken for dead."""

Sink = Callable[[str, datetime, str], Awaitable[None]]
"""Takes (line, received_at, node name); waits while the pipeline is full (back-pressure)."""


def send(writer: telnetlib3.TelnetWriter, text: str) -> None:
    """Send one line to the node (Latin-1, CR LF)."""
    # The writer is a binary one (encoding=False); its stubs also admit the text writer.
    cast(Any, writer).write(text.encode("latin-1") + b"\r\n")


class LoginRefusedError(ConnectionError):
    """The node refused our login; retried only after a long wait."""


class StallError(ConnectionError):
    """Nothing arrived for the node's stall time."""


@dataclass(slots=True)
class Backoff:
    """Waits between connection attempts; the constants are fields so tests can shorten them.

    The very first wait is shortest (0.5-1 s: a node that dropped a session is most likely
    there), the next `fast_attempts` short (2-4 s): a node that restarts is back within a
    minute or so and is logged into again within seconds of it. Later ones double up to
    `cap`, with jitter. A refused login waits `refused`: the node said no, so it is not
    hammered. A healthy session (logged in, lines flowing, for `healthy` seconds) starts
    the count again.
    """

    first: float = 1.0
    """Ceiling of the first wait after a healthy session: the node most likely just dropped
    us and is there; a busy node's history covers only so many seconds."""
    fast: float = 4.0
    fast_attempts: int = 20
    cap: float = 300.0
    refused: float = 900.0
    """Wait after a refused login."""
    healthy: float = 120.0
    failures: int = 0

    def delay(self, refused: bool = False) -> float:
        """The next wait, in seconds; counts one more failure."""
        if refused:
            return self.refused
        self.failures += 1
        beyond = self.failures - self.fast_attempts
        ceiling = self.fast if beyond <= 0 else min(self.cap, self.fast * 2**beyond)
        if self.failures == 1:
            ceiling = min(ceiling, self.first)
        return random.uniform(ceiling / 2, ceiling)


@dataclass(slots=True)
class NodeStatus:
    """What the collector knows about one node (written to the database periodically)."""

    name: str
    connected_since: datetime | None = None
    logged_in: bool = False
    software: str | None = None
    last_line_at: datetime | None = None
    lines: int = 0
    overflows: int = 0
    reconnects: int = 0
    last_error: str | None = None
    probes: int = 0
    """Probes sent to the node after a quiet spell."""
    gaps: int = 0
    """Gaps back-fill could not close."""
    missed: int = 0
    """Spots estimated to have been missed in those gaps."""


@dataclass
class NodeSession:
    """Keep one node connected and feed its lines to `sink`."""

    node: NodeConfig
    callsign: str
    sink: Sink
    backoff: Backoff = field(default_factory=Backoff)
    status: NodeStatus = field(init=False)
    abandoned: list[tuple[str, datetime, str | None]] = field(default_factory=list)
    """Lines read but not handed on when the session was cancelled."""
    mark: SpotMark | None = None
    """The newest spot received before this session (the collector sets it from the
    database at start); back-fill reaches back to it."""
    gaps: list[Gap] = field(default_factory=list)
    """Gaps found and not yet recorded (the collector takes them)."""
    _backfill: Backfill | None = None
    _last_dx: tuple[str, datetime] | None = None
    """The newest live `DX de` line of this session, for the next mark."""
    _last_human: tuple[str, datetime] | None = None
    """The newest live `DX de` line of a human spotter (not `-#`)."""
    _newest_row: Spot | None = None
    _heard: float = 0.0
    """Loop time the node last sent anything."""
    _probed: bool = False
    _logged_in_at: float | None = None
    _unestimated: tuple[Backfill, datetime] | None = None
    """A gap found, waiting for the live spot rate that estimates it."""
    spot_rate: float | None = None
    """Live spots a second in the last session that lasted long enough to tell."""
    _spots_seen: int = 0
    _commands_seen: int = 0
    """The connection's telnet command count when the last read was framed."""
    _garbled_pending: bool = False
    """Telnet commands came while the pending (unfinished) line was arriving."""

    def __post_init__(self) -> None:
        self.status = NodeStatus(self.node.name)

    async def run(self) -> None:
        """Connect, read, reconnect, forever (until cancelled)."""
        while True:
            refused = flooded = False
            self._logged_in_at = None
            lines_before = self.status.lines
            try:
                await self._connect_once()
                self.status.last_error = "connection closed by the node"
            except NegotiationFloodError as error:
                flooded = True  # backs off as after any failure, logged as an error below
                self.status.last_error = str(error)
            except LoginRefusedError as error:
                refused = True
                self.status.last_error = f"login refused: {error}"
                log.error("%s: login refused (%s); next try in %.0f s", self.node.name, error,
                          self.backoff.refused)  # fmt: skip
            except (OSError, EOFError, TimeoutError, ConnectionError) as error:
                self.status.last_error = f"{type(error).__name__}: {error}".rstrip(": ")
            except Exception as error:  # a bug must not end this node's task for good
                log.exception("%s: unexpected error", self.node.name)
                self.status.last_error = f"{type(error).__name__}: {error}"
            finally:
                self.status.logged_in = False
                self.status.connected_since = None
            logged_in_at = self._logged_in_at
            if (
                logged_in_at is not None
                and asyncio.get_running_loop().time() - logged_in_at >= self.backoff.healthy
                and self.status.lines > lines_before
            ):
                self.backoff.failures = 0
            delay = self.backoff.delay(refused)
            self.status.reconnects += 1
            log.log(logging.ERROR if flooded else logging.WARNING, "%s: %s; reconnecting in "
                    "%.1f s", self.node.name, self.status.last_error, delay)  # fmt: skip
            await asyncio.sleep(delay)

    async def _connect_once(self) -> None:
        node, status = self.node, self.status
        guard = Guard()
        async with asyncio.timeout(LOGIN_TIMEOUT):
            reader, writer = await telnetlib3.open_connection(
                node.host, node.port, client_factory=guard.client, encoding=False,
                force_binary=True, connect_maxwait=0.5, compression=False,
            )  # fmt: skip
        # encoding=False: bytes both ways, decoded here as Latin-1 (never replacement chars).
        # compression=False: no MCCP, whose compressed stream would hide the commands in it.
        status.connected_since = datetime.now(UTC)
        lines = LineReader()
        loop = asyncio.get_running_loop()
        self._last_dx = self._last_human = self._newest_row = self._backfill = None
        self._unestimated = None
        try:
            await self._log_in(reader, writer, lines, guard)
            status.logged_in = True
            self._logged_in_at = self._heard = loop.time()
            self._probed = False
            self._spots_seen = 0
            log.info("%s: logged in as %s", node.name, node.callsign or self.callsign)
            for command in self._start_commands():
                send(writer, command)
            if node.backfill and status.software != "rbn":
                self._backfill = Backfill(node.name, node.backfill, self.mark)
                send(writer, self._backfill.question(loop.time()))
            while True:
                await self._read(reader, writer, lines, guard)
        except (OSError, EOFError):
            if guard.flooded:  # the guard aborted the connection: say why
                raise guard.error() from None
            raise
        finally:
            status.overflows += lines.overflows
            if self._unestimated is not None:
                self._estimate_gap()
            self.mark = self._newest_mark() or self.mark
            if self._logged_in_at is not None and loop.time() - self._logged_in_at >= 1:
                self.spot_rate = self._live_rate() or self.spot_rate
            writer.close()

    def _start_commands(self) -> list[str]:
        node, software = self.node, self.status.software
        if node.commands is not None:
            return list(node.commands)
        return list(START_COMMANDS.get(software or "", ()))

    def _newest_mark(self) -> SpotMark | None:
        """Where the next back-fill must reach: the last live `DX de` line this session
        received (a human's, when there was one: a node's history may leave skimmer spots
        out), else its newest history row. Unchanged while a back-fill was unfinished: the
        span it was asking for is still missing."""
        if self._backfill is not None and self.mark is not None:
            return self.mark  # (with no mark before, there was no known gap to keep)
        for held in (self._last_human, self._last_dx):
            if held is not None:
                spot = parse_line(held[0], held[1], self.node.name)
                if isinstance(spot, Spot):
                    return SpotMark.of(spot)
        return SpotMark.of(self._newest_row) if self._newest_row is not None else self.mark

    def _answer_done(self, writer: telnetlib3.TelnetWriter) -> None:
        """The history answer is complete: ask for more, or record what could not be had."""
        backfill = self._backfill
        assert backfill is not None
        backfill.answering = False
        if not backfill.covered() and backfill.more():
            send(writer, backfill.question(asyncio.get_running_loop().time()))
            return
        self._backfill = None
        for command in REPORT_COMMANDS.get(self.status.software or "", ()):
            send(writer, command)
        if backfill.covered():
            return
        # A gap. Its estimate wants the node's spot rate: the last session's, or else the
        # live one, which needs a few seconds of this session's stream to tell.
        self._unestimated = (backfill, datetime.now(UTC))
        if self.spot_rate is not None or not backfill.needs_rate():
            self._estimate_gap()

    def _maybe_estimate(self, now: float) -> None:
        """Estimate a waiting gap once the live rate tells (or it waited long enough)."""
        if self._unestimated is None or self._logged_in_at is None:
            return
        settled = now - self._logged_in_at
        if settled >= RATE_WAIT or (settled >= 2 and self._live_rate() is not None):
            self._estimate_gap()

    def _estimate_gap(self) -> None:
        """Record the gap back-fill found, estimated at the best rate known now."""
        assert self._unestimated is not None
        backfill, found_at = self._unestimated
        self._unestimated = None
        gap = backfill.gap(found_at, self.spot_rate or self._live_rate())
        if gap is None:
            return
        if len(self.gaps) < GAPS_KEPT:  # while the database is away; more are counted only
            self.gaps.append(gap)
        self.status.gaps += 1
        self.status.missed += gap.missed
        log.warning(
            "%s: the node's history does not reach back to the last spot received: about %d "
            "spots between %s and %s are missing", self.node.name, gap.missed,
            f"{gap.gap_from:%Y-%m-%d %H:%M}Z", f"{gap.gap_to:%H:%M}Z",
        )  # fmt: skip

    async def _log_in(
        self,
        reader: telnetlib3.TelnetReader,
        writer: telnetlib3.TelnetWriter,
        lines: LineReader,
        guard: Guard,
    ) -> None:
        """Answer the login (and password) prompts, then read the banner for `BANNER_WAIT`.

        Lines from the call on are framed as `_read` frames them (telnet commands mark them
        garbled); before it, a node's option negotiation is expected.
        Raises `LoginRefusedError` when the node says no or wants a password we lack.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOGIN_TIMEOUT
        call = self.node.callsign or self.callsign
        sent_call = sent_password = False
        banner_until: float | None = None
        refusal: str | None = None
        while banner_until is None or loop.time() < banner_until:
            prompt = lines.pending.lower().rstrip(": \t")
            if not sent_call and prompt.endswith(LOGIN_PROMPTS):
                lines.clear()
                send(writer, call)
                sent_call = True
                self._commands_seen, self._garbled_pending = guard.seen, False
                banner_until = loop.time() + BANNER_WAIT
            elif not sent_password and prompt.endswith(PASSWORD_PROMPTS):
                if self.node.password is None:
                    raise LoginRefusedError("the node asks for a password; set one for it")
                lines.clear()
                send(writer, self.node.password)
                sent_password = True
            if banner_until is None and loop.time() > deadline:
                raise TimeoutError("no login prompt")
            until = banner_until if banner_until is not None else deadline
            try:
                async with asyncio.timeout(max(0.05, until - loop.time())):
                    data = await reader.read(65536)
            except TimeoutError:
                if banner_until is None:
                    raise TimeoutError("no login prompt") from None
                return
            if not data:
                if refusal is not None:  # said no, then hung up: a refusal, not a fault
                    raise LoginRefusedError(refusal)
                raise ConnectionError("closed during login")
            framed = self._frame(data, lines, guard) if sent_call else lines.lines(data)
            prompted = False
            for line in framed:
                lowered = line.lower()
                if sent_call and refusal is None and any(word in lowered for word in REFUSALS):
                    refusal = line.strip()  # a refusal only if the node then closes
                if self.status.software is None:
                    self._detect(lowered)
                prompted = prompted or (sent_call and is_prompt(line, call))
            await self._deliver_all(framed)
            pending_prompt = sent_call and is_prompt(lines.pending, call)
            if (prompted or pending_prompt) and refusal is None:
                return  # the node is ready for commands: no need to wait out the banner

    async def _read(
        self,
        reader: telnetlib3.TelnetReader,
        writer: telnetlib3.TelnetWriter,
        lines: LineReader,
        guard: Guard,
    ) -> None:
        """Read once and deliver the complete lines. After the node's stall time of silence
        it is probed; `StallError` when the probe goes unanswered too."""
        loop = asyncio.get_running_loop()
        self._maybe_estimate(loop.time())  # a quiet node: at least every stall time
        stall = self.node.stall_seconds
        probe_wait = min(stall, PROBE_WAIT)
        deadline = self._heard + stall + (probe_wait if self._probed else 0.0)
        backfill = self._backfill
        until = deadline
        if backfill is not None and backfill.answering:
            until = min(until, backfill.last_row_at + ANSWER_QUIET)
        try:
            async with asyncio.timeout(max(0.01, until - loop.time())):
                data = await reader.read(65536)
        except TimeoutError:
            now = loop.time()
            if backfill is not None and backfill.answering:
                if now >= backfill.last_row_at + ANSWER_QUIET:
                    self._answer_done(writer)
                return
            if now < deadline:
                return
            if not self._probed:
                self._probed = True
                self.status.probes += 1
                log.info("%s: nothing for %g s; asking the node whether it is there",
                         self.node.name, stall)  # fmt: skip
                send(writer, PROBE)
                return
            raise StallError(
                f"nothing received for {stall:g} s, and no answer to a probe in {probe_wait:g} s"
            ) from None
        if not data:
            raise ConnectionError("closed by the node")
        self._heard = loop.time()
        self._probed = False
        await self._deliver_all(self._frame(data, lines, guard), writer)
        self._maybe_estimate(loop.time())
        backfill = self._backfill  # a stream that never pauses must not hold the answer open
        if (
            backfill is not None
            and backfill.answering
            and loop.time() >= backfill.last_row_at + ANSWER_QUIET
        ):
            self._answer_done(writer)

    def _frame(self, data: bytes, lines: LineReader, guard: Guard) -> list[str]:
        """The lines `data` completes. When telnet commands came since the last read, they
        and the line still pending are `GarbledLine`s (which bytes a command ate is not
        known, only that these came with it)."""
        framed = lines.lines(data)
        if guard.seen != self._commands_seen:
            self._commands_seen = guard.seen
            framed = [GarbledLine(line) for line in framed]
            self._garbled_pending = bool(lines.pending)
        elif self._garbled_pending and framed:
            framed[0] = GarbledLine(framed[0])
            self._garbled_pending = False
        return framed

    async def _deliver_all(
        self, framed: list[str], writer: telnetlib3.TelnetWriter | None = None
    ) -> None:
        """Count lines and hand them on; an overflowed one arrives cut at `MAX_LINE` and the
        parser refuses it as too long, so it is kept as a rejected line. Lines read but not
        yet handed on when the session is cancelled go to `abandoned`, for the collector
        to store at shutdown. Back-fill looks at each line on the way (`writer` given)."""
        status = self.status
        for index, line in enumerate(framed):
            now = datetime.now(UTC)
            if writer is not None:
                self._observe(line, now, writer)
            try:
                await self.sink(line, now, self.node.name)
            except asyncio.CancelledError:
                self.abandoned.extend((rest, now, self.node.name) for rest in framed[index:])
                raise
            status.lines += 1
            status.last_line_at = now

    def _observe(self, line: str, received_at: datetime, writer: telnetlib3.TelnetWriter) -> None:
        """Keep the newest live spot line, and read the history answer as it passes."""
        if line[:6] == "DX de ":
            self._last_dx = (line, received_at)
            if line.find("-#", 6, 24) == -1:
                self._last_human = self._last_dx
            self._spots_seen += 1
            return
        backfill = self._backfill
        if backfill is None or not backfill.answering:
            return
        prompt = is_prompt(line, self.node.callsign or self.callsign)
        row = None if prompt else history_row(line, received_at, self.node.name)
        if row is not None:
            if self._newest_row is None or row.spot_time > self._newest_row.spot_time:
                self._newest_row = row
            if backfill.take(row, asyncio.get_running_loop().time()):
                self._answer_done(writer)  # all that was asked came
        elif prompt and backfill.rows:
            # The prompt after the rows. Before any row, a prompt may be a start-up
            # command's (or one the node sends unasked): an empty answer ends by going quiet.
            self._answer_done(writer)

    def _live_rate(self) -> float | None:
        """Live spots a second since this login, once there are enough to tell."""
        if self._logged_in_at is None or self._spots_seen < 20:
            return None
        elapsed = asyncio.get_running_loop().time() - self._logged_in_at
        return self._spots_seen / elapsed if elapsed > 0 else None

    def _detect(self, text: str) -> None:
        for marker, software in SOFTWARE:
            if marker in text:
                self.status.software = software
                return

"""One node, kept connected: log in, run the start-up commands, back-fill, read lines.

Time limits use `asyncio.timeout`, not `asyncio.wait_for`: on Python 3.11 `wait_for` can
swallow a cancellation that races with the read completing, and a busy node then keeps
its session running after the collector was asked to stop.

`NodeSession.run` never returns on its own: it connects, logs in (answering `login:`,
`Please enter your call:`, `callsign:`, and a password prompt when a password is set),
tells the node software from its banner, sends that software's start-up commands and
`sh/dx N` (the node's own history fills the gap a reconnect left; the database's dedupe
drops the overlap), then hands every line to its sink. When the connection drops or goes
quiet for the node's stall time it waits (exponential back-off with jitter, reset after a
healthy hour; long when the node refused the login) and starts again. A node that floods
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

from collector.linereader import GarbledLine, LineReader
from collector.negotiation import Guard, NegotiationFloodError
from dxspots.settings import NodeConfig

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
LOGIN_TIMEOUT = 30.0
BANNER_WAIT = 2.0
"""Seconds after login to read the banner before the start-up commands are sent."""

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
    """Exponential back-off with jitter; the constants are fields so tests can shorten them."""

    base: float = 2.0
    cap: float = 300.0
    refused: float = 900.0
    """Wait after a refused login: the node said no, so do not hammer it."""
    healthy: float = 3600.0
    """A connection that lasted this long resets the back-off."""
    failures: int = 0

    def delay(self, refused: bool = False) -> float:
        """The next wait, in seconds; counts one more failure."""
        if refused:
            return self.refused
        self.failures += 1
        ceiling = min(self.cap, self.base * 2 ** (self.failures - 1))
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
            started = asyncio.get_running_loop().time()
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
            if asyncio.get_running_loop().time() - started >= self.backoff.healthy:
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
        try:
            await self._log_in(reader, writer, lines, guard)
            status.logged_in = True
            log.info("%s: logged in as %s", node.name, node.callsign or self.callsign)
            for command in self._start_commands():
                send(writer, command)
            while True:
                await self._read(reader, lines, node.stall_seconds, guard)
        except (OSError, EOFError):
            if guard.flooded:  # the guard aborted the connection: say why
                raise guard.error() from None
            raise
        finally:
            status.overflows += lines.overflows
            writer.close()

    def _start_commands(self) -> list[str]:
        node, software = self.node, self.status.software
        if node.commands is not None:
            commands = list(node.commands)
        else:
            commands = list(START_COMMANDS.get(software or "", ()))
        if node.backfill and software != "rbn":
            commands.append(f"sh/dx {node.backfill}")
        return commands

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
        sent_call = sent_password = False
        banner_until: float | None = None
        refusal: str | None = None
        while banner_until is None or loop.time() < banner_until:
            prompt = lines.pending.lower().rstrip(": \t")
            if not sent_call and prompt.endswith(LOGIN_PROMPTS):
                lines.clear()
                send(writer, self.node.callsign or self.callsign)
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
            for line in framed:
                lowered = line.lower()
                if sent_call and refusal is None and any(word in lowered for word in REFUSALS):
                    refusal = line.strip()  # a refusal only if the node then closes
                if self.status.software is None:
                    self._detect(lowered)
            await self._deliver_all(framed)

    async def _read(
        self, reader: telnetlib3.TelnetReader, lines: LineReader, stall: float, guard: Guard
    ) -> None:
        """Read once and deliver the complete lines; `StallError` after `stall` quiet seconds."""
        try:
            async with asyncio.timeout(stall):
                data = await reader.read(65536)
        except TimeoutError:
            raise StallError(f"nothing received for {stall:g} s") from None
        if not data:
            raise ConnectionError("closed by the node")
        await self._deliver_all(self._frame(data, lines, guard))

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

    async def _deliver_all(self, framed: list[str]) -> None:
        """Count lines and hand them on; an overflowed one arrives cut at `MAX_LINE` and the
        parser refuses it as too long, so it is kept as a rejected line. Lines read but not
        yet handed on when the session is cancelled go to `abandoned`, for the collector
        to store at shutdown."""
        status = self.status
        for index, line in enumerate(framed):
            now = datetime.now(UTC)
            try:
                await self.sink(line, now, self.node.name)
            except asyncio.CancelledError:
                self.abandoned.extend((rest, now, self.node.name) for rest in framed[index:])
                raise
            status.lines += 1
            status.last_line_at = now

    def _detect(self, text: str) -> None:
        for marker, software in SOFTWARE:
            if marker in text:
                self.status.software = software
                return

"""A simulated DX cluster node, for tests, benchmarks and demos: not a real cluster.

A telnetlib3 server that behaves like a DXSpider node: a `login: ` prompt without newline,
a banner, a prompt, then a stream of `DX de` lines (trailing BELs, Latin-1 comments), RBN
skimmer lines, WWV/WCY and announcements at a given rate, and `sh/dx N` answered from its own
history. Faults can be switched on: drop the connection every N seconds, hang (send and
answer nothing while keeping the connection), stay quiet (no spots, commands answered), send
garbage lines, send an endless line, refuse logins.
Every line it sends is appended to `sent` (and to a log file when one is given), so tests can
compare exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import telnetlib3

from collector.simfeed import SpotFeed

log = logging.getLogger(__name__)

BANNER = (
    "Hello {call}, this is GB7SIM in Simulated Land",
    "running DXSpider V1.57 build 541 (a dxspots simulator, not a real node)",
    "Capabilities: ve7cc rbn",
    "Cluster: 42 nodes, 7 local / 1234 total users  Max users 2345  Uptime 3 0:12",
)
PROMPT = "{call} de GB7SIM {now:%d-%b-%Y %H%M}Z dxspider >"


@dataclass(frozen=True, slots=True)
class Faults:
    """Misbehaviour to simulate; all off by default."""

    drop_every: float | None = None
    """Close each connection this many seconds after login."""
    stall_after: float | None = None
    """Hang this many seconds after login: keep the connection but send nothing more and
    answer nothing (a node that died with its socket open)."""
    quiet: bool = False
    """Send no spots at all, but answer commands (a quiet node, alive)."""
    idle_prompt_every: float | None = None
    """While quiet, send the prompt every this many seconds (DXSpider does about every
    11 minutes to an idle user)."""
    garbage_every: int | None = None
    """Send a line of random bytes after every N lines."""
    endless_line_after: int | None = None
    """After N lines, send 1 MB without a newline, then carry on."""
    refuse_login: bool = False
    """Answer every login with an error and close."""


@dataclass
class SimulatedNode:
    """The server; `await start()` returns the port, `await stop()` ends it."""

    host: str = "127.0.0.1"
    port: int = 0
    rate: float = 10.0
    """Lines per second per connection (0: as fast as the connection takes them)."""
    seed: int = 1
    faults: Faults = field(default_factory=Faults)
    log_path: Path | None = None
    login_prompt: str = "login: "
    """What it asks first: DXSpider `login: `; CC Cluster and the RBN `Please enter your
    call: `; others `callsign: `."""
    password: str | None = None
    """When set, `password: ` is asked after the call, and a wrong one is refused."""
    banner: tuple[str, ...] = BANNER
    """The lines after login; the software's name in them is how collectors tell it."""
    sent: list[str] = field(default_factory=list)
    garbage_sent: int = 0
    paused: bool = False
    """While true, connections stay open but nothing more is sent (tests use it to let a
    collector catch up before comparing)."""
    logins: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    hung: bool = False
    """Set when a `stall_after` fault has struck: the node answers nothing any more."""
    _server: telnetlib3.server.Server | None = None
    _feed: SpotFeed | None = None
    _log: IO[str] | None = None
    _sessions: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        """Listen; return the port (a free one when `port` is 0)."""
        self._feed = SpotFeed(self.seed)
        if self.log_path is not None:
            self._log = self.log_path.open("a", encoding="latin-1")
        server = await telnetlib3.create_server(
            host=self.host, port=self.port, shell=self._session, encoding=False,
            force_binary=True, connect_maxwait=0.2,
        )  # fmt: skip
        self._server = server
        sockets = server.sockets or ()
        self.port = int(sockets[0].getsockname()[1])
        log.info("simulated node listening on %s:%s", self.host, self.port)
        return self.port

    def disconnect_all(self) -> None:
        """Drop every connection (the node goes on listening)."""
        for task in list(self._sessions):
            task.cancel()

    def reports_while_away(self) -> list[str]:
        """A WWV and a WCY report made while nobody was connected; `sh/wwv` and `sh/wcy`
        will show them. Returns their lines."""
        assert self._feed is not None
        now = datetime.now(UTC)
        return [self._feed.wwv(now), self._feed.wcy(now)]

    def spots_while_away(self, count: int, since: datetime | None = None) -> list[str]:
        """Make `count` spots that reach the node's history but no connection, as spots do
        while a collector is disconnected; `sh/dx` will show them. Returns their lines.
        With `since`, their times are spread evenly from then to now (a long absence)."""
        assert self._feed is not None
        now = datetime.now(UTC)
        start = since or now
        step = (now - start) / count if count else now - start
        return [self._feed.next_line(start + step * index) for index in range(count)]

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
            for task in list(self._sessions):
                task.cancel()
            if self._sessions:
                await asyncio.wait(list(self._sessions), timeout=2)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _send(self, writer: telnetlib3.TelnetWriter, line: str, end: bytes = b"\r\n") -> None:
        writer.write(line.encode("latin-1") + end)
        self.sent.append(line)
        if self._log is not None:
            self._log.write(line + "\n")
            self._log.flush()

    async def _session(
        self, reader: telnetlib3.TelnetReader, writer: telnetlib3.TelnetWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
            task.add_done_callback(self._sessions.discard)
        try:
            writer.write(self.login_prompt.encode("latin-1"))
            call = (await asyncio.wait_for(reader.readline(), 30)).decode("latin-1").strip()
            if not call:
                return
            self.logins.append(call)
            refused = self.faults.refuse_login
            if self.password is not None and not refused:
                writer.write(b"password: ")
                given = (await asyncio.wait_for(reader.readline(), 30)).decode("latin-1").strip()
                refused = given != self.password
            if refused:
                writer.write(b"Sorry, " + call.encode("latin-1") + b" is not allowed here\r\n")
                return
            for text in self.banner:
                writer.write(text.format(call=call).encode("latin-1") + b"\r\n")
            writer.write(PROMPT.format(call=call, now=datetime.now(UTC)).encode() + b"\r\n")
            # Either ends the session: the stream (a fault drops it) or the client leaving,
            # after which nothing more is "sent" (`sent` and the log match what was received).
            commands = asyncio.create_task(self._answer(reader, writer, call))
            stream = asyncio.create_task(self._stream(writer, call))
            self._sessions.add(stream)  # dropped at once by `disconnect_all`, as the session
            stream.add_done_callback(self._sessions.discard)
            try:
                await asyncio.wait((commands, stream), return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (commands, stream):
                    task.cancel()
                await asyncio.gather(commands, stream, return_exceptions=True)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _answer(
        self, reader: telnetlib3.TelnetReader, writer: telnetlib3.TelnetWriter, call: str
    ) -> None:
        assert self._feed is not None
        while True:
            try:
                data = await reader.readline()
            except ConnectionError:
                return
            if not data:
                return
            command = data.decode("latin-1").strip()
            self.commands.append(command)
            if self.hung:
                continue
            words = command.lower().split()
            count = int(words[1]) if len(words) > 1 and words[1].isdecimal() else None
            if words and words[0] in ("sh/dx", "show/dx"):
                for row in self._feed.show_dx(min(count or 30, 500)):
                    self._send(writer, row)
            elif words and words[0] in ("sh/wwv", "show/wwv", "sh/wcy", "show/wcy"):
                kind = words[0][-3:]
                for row in self._feed.show_reports(kind, min(count or 10, 100)):
                    self._send(writer, row)
            writer.write(PROMPT.format(call=call, now=datetime.now(UTC)).encode() + b"\r\n")

    async def _stream(self, writer: telnetlib3.TelnetWriter, call: str) -> None:
        assert self._feed is not None
        faults = self.faults
        loop = asyncio.get_running_loop()
        started = loop.time()
        rng = random.Random(self.seed)
        count = 0
        if faults.quiet:
            while True:
                await asyncio.sleep(faults.idle_prompt_every or 3600)
                if faults.idle_prompt_every:
                    prompt = PROMPT.format(call=call, now=datetime.now(UTC))
                    writer.write(prompt.encode() + b"\r\n")
        while True:
            while self.paused:
                await asyncio.sleep(0.02)
            elapsed = loop.time() - started
            if faults.drop_every is not None and elapsed >= faults.drop_every:
                return
            if faults.stall_after is not None and elapsed >= faults.stall_after:
                self.hung = True
                await asyncio.sleep(3600)
            if faults.garbage_every and count and count % faults.garbage_every == 0:
                writer.write(
                    bytes(rng.randrange(256) for _ in range(80)).replace(b"\n", b"") + b"\r\n"
                )
                self.garbage_sent += 1
            if faults.endless_line_after is not None and count == faults.endless_line_after:
                writer.write(b"X" * 1_000_000)
            self._send(writer, self._feed.next_line(datetime.now(UTC)), b"\x07\x07\r\n")
            count += 1
            await writer.drain()
            if self.rate > 0:
                await asyncio.sleep(1 / self.rate)

"""Telnet commands from a node, bounded: a node that floods option negotiation is dropped.

telnetlib3 interprets every `IAC` command in Python, byte by byte, answers each DO/WILL/WONT
and logs a warning for every odd one. A node that floods them once pinned the event loop for
as long as it kept going: the other nodes' lines waited, `/healthz` stopped answering and the
log grew by a megabyte. `GuardedClient` counts the `IAC` bytes of what arrives before telnetlib3
sees them; past `MAX_COMMANDS_PER_SECOND` within one second it aborts the connection, without
interpreting the chunk that crossed the bound, and the session reports a
`NegotiationFloodError` and backs off as after any failure. A real node negotiates a few dozen
options when we connect, and seldom anything after that.

It also counts the commands it has passed on (`Guard.seen`), in the order telnetlib3 handles
them, so the session can tell which lines arrived together with telnet commands: a command cut
short swallows the bytes after it, so such a line may be garbled.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import telnetlib3

IAC = 255
MAX_COMMANDS_PER_SECOND = 200
"""`IAC` bytes a node may send within one second (a login's negotiation takes a few dozen)."""


class NegotiationFloodError(ConnectionError):
    """The node sent more telnet commands than `MAX_COMMANDS_PER_SECOND`; it was dropped."""


@dataclass(slots=True)
class Guard:
    """What one connection's telnet commands cost so far; `client` makes its protocol."""

    limit: int = MAX_COMMANDS_PER_SECOND
    seen: int = 0
    """Commands (`IAC` bytes) handed to telnetlib3, counted when it interprets them."""
    flooded: int = 0
    """The count in the one second that crossed the bound (0: not flooded)."""
    _window_start: float = 0.0
    _window_count: int = 0

    def client(self, **kwargs: Any) -> GuardedClient:
        """The telnetlib3 `client_factory`: a client that reports to this guard."""
        return GuardedClient(self, **kwargs)

    def admit(self, commands: int) -> bool:
        """Count `commands` arriving now; False once the second's count passes the limit."""
        now = time.monotonic()
        if now - self._window_start >= 1.0:
            self._window_start, self._window_count = now, 0
        self._window_count += commands
        if self._window_count > self.limit:
            self.flooded = self._window_count
            return False
        return True

    def error(self) -> NegotiationFloodError:
        """The error the session raises for a flooded connection."""
        return NegotiationFloodError(
            f"telnet negotiation flood: {self.flooded} commands within one second "
            f"(limit {self.limit}); disconnected"
        )


class GuardedClient(telnetlib3.TelnetClient):
    """A telnetlib3 client that drops the connection when the node floods telnet commands."""

    def __init__(self, guard: Guard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard
        self._guarded_transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport, to abort it on a flood."""
        self._guarded_transport = transport
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        """Count the commands first (C speed); past the bound, pass on only the bytes before
        the first command of this chunk and abort the connection."""
        if self.guard.flooded:
            return  # aborted; bytes still in the socket's last read are not looked at
        commands = data.count(IAC)
        if commands and not self.guard.admit(commands):
            head = data[: data.find(IAC)]
            if head:
                super().data_received(head)
            transport = self._guarded_transport
            if isinstance(transport, asyncio.Transport):
                transport.abort()  # not close(): what is queued to send is not waited for
            elif transport is not None:
                transport.close()
            return
        super().data_received(data)

    def _process_chunk(self, data: bytes) -> bool:
        # telnetlib3 interprets a received chunk here (its receive task, after
        # `data_received` queued it); counting here keeps `seen` in step with the bytes the
        # reader has been given.
        self.guard.seen += data.count(IAC)
        return super()._process_chunk(data)

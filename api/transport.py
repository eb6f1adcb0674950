"""What one client on the wire may cost: time to send its headers, time to read an answer.

`ClientGuard` wraps the ASGI app. Every `send` has `DXSPOTS_API_SEND_TIMEOUT` to be taken
by the server: a client that stops reading (a stalled stream, a download left unread) is
dropped instead of holding its rows and connections for ever. While a streamed answer (the
live stream, a CSV export) goes out, it watches for the client going away and cancels the
work at once, so that an abandoned export stops its query and frees its slot.

`GuardedHttpTools` is uvicorn's httptools protocol with a header deadline: a connection has
`DXSPOTS_API_HEADER_TIMEOUT` to send a request's headers, counted from connecting or from
the end of its previous answer, and is closed when it does not (idle connections, and
slow-header clients that trickle a byte at a time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from asyncio import TimerHandle
from collections.abc import Callable
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]


class ClientGoneError(Exception):
    """The client left, or stopped reading: nothing more is sent to it."""


class ClientGuard:
    """Drop clients that do not read; stop streamed answers whose client left."""

    def __init__(
        self, app: Any, *, send_timeout_s: float, on_drop: Callable[[str], None] | None = None
    ) -> None:
        self.app = app
        self.send_timeout_s = send_timeout_s
        self.on_drop = on_drop
        """Told why, each time a client is dropped ("left", "stopped reading")."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        task = asyncio.current_task()
        assert task is not None
        gone: list[str] = []  # why the client is gone (empty while it is here)
        watcher: asyncio.Task[None] | None = None

        async def watch() -> None:
            # Only a streamed answer reaches here, after its headers: the request (a GET)
            # has no more body, so receive() answers only when the client goes away.
            while (await receive())["type"] != "http.disconnect":
                pass
            if not gone:
                gone.append("left")
                task.cancel()

        async def guarded_send(message: Message) -> None:
            nonlocal watcher
            if gone:
                raise ClientGoneError(gone[0])
            try:
                async with asyncio.timeout(self.send_timeout_s):
                    await send(message)
            except TimeoutError:
                gone.append("stopped reading")
                await _abort(scope)
                raise ClientGoneError(gone[0]) from None
            if message["type"] == "http.response.start" and not _has_length(message):
                watcher = asyncio.create_task(watch(), name="client-watch")

        try:
            await self.app(scope, receive, guarded_send)
        except ClientGoneError:
            self._dropped(scope, gone)
        except asyncio.CancelledError:
            if not gone or gone[0] != "left" or task.cancelling() > 1:
                raise  # the server is stopping, not our doing
            task.uncancel()
            self._dropped(scope, gone)
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    def _dropped(self, scope: Scope, gone: list[str]) -> None:
        reason = gone[0] if gone else "left"
        if self.on_drop is not None:
            self.on_drop(reason)
        if reason == "left":
            log.debug("%s: the client left; its answer was stopped", scope.get("path"))
        else:
            log.warning(
                "%s: the client read nothing for %g s and was dropped",
                scope.get("path"), self.send_timeout_s,
            )  # fmt: skip


ABORT_KEY = "dxspots.abort_connection"
"""Where `GuardedHttpTools` puts, in each request's scope, a way to drop its connection."""


async def _abort(scope: Scope) -> None:
    """Drop the connection of a client that stopped reading, unsent data and all.

    A plain close would wait for the client to read what is buffered, which it will not:
    its socket and buffers would stay. Once the loop has run the protocol's connection_lost,
    the server knows the client is gone and the unfinished answer is no error.
    """
    abort = scope.get(ABORT_KEY)
    if abort is not None:
        abort()
        for _ in range(2):
            await asyncio.sleep(0)


def _has_length(message: Message) -> bool:
    return any(name.lower() == b"content-length" for name, _ in message.get("headers", ()))


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections that do not send their headers."""

    header_timeout_s: ClassVar[float] = 10.0
    """Set from `DXSPOTS_API_HEADER_TIMEOUT` by the entry point, before the server starts."""

    _header_timer: TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope[ABORT_KEY] = self.transport.abort  # type: ignore[literal-required]

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)  # their headers are in already
        super().on_response_complete()
        if not pipelined:
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        busy = self.cycle is not None and not self.cycle.response_complete
        if not busy and not self.transport.is_closing():
            log.debug("closing a connection that sent no complete request in time")
            self.transport.close()

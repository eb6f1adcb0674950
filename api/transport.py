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
import socket
from asyncio import TimerHandle
from collections.abc import Callable
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.errors import first_line

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
        sent: list[str] = []  # "started", then "finished"
        watcher: asyncio.Task[None] | None = None

        async def watch() -> None:
            # Only a streamed answer reaches here, after its headers: the request (a GET)
            # has no more body, so receive() answers only when the client goes away (or,
            # once the answer is complete, at once: that is no leaving).
            while (await receive())["type"] != "http.disconnect":
                pass
            if not gone and "finished" not in sent:
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
            if message["type"] == "http.response.start":
                sent.append("started")
                if not _has_length(message):
                    watcher = asyncio.create_task(watch(), name="client-watch")
            elif not message.get("more_body", False):
                sent.append("finished")

        try:
            await self.app(scope, receive, guarded_send)
        except ClientGoneError:
            self._dropped(scope, gone)
        except asyncio.CancelledError:
            if not gone or gone[0] != "left" or task.cancelling() > 1:
                raise  # the server is stopping, not our doing
            task.uncancel()
            self._dropped(scope, gone)
        except Exception as error:
            if not sent:
                raise  # before the answer began: the app's error handlers had their turn
            # A failure in the middle of a streamed answer (a CSV export whose query was
            # cancelled, a database gone): its status went out long ago. Cut the
            # connection, so that the client sees the answer is incomplete, and say so.
            log.warning(
                "%s: the answer failed after it began and was cut: %s: %s",
                scope.get("path"), type(error).__name__, first_line(error),
            )  # fmt: skip
            await _abort(scope)
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
SMALL_BUFFER_KEY = "dxspots.small_send_buffer"
"""... and a way to give its connection a small kernel send buffer (`small_send_buffer`)."""
STREAM_SEND_BUFFER = 64 * 1024
"""Kernel send buffer of a live-stream connection. Left to itself the kernel grows it to
4 MiB (tcp_wmem) for a client that does not read: 200 such clients held 790 MB of kernel
memory, and the send timeout saw nothing until those 4 MiB were full."""


STREAM_WRITE_BUFFER = 16 * 1024
"""What a stream's transport buffers in the process before a send waits (uvloop: 64 KiB)."""


def small_send_buffer(scope: Scope) -> None:
    """Give the request's connection a small send buffer (for streams of small events;
    downloads keep the kernel's autotuning, which long fat links need)."""
    shrink = scope.get(SMALL_BUFFER_KEY)
    if shrink is not None:
        shrink()


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


USER_TIMEOUT_MARGIN_S = 5.0
"""Unacknowledged data ends a connection this long after the send timeout (in the kernel)."""


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, bounding what one connection may hold and for how long.

    - A request must be complete (headers and any body) within `header_timeout_s` of the
      connection opening or of the previous answer ending; else the connection is closed.
    - Data the client does not acknowledge within `send_timeout_s` (and a margin) ends the
      connection (TCP_USER_TIMEOUT), however the answer was sent: a client that never reads a large
      JSON answer does not keep it in memory.
    - A connection that ends, and one that the server drops on shutdown, ends every request
      of it still answering, not only the newest (uvicorn marks only the newest when
      requests are pipelined behind a stream).
    """

    header_timeout_s: ClassVar[float] = 10.0
    """Set from `DXSPOTS_API_HEADER_TIMEOUT` by the entry point, before the server starts."""
    send_timeout_s: ClassVar[float] = 30.0
    """Set from `DXSPOTS_API_SEND_TIMEOUT` by the entry point, before the server starts."""

    _header_timer: TimerHandle | None = None
    _request_done = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._cycles: list[Any] = []
        sock = transport.get_extra_info("socket")
        if sock is not None and hasattr(socket, "TCP_USER_TIMEOUT"):
            with contextlib.suppress(OSError):
                # A little later than ClientGuard's own send timeout, which says why.
                milliseconds = int((self.send_timeout_s + USER_TIMEOUT_MARGIN_S) * 1000)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, milliseconds)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_done = False
        self.scope[ABORT_KEY] = self.transport.abort  # type: ignore[literal-required]
        self.scope[SMALL_BUFFER_KEY] = self._small_send_buffer  # type: ignore[literal-required]

    def _small_send_buffer(self) -> None:
        self.transport.set_write_buffer_limits(high=STREAM_WRITE_BUFFER)
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, STREAM_SEND_BUFFER)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.cycle is not None:
            self._cycles = [c for c in self._cycles if not c.response_complete]
            self._cycles.append(self.cycle)

    def on_message_complete(self) -> None:
        self._request_done = True
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)  # their requests are in already
        super().on_response_complete()
        if not pipelined:
            self._arm()

    def timeout_keep_alive_handler(self) -> None:
        # uvicorn closes an idle kept-alive connection; a close waits until the client
        # has read what is buffered, which a stalled client never does.
        if not self.transport.is_closing() and self.transport.get_write_buffer_size():
            self.transport.abort()
            return
        super().timeout_keep_alive_handler()

    def shutdown(self) -> None:
        # A stream never completes by itself: end it now (its client reconnects), rather
        # than have the server wait out its grace period and cancel it.
        if (
            self.cycle is not None
            and self.cycle.response_started
            and not (self.cycle.response_complete)
        ):
            self.transport.abort()
            return
        super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
        for cycle in self._cycles:  # the newest is done by uvicorn; the others here
            if not cycle.response_complete and not cycle.disconnected:
                cycle.disconnected = True
                cycle.message_event.set()
        self._cycles = []

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
        answering = (
            self._request_done and self.cycle is not None and not self.cycle.response_complete
        )
        if answering or self.transport.is_closing():
            return
        log.debug("closing a connection that sent no complete request in time")
        if self.transport.get_write_buffer_size():
            self.transport.abort()  # a close would wait for a client that does not read
        else:
            self.transport.close()

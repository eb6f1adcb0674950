"""systemd's notify protocol: READY=1 once collecting, WATCHDOG=1 while the loop is alive.

A datagram to the socket systemd names in `NOTIFY_SOCKET` (read by the entry point and passed
in); nothing at all when there is none, as when run by hand.
"""

from __future__ import annotations

import asyncio
import logging
import socket

log = logging.getLogger(__name__)


class Notifier:
    """Send `sd_notify` messages to one socket (or nowhere)."""

    def __init__(self, socket_path: str | None, watchdog_usec: int | None = None) -> None:
        self.address = socket_path
        if socket_path and socket_path.startswith("@"):  # an abstract socket
            self.address = "\0" + socket_path[1:]
        self.watchdog_seconds = watchdog_usec / 1e6 if watchdog_usec else None

    def send(self, message: str) -> None:
        """Send one message; a failure is logged, never raised."""
        if not self.address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode(), self.address)
        except OSError as error:
            log.warning("sd_notify to %s failed: %s", self.address, error)

    async def watchdog(self) -> None:
        """Send WATCHDOG=1 at half the interval systemd asked for, until cancelled."""
        if self.watchdog_seconds is None:
            return
        while True:
            self.send("WATCHDOG=1")
            await asyncio.sleep(self.watchdog_seconds / 2)

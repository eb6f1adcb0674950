"""Lines the collector lost, and when: what `/healthz` and the Collector page call "recently".

A line is lost only when the database is away and the spool cannot take its batch. A total
alone cannot tell a loss an hour ago from one going on now, so each loss is kept with its
time for `window` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import UTC, datetime

from dxspots.db.nodestatus import LOSS_WINDOW_S


class LossLog:
    """Losses of the last `window` seconds; written by the writer thread, read by the loop."""

    def __init__(self, window: float = LOSS_WINDOW_S) -> None:
        self.window = window
        self.last_at: datetime | None = None
        """When lines were last lost (UTC)."""
        self._events: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def add(self, lines: int) -> None:
        """Note `lines` lost now."""
        with self._lock:
            self._events.append((time.monotonic(), lines))
            self.last_at = datetime.now(UTC)
            self._forget(time.monotonic())

    def recent(self) -> int:
        """Lines lost within the last `window` seconds."""
        with self._lock:
            self._forget(time.monotonic())
            return sum(lines for _, lines in self._events)

    def _forget(self, now: float) -> None:
        events = self._events
        while events and now - events[0][0] > self.window:
            events.popleft()

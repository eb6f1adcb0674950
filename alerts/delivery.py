"""Alerts handed to their channels: one worker thread per channel, so a slow or failing
channel delays only its own alerts. A send that fails is tried again after 2, 4, 8 ... s (at
most `RETRY_MAX_S` apart), `ATTEMPTS` times in all, then given up; each failure is logged
with the channel's shown URL (no secrets) and counted."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from alerts.channels import Channel

log = logging.getLogger("dxspots.alerts")

RETRY_FIRST_S = 2.0
RETRY_MAX_S = 300.0
ATTEMPTS = 8
QUEUE_MAX = 10_000
"""Alerts waiting for one channel past which new ones are dropped (and counted): a channel
down for hours must not grow the process without bound."""


@dataclass(slots=True)
class Alert:
    """One message for one channel."""

    rule: str
    title: str
    text: str
    spot_json: str
    attempts: int = 0


@dataclass(slots=True)
class _Worker:
    channel: Channel
    queue: list[tuple[float, int, Alert]] = field(default_factory=list)
    ready: threading.Condition = field(default_factory=threading.Condition)
    thread: threading.Thread | None = None


class Delivery:
    """Send alerts on per-channel workers, with retries; `counts` says what happened."""

    def __init__(self, *, retry_first_s: float = RETRY_FIRST_S, attempts: int = ATTEMPTS,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.retry_first_s = retry_first_s
        self.attempts = attempts
        self.clock = clock
        self.counts: Counter[str] = Counter()
        self._workers: dict[str, _Worker] = {}
        self._order = itertools.count()
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def submit(self, channel: Channel, alert: Alert) -> None:
        """Queue `alert` for `channel` (started on first use); returns at once."""
        with self._lock:
            worker = self._workers.get(channel.url)
            if worker is None:
                worker = self._workers[channel.url] = _Worker(channel)
                worker.thread = threading.Thread(
                    target=self._run, args=(worker,), daemon=True, name=f"alerts {channel.shown}"
                )
                worker.thread.start()
        with worker.ready:
            if len(worker.queue) >= QUEUE_MAX:
                self.counts["dropped"] += 1
                log.error("alerts to %s are %d behind: one dropped", channel.shown, QUEUE_MAX)
                return
            heapq.heappush(worker.queue, (self.clock(), next(self._order), alert))
            worker.ready.notify()

    def _run(self, worker: _Worker) -> None:
        while not self._stopping.is_set():
            with worker.ready:
                while not self._stopping.is_set():
                    wait = worker.queue[0][0] - self.clock() if worker.queue else 1.0
                    if worker.queue and wait <= 0:
                        _, _, alert = heapq.heappop(worker.queue)
                        break
                    worker.ready.wait(timeout=min(max(wait, 0.01), 1.0))
                else:
                    return
            self._send(worker, alert)

    def _send(self, worker: _Worker, alert: Alert) -> None:
        alert.attempts += 1
        try:
            sent = worker.channel.send(alert.title, alert.text, alert.spot_json)
        except Exception:  # a plugin's own bug: counted as a failed send, never a dead worker
            log.exception("sending to %s failed", worker.channel.shown)
            sent = False
        if sent:
            self.counts["sent"] += 1
            log.info("alert %r (rule %s) sent to %s", alert.title, alert.rule, worker.channel.shown)
            return
        if alert.attempts >= self.attempts:
            self.counts["given up"] += 1
            log.error("alert %r (rule %s) to %s failed %d times: given up", alert.title,
                      alert.rule, worker.channel.shown, alert.attempts)  # fmt: skip
            return
        delay = min(self.retry_first_s * 2 ** (alert.attempts - 1), RETRY_MAX_S)
        self.counts["retried"] += 1
        log.warning(
            "alert %r (rule %s) to %s failed (attempt %d): again in %.0f s",
            alert.title, alert.rule, worker.channel.shown, alert.attempts, delay,
        )  # fmt: skip
        with worker.ready:
            heapq.heappush(worker.queue, (self.clock() + delay, next(self._order), alert))

    def stop(self, timeout_s: float = 10.0) -> None:
        """Let the queues drain for up to `timeout_s` (what is due now), then stop."""
        deadline = self.clock() + timeout_s
        while self.clock() < deadline and any(
            worker.queue and worker.queue[0][0] <= self.clock() for worker in self._workers.values()
        ):
            time.sleep(0.05)
        self._stopping.set()
        for worker in self._workers.values():
            with worker.ready:
                worker.ready.notify_all()
            if worker.thread is not None:
                worker.thread.join(timeout=2)

"""Alerts handed to their channels: one worker thread per channel, so a slow, hanging or
failing channel delays only its own alerts. A send that fails is tried again after 2, 4, 8 ...
s (at most `RETRY_MAX_S` apart), `ATTEMPTS` times in all, then given up; each failure is
logged with the channel's shown URL (no secrets) and counted.

A channel for people (e-mail, a push) gets the alerts waiting for it together, up to
`DIGEST_MAX` in one message, rather than one message each: in a pile-up, or while a service
holds sends apart (apprise spaces e-mails 5.5 s), the phone buzzes once with the list, not
forty times. A webhook gets one request per spot: it is a program and wants the spot.

Every alert's end (sent, given up, dropped) is kept in `outcomes` until `take_outcomes`, for
the alerts log the dashboard shows."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alerts.channels import Channel
from dxspots.db.alertlog import Outcome

log = logging.getLogger("dxspots.alerts")

RETRY_FIRST_S = 2.0
RETRY_MAX_S = 300.0
ATTEMPTS = 8
QUEUE_MAX = 10_000
"""Alerts waiting for one channel past which new ones are dropped (and counted): a channel
down for hours must not grow the process without bound."""
DIGEST_MAX = 30
"""The most alerts one message to a person carries."""
STOP_S = 6.0
"""How long a stop lets the due alerts go out: less than the 10 s `dxspots up` and compose give
a child before they kill it, so the outcomes are logged first."""
OUTCOMES_MAX = 50_000
"""Outcomes kept for the log past which the oldest are forgotten (the database is away)."""


@dataclass(slots=True)
class Alert:
    """One message for one channel."""

    rule: str
    title: str
    text: str
    line: str
    """The alert in one line, for a digest."""
    spot_json: str
    spot: dict[str, Any] = field(default_factory=dict)
    needed: str | None = None
    attempts: int = 0


@dataclass(slots=True)
class _Worker:
    channel: Channel
    queue: list[tuple[float, int, Alert]] = field(default_factory=list)
    ready: threading.Condition = field(default_factory=threading.Condition)
    thread: threading.Thread | None = None
    sending: list[Alert] = field(default_factory=list)
    """What the worker is sending now (empty between sends)."""


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
        self._outcomes: list[Outcome] = []

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
                self._end(worker, [alert], "dropped")
                log.error("alerts to %s are %d behind: one dropped", channel.shown, QUEUE_MAX)
                return
            heapq.heappush(worker.queue, (self.clock(), next(self._order), alert))
            worker.ready.notify()

    def take_outcomes(self) -> list[Outcome]:
        """The outcomes since the last call (oldest first), for the alerts log."""
        with self._lock:
            taken, self._outcomes = self._outcomes, []
        return taken

    def _count(self, what: str, how_many: int) -> None:
        with self._lock:  # the workers and `submit` count from several threads
            self.counts[what] += how_many

    def _end(self, worker: _Worker, alerts: list[Alert], outcome: str) -> None:
        at = datetime.now(UTC)
        with self._lock:
            self.counts[outcome] += len(alerts)
            self._outcomes += [
                Outcome(at, a.rule, worker.channel.label, outcome, a.attempts, a.spot, a.needed)
                for a in alerts
            ]
            del self._outcomes[:-OUTCOMES_MAX]

    def _run(self, worker: _Worker) -> None:
        most = 1 if worker.channel.wants_json else DIGEST_MAX
        room = worker.channel.body_limit
        while not self._stopping.is_set():
            with worker.ready:
                while not self._stopping.is_set():
                    now = self.clock()
                    wait = worker.queue[0][0] - now if worker.queue else 1.0
                    if worker.queue and wait <= 0:
                        batch = [heapq.heappop(worker.queue)[2]]
                        size = len(batch[0].line)
                        while (len(batch) < most and worker.queue and worker.queue[0][0] <= now
                               and size + 1 + len(worker.queue[0][2].line) <= room):  # fmt: skip
                            batch.append(heapq.heappop(worker.queue)[2])
                            size += 1 + len(batch[-1].line)
                        worker.sending = batch
                        break
                    worker.ready.wait(timeout=min(max(wait, 0.01), 1.0))
                else:
                    return
            try:
                self._send(worker, batch)
            finally:
                with worker.ready:
                    worker.sending = []

    def _send(self, worker: _Worker, batch: list[Alert]) -> None:
        for alert in batch:
            alert.attempts += 1
        first = batch[0]
        if len(batch) == 1:
            title, text = first.title, first.text
        else:
            title = f"{len(batch)} alerts: " + ", ".join(a.title.split(" ", 1)[0] for a in batch)
            title = title if len(title) <= 120 else title[:119] + "…"
            text = "\n".join(a.line for a in batch)
        try:
            sent = worker.channel.send(title, text, first.spot_json)
        except Exception:  # a plugin's own bug: counted as a failed send, never a dead worker
            log.exception("sending to %s failed", worker.channel.shown)
            sent = False
        what = _named(batch)
        if sent:
            self._end(worker, batch, "sent")
            log.info("%s sent to %s", what, worker.channel.shown)
            return
        over = [a for a in batch if a.attempts >= self.attempts]
        again = [a for a in batch if a.attempts < self.attempts]
        if over:
            self._end(worker, over, "given up")
            log.error("%s to %s failed %d times: given up", _named(over), worker.channel.shown,
                      over[0].attempts)  # fmt: skip
        if not again:
            return
        self._count("retried", len(again))
        log.warning("%s to %s failed (attempt %d): again in %.0f s", what,
                    worker.channel.shown, again[0].attempts, self._delay(again[0]))  # fmt: skip
        with worker.ready:  # each after its own back-off (a digest may mix fresh and retried)
            for alert in again:
                due = self.clock() + self._delay(alert)
                heapq.heappush(worker.queue, (due, next(self._order), alert))

    def _delay(self, alert: Alert) -> float:
        return min(self.retry_first_s * 2.0 ** (alert.attempts - 1), RETRY_MAX_S)

    def stop(self, timeout_s: float = STOP_S) -> None:
        """Let what is due now be sent, and the sends under way end, for up to `timeout_s`;
        then stop. What is left (waiting for a retry, or still being sent) ends as
        `abandoned`: its cool-down is claimed, so no later run sends it either."""
        deadline = self.clock() + timeout_s

        def busy(worker: _Worker) -> bool:
            with worker.ready:
                due = bool(worker.queue) and worker.queue[0][0] <= self.clock()
                return due or bool(worker.sending)

        while self.clock() < deadline and any(busy(w) for w in list(self._workers.values())):
            time.sleep(0.05)
        self._stopping.set()
        for worker in list(self._workers.values()):
            with worker.ready:
                worker.ready.notify_all()
            if worker.thread is not None:
                worker.thread.join(timeout=0.5)
            with worker.ready:
                left = [alert for _, _, alert in worker.queue] + worker.sending
                worker.queue.clear()
            if left:
                self._end(worker, left, "abandoned")
                log.warning("alerts: %d to %s not sent before the stop: abandoned", len(left),
                            worker.channel.shown)  # fmt: skip


def _named(alerts: list[Alert]) -> str:
    """Alerts as a log line names them: the one, or how many."""
    if len(alerts) == 1:
        return f"alert {alerts[0].title!r} (rule {alerts[0].rule})"
    return f"{len(alerts)} alerts"

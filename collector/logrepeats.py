"""Repeated log lines, rate-limited: the first few of a kind per interval, then a count.

telnetlib3 logs a warning for every odd telnet negotiation, so a node that flooded them once
wrote a megabyte of the same few lines; a database that is away makes the pipeline log every
lost batch. `RepeatFilter` lets the first `burst` records of a kind (logger, level and message
template, whatever its arguments) through per `interval` seconds and counts the rest. The
next one of that kind to pass ends in "(N more like this suppressed)", and `flush` hands over
the counts still pending (the collector's summary logs them once a minute).

The collector installs it on `QUIETED_LOGGERS` while it runs (a logger's filter sees only the
records made through that logger, so each is named). Its own session log lines are not among
them: they carry one line per node and event, and the back-off already spaces them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

REPEAT_INTERVAL = 60.0
REPEAT_BURST = 5
"""Records of one kind let through per interval."""
MAX_KINDS = 1000
"""Kinds remembered at once; messages built with f-strings would otherwise grow it for ever."""
QUIETED_LOGGERS = (
    "telnetlib3.client", "telnetlib3.stream_writer", "telnetlib3.stream_reader",
    "telnetlib3._base", "collector.pipeline", "collector.spool",
)  # fmt: skip

_Key = tuple[str, int, str]


@dataclass(slots=True)
class _Kind:
    start: float
    passed: int = 0
    suppressed: int = 0


class RepeatFilter(logging.Filter):
    """Let `burst` records of a kind through per `interval` seconds; count the others."""

    def __init__(self, interval: float = REPEAT_INTERVAL, burst: int = REPEAT_BURST) -> None:
        super().__init__()
        self.interval = interval
        self.burst = burst
        self._kinds: dict[_Key, _Kind] = {}
        self._lock = threading.Lock()  # records come from the writer thread too

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether `record` is logged; the first after a suppressed run says how many."""
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        suppressed = 0
        with self._lock:
            kind = self._kinds.get(key)
            if kind is None or now - kind.start >= self.interval:
                suppressed = kind.suppressed if kind is not None else 0
                if kind is None and len(self._kinds) >= MAX_KINDS:
                    self._forget(now)
                kind = self._kinds[key] = _Kind(now)
            if kind.passed >= self.burst:
                kind.suppressed += 1
                return False
            kind.passed += 1
        if suppressed:
            record.msg = f"{record.getMessage()} ({suppressed} more like this suppressed)"
            record.args = None
        return True

    def flush(self) -> list[tuple[str, str, int]]:
        """Return (logger, message template, count) for each kind with records suppressed
        since the last flush, and reset those counts."""
        with self._lock:
            pending = [(k[0], k[2], kind.suppressed) for k, kind in self._kinds.items()
                       if kind.suppressed]  # fmt: skip
            for kind in self._kinds.values():
                kind.suppressed = 0
        return pending

    def install(self, names: tuple[str, ...] = QUIETED_LOGGERS) -> None:
        """Filter the records of the loggers `names`."""
        for name in names:
            logging.getLogger(name).addFilter(self)

    def uninstall(self, names: tuple[str, ...] = QUIETED_LOGGERS) -> None:
        """Stop filtering them."""
        for name in names:
            logging.getLogger(name).removeFilter(self)

    def _forget(self, now: float) -> None:
        expired = [k for k, kind in self._kinds.items() if now - kind.start >= self.interval]
        for key in expired or list(self._kinds):
            del self._kinds[key]

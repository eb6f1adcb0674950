"""The spool: batches the database could not take, kept on disk until it can.

An append-only file in the data directory, one JSON object per batch (the raw lines with
their received time and node, so a replay parses them exactly as the first time), fsynced
per batch. `replay` yields the batches in order; `clear` empties the file once all of them
are stored. The file has a size cap: a warning is logged when it passes `warn_fraction` of
it, and once full further batches are refused (counted and logged as an error) rather than
filling the disk. `has_room` says whether the next batch would still fit, which is what
`/healthz` asks.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from collector.linereader import GarbledLine

log = logging.getLogger(__name__)

RawLine = tuple[str, datetime, str | None]
"""A line as read: (text, received_at, node); the text may be a `GarbledLine`."""
GARBLED_MARK = "garbled"
"""A spooled line's fourth field when it is a `GarbledLine` (absent otherwise)."""


class SpoolFullError(OSError):
    """The spool reached its size cap; the batch was not kept."""


class Spool:
    """An append-only file of batches."""

    def __init__(self, path: Path, cap_bytes: int = 1 << 30, warn_fraction: float = 0.8) -> None:
        self.path = path
        self.cap_bytes = cap_bytes
        self.warn_fraction = warn_fraction
        self.refused_batches = 0
        self.largest_batch = 0
        """Bytes of the largest batch offered since the spool was last cleared."""
        self._warned = False

    @property
    def size(self) -> int:
        """Bytes in the spool now."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    @property
    def refused_path(self) -> Path:
        """Where batches the database refused outright are kept for a person to look at."""
        return self.path.with_name(self.path.stem + ".refused.jsonl")

    def keep_refused(self, batch: list[RawLine]) -> None:
        """Keep a batch the database refused (not an outage) aside, out of the replay; raise
        `OSError` when it cannot be written (the caller counts the lines lost)."""
        _append(self.refused_path, _encode(batch))

    def has_room(self) -> bool:
        """Whether a batch as large as the largest offered since the spool was last cleared
        would fit now."""
        return self.size + self.largest_batch <= self.cap_bytes

    def append(self, batch: list[RawLine]) -> None:
        """Add a batch durably (fsync); raise `SpoolFullError` when over the cap."""
        data = _encode(batch)
        self.largest_batch = max(self.largest_batch, len(data))
        size = self.size
        if size + len(data) > self.cap_bytes:
            self.refused_batches += 1
            log.error("spool %s is full (%d bytes): %d lines not kept", self.path, size, len(batch))
            raise SpoolFullError(f"spool full at {size} bytes")
        _append(self.path, data)
        if not self._warned and size + len(data) > self.warn_fraction * self.cap_bytes:
            self._warned = True
            log.warning("spool %s is %.0f%% full: is the database down?", self.path,
                        100 * (size + len(data)) / self.cap_bytes)  # fmt: skip

    def replay(self) -> Iterator[list[RawLine]]:
        """Yield the spooled batches in order. A torn last batch (a crash mid-write) is
        skipped with a warning; every complete one is yielded."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as spool:
            for number, text in enumerate(spool, start=1):
                try:
                    yield [_decode(row) for row in json.loads(text)]
                except (ValueError, TypeError):
                    log.warning("spool %s: batch %d is torn and skipped", self.path, number)

    def clear(self) -> None:
        """Empty the spool (after every batch in it was stored)."""
        self.path.unlink(missing_ok=True)
        self.largest_batch = 0
        self._warned = False


def _encode(batch: list[RawLine]) -> bytes:
    rows = [
        [line, at.isoformat(), node, GARBLED_MARK] if type(line) is GarbledLine
        else [line, at.isoformat(), node]
        for line, at, node in batch
    ]  # fmt: skip
    return (json.dumps(rows) + "\n").encode("utf-8")


def _decode(row: list[str | None]) -> RawLine:
    line, at, node, *marks = row
    if not isinstance(line, str) or not isinstance(at, str):
        raise TypeError("not a spooled line")
    return (GarbledLine(line) if GARBLED_MARK in marks else line), datetime.fromisoformat(at), node


def _append(path: Path, data: bytes) -> None:
    """Append one batch and fsync. A torn last batch (a crash mid-write) is ended with a
    newline first, so it cannot swallow this one; short writes are retried."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)

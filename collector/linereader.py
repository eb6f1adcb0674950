"""Lines out of a node's byte stream: LF-framed, bounded, decoded as Latin-1.

Nodes split CR/LF across packets, send BEL and NUL as keepalives, and now and then a line
that never ends. `LineReader.feed` takes bytes as they come and returns whole lines; a line
longer than `max_line` is cut off, counted in `overflows` and returned once as a bad line
(its first `max_line` bytes, flagged), and everything up to the next LF is dropped with it.
Prompts without a newline (`login: `) stay in `pending` for the login logic to look at.
A line that arrived together with telnet commands is handed on as a `GarbledLine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LINE = 8192
"""Bytes a line may have; real cluster lines are under 200."""


class GarbledLine(str):
    """A line that arrived together with telnet commands, which may have eaten some of its
    bytes (a command cut short takes the next byte as its option). Text like any other; the
    pipeline keeps it as a rejected line when the parser does not recognise it, instead of
    dropping it as chatter."""

    __slots__ = ()


@dataclass(slots=True)
class LineReader:
    """Split a byte stream into lines; keep what has not ended yet."""

    max_line: int = MAX_LINE
    overflows: int = 0
    _buffer: bytearray = field(default_factory=bytearray)
    _skipping: bool = False

    @property
    def pending(self) -> str:
        """The bytes received since the last LF, decoded (a prompt, or a partial line)."""
        return self._buffer.decode("latin-1")

    def feed(self, data: bytes) -> list[tuple[str, bool]]:
        """Take bytes; return the lines they complete as (text, overflowed), in order."""
        out: list[tuple[str, bool]] = []
        buffer = self._buffer
        buffer += data
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            if self._skipping:
                self._skipping = False
            elif end - start > self.max_line:  # its LF came in a later packet
                self.overflows += 1
                out.append((buffer[start : start + self.max_line].decode("latin-1"), True))
            else:
                out.append((buffer[start:end].decode("latin-1"), False))
            start = end + 1
        del buffer[:start]
        if len(buffer) > self.max_line:
            if not self._skipping:
                self.overflows += 1
                out.append((buffer[: self.max_line].decode("latin-1"), True))
                self._skipping = True
            buffer.clear()
        return out

    def lines(self, data: bytes) -> list[str]:
        """`feed`, without the overflow flags (an overflowed line is cut at `max_line`, and
        the parser refuses it as too long)."""
        return [line for line, _ in self.feed(data)]

    def clear(self) -> None:
        """Forget what is pending (after a reconnect)."""
        self._buffer.clear()
        self._skipping = False

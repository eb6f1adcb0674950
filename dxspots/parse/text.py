"""Line cleaning shared by every wire format: what telnet leaves around the text."""

from __future__ import annotations

import re

# ANSI escape sequences (colour, cursor), then the control bytes nodes sprinkle in:
# BEL keepalives and beeps, NUL padding, stray CR from split CR/LF pairs.
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_CHARS = frozenset(chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F))


def clean_line(line: str) -> str:
    """Strip line endings, ANSI sequences and control bytes; turn tabs and no-break spaces
    into spaces. Printable text, Latin-1 letters included, is kept as it is."""
    line = line.rstrip("\r\n\x07\x00")  # line ending, trailing BEL beeps and NUL padding
    if line.isprintable():  # the common case: nothing to remove (C speed)
        return line
    if "\x1b" in line:
        line = _ANSI_RE.sub("", line)
    if not _CONTROL_CHARS.isdisjoint(line):
        line = _CONTROL_RE.sub("", line)
    if "\t" in line:
        line = line.replace("\t", " ")
    if "\xa0" in line:
        line = line.replace("\xa0", " ")
    return line


def decode_line(data: bytes) -> str:
    """Decode bytes from a node: Latin-1, which maps every byte and so never drops one."""
    return data.decode("latin-1")

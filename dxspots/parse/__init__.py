"""Turn one received line into a record: a spot, a WWV/WCY report, an announcement, or other.

`parse_line` is the one entry point. Every function here is pure and never raises on input:
whatever a node sends, the answer is a record, and a line that is not understood comes back
as `Other` with its raw text and the reason, so nothing is guessed and nothing is lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from dxspots.parse.cc11 import parse_cc11
from dxspots.parse.dxde import parse_dx_de
from dxspots.parse.fields import MAX_LINE
from dxspots.parse.messages import parse_announcement, parse_talk
from dxspots.parse.shdx import SHDX_RE, parse_shdx
from dxspots.parse.solar import parse_solar, parse_solar_history
from dxspots.parse.text import clean_line, decode_line
from dxspots.spot import Other, Record, Spot

__all__ = ["clean_line", "decode_line", "parse_line"]


_fast_dx_de: Callable[[str, datetime, str | None], Spot | None] | None
try:  # the optional C reader of common DX de lines (_cdxde.pyx); it imports .clock, .fields
    from dxspots.parse._cdxde import read_line as _fast_dx_de
except ModuleNotFoundError as missing:  # built without Cython or a compiler
    if missing.name != "dxspots.parse._cdxde":
        raise
    _fast_dx_de = None


def parse_line(line: str, received_at: datetime, node: str | None = None) -> Record:
    """Parse one line received at `received_at` (timezone-aware UTC) from `node`.

    The line may still carry its line ending, BEL/NUL bytes or ANSI codes; they are removed
    first and the cleaned text is what the record keeps as `raw`.
    """
    try:
        # Fast paths for the bulk of a feed: a clean `DX de` line, read in C when it is built.
        if _fast_dx_de is not None:
            spot = _fast_dx_de(line, received_at, node)
            if spot is not None:
                return spot
        if line[:6] == "DX de " and len(line) <= MAX_LINE:
            text = line.rstrip("\r\n\x07\x00")
            if text.isprintable():
                return parse_dx_de(text, received_at, node)
        return _dispatch(clean_line(line), received_at, node)
    except Exception as error:  # pragma: no cover - a bug here must not lose the line
        return Other(clean_line(line), received_at, f"parser error: {type(error).__name__}", node)


def _dispatch(line: str, received_at: datetime, node: str | None) -> Record:
    if not line or line.isspace():
        return Other(line, received_at, "empty", node)
    if len(line) > MAX_LINE:
        return Other(line, received_at, "too long", node)
    if line[0] == " ":
        # Some nodes indent their lines. `sh/dx` and `sh/wwv` rows start with blanks and a
        # number and are read as they are; anything else is read without its blanks, which
        # stay in `raw`.
        body = line.lstrip(" ")
        if body[:6] == "DX de ":
            return parse_dx_de(line, received_at, node)
        if not body[0].isdecimal():
            return _with_raw(_dispatch(body, received_at, node), line)
    head = line[:6]
    if head == "DX de ":
        return parse_dx_de(line, received_at, node)
    if head.startswith("CC11^"):
        return parse_cc11(line, received_at, node)
    if head in ("WWV de", "WCY de"):
        return parse_solar(line, received_at, node)
    upper = head.upper()
    if upper.startswith(("TO ALL", "TO LOC", "WX DE")):
        result = parse_announcement(line, received_at, node)
        if isinstance(result, Other):
            talk = parse_talk(line, received_at, node)
            return talk if talk is not None else result
        return result
    first = line[0]
    if first == " " or first.isdecimal():
        shdx = SHDX_RE.match(line)
        if shdx is not None:
            return parse_shdx(shdx, line, received_at, node)
        history = parse_solar_history(line, received_at, node)
        if history is not None:
            return history
    if " de " in line:
        talk = parse_talk(line, received_at, node)
        if talk is not None:
            return talk
    return Other(line, received_at, "unrecognised", node)


def _with_raw(record: Record, raw: str) -> Record:
    """The record with `raw` set to the line as received."""
    if isinstance(record, Spot):
        return record._replace(raw=raw)
    return dataclasses.replace(record, raw=raw)

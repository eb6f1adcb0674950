"""`DX de` lines: DXSpider, AR-Cluster and CC Cluster spots, and Reverse Beacon Network
skimmer spots, in the raw RBN form and in DXSpider's curated form.

The common layout is fixed columns (`DX de CALL:  freq  DXCALL  comment  HHMMZ tail`), but
real nodes push columns out (10 GHz frequencies, two decimals), drop the colon after the
spotter, append a grid, a US state or CQ zones after the time, put the DX's state just
before it, and some indent the line. So the line is read by tokens from both ends rather
than by column.

A spot is a skimmer's when its spotter ends `-#`, and only then; what its comment reports
is read by `dxspots.parse.report`, the same way for every wire format. A skimmer line in the
raw RBN form may come with its time missing the `Z` (`... 22 WPM  CQ  2259`): the report's
fixed layout leaves no doubt that the number after it is the time. A human line ending in
four digits is refused instead: it may have been cut short (`QSX 1200`).
"""

from __future__ import annotations

import re
from datetime import datetime

from dxspots.parse.clock import spot_time
from dxspots.parse.fields import (
    TWO_DIGITS,
    call_token,
    frequency,
    split_state_before_time,
    tail_fields,
)
from dxspots.parse.report import read_human_snr, read_skimmer_report
from dxspots.spot import UNENRICHED, Other, Spot

# One pass over the whole line. The comment is greedy, so the time taken is the last
# `HHMMZ` that is followed by at most one more word: a time inside the comment ("QRV 1200Z")
# stays in the comment. That word must be one nodes put there (a grid, a state, a zone);
# anything else means the line was cut short and its time is unknown.
_DX_RE = re.compile(
    r"DX de ([^\s:]+):?\s*(\d+(?:\.\d*)?)\s+(\S+)(.*)\s(\d\d)(\d\d)Z(?:\s+(\S+))?\s*$"
)
# A skimmer line whose time lost its `Z`: the time is the last word, alone.
_DX_NO_Z_RE = re.compile(r"DX de ([^\s:]+):?\s*(\d+(?:\.\d*)?)\s+(\S+)(.*)\s(\d\d)(\d\d)\s*$")
_DX_START_RE = re.compile(r"DX de ([^\s:]+):?\s*(\d+(?:\.\d*)?)\s+(\S+)")
_new = tuple.__new__  # builds a Spot without NamedTuple's keyword-handling __new__
_ZONE_BEFORE_TIME_RE = re.compile(r"(?:^|\s\s)(\d{1,2})\s*$")


def parse_dx_de(line: str, received_at: datetime, node: str | None) -> Spot | Other:
    """Parse a line starting `DX de ` after any blanks; a line that breaks the format comes
    back as `Other`. The blanks stay in `raw`."""
    start = len(line) - len(line.lstrip(" ")) if line[:1] == " " else 0
    match = _DX_RE.match(line, start)
    stamped = match is not None
    if match is None:
        match = _DX_NO_Z_RE.match(line, start)
        if match is None or not match[1].endswith("-#"):
            return Other(line, received_at, _why_not(line, start), node)
    spotter_text, freq_text, call_text, comment, hour_text, minute_text = match.groups()[:6]
    tail = match[7] if stamped else None
    freq = frequency(freq_text)
    if freq is None:
        return Other(line, received_at, "bad frequency", node)
    spotter = call_token(spotter_text)
    dx_call = call_token(call_text)
    if spotter is None or dx_call is None:
        return Other(line, received_at, "bad callsign", node)
    hour, minute = TWO_DIGITS[hour_text], TWO_DIGITS[minute_text]
    if hour > 23 or minute > 59:
        return Other(line, received_at, "bad time" if stamped else "no time", node)

    spotter_locator = spotter_state = None
    if tail is not None:
        if tail.isdecimal() and len(tail) <= 2:
            # DXSpider `set/dxcq`: the DX's CQ zone before the time, the spotter's after.
            zone = _ZONE_BEFORE_TIME_RE.search(comment)
            if zone is not None:
                comment = comment[: zone.start()]
        else:
            spotter_locator, spotter_state = tail_fields(tail)
            if spotter_locator is None and spotter_state is None:
                return Other(line, received_at, "no time", node)
    comment, dx_state = split_state_before_time(comment)

    is_skimmer = spotter.endswith("-#")
    mode = snr = wpm = bps = spot_type = locator = None
    source = "dx"
    report = read_skimmer_report(comment) if is_skimmer else None
    if report is not None:
        source = "rbn"
        comment, mode, snr, wpm, bps, spot_type, locator, extension_state, raw_form = report
        if dx_state is None:
            dx_state = extension_state
        if not stamped and not raw_form:
            return Other(line, received_at, "no time", node)
    elif not stamped:
        return Other(line, received_at, "no time", node)
    elif not is_skimmer:
        snr = read_human_snr(comment)
    return _new(
        Spot,
        (
            spot_time(hour, minute, received_at),
            freq,
            dx_call,
            spotter,
            comment,
            received_at,
            line,
            source,
            node,
            snr,
            wpm,
            bps,
            spot_type,
            is_skimmer,
            spotter_locator,
            dx_state,
            spotter_state,
            None,
            mode,
            locator,
        )
        + UNENRICHED,
    )


def _why_not(line: str, start: int) -> str:
    """Say which part of a `DX de` line is missing."""
    return "no time" if _DX_START_RE.match(line, start) else "truncated spot"

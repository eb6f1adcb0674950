"""`DX de` lines: DXSpider, AR-Cluster and CC Cluster spots, and Reverse Beacon Network
skimmer spots, in the raw RBN form and in DXSpider's curated form.

The common layout is fixed columns (`DX de CALL:  freq  DXCALL  comment  HHMMZ tail`), but
real nodes push columns out (10 GHz frequencies, two decimals), drop the colon after the
spotter, append a grid, a US state or CQ zones after the time, and put the DX's state just
before it. So the line is read by tokens from both ends rather than by column.
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
from dxspots.spot import UNENRICHED, Other, Spot

# One pass over the whole line. The comment is greedy, so the time taken is the last
# `HHMMZ` that is followed by at most one more word: a time inside the comment ("QRV 1200Z")
# stays in the comment. That word must be one nodes put there (a grid, a state, a zone);
# anything else means the line was cut short and its time is unknown.
_DX_RE = re.compile(
    r"DX de ([^\s:]+):?\s*(\d+(?:\.\d*)?)\s+(\S+)(.*)\s(\d\d)(\d\d)Z(?:\s+(\S+))?\s*$"
)
_DX_START_RE = re.compile(r"DX de ([^\s:]+):?\s*(\d+(?:\.\d*)?)\s+(\S+)")

# Raw RBN: "CW    24 dB  22 WPM  NCDXF B", "FT8  -12 dB  FN42  CQ", "  23 dB  CQ" (no mode).
_RBN_RE = re.compile(
    r"(?:([A-Z][A-Z0-9]{1,7})\s+)?([-+]?\d{1,3})\s?dB"
    r"(?:\s+(?:(\d{1,4})\s?(WPM|BPS)|([A-R]{2}\d\d(?:[A-X]{2})?)))?"
    r"(?:\s+(NCDXF B|BEACON|CQ|DX))?\s*$"
)
# DXSpider's curated RBN: "CW  23dB Q:9* Z:20", "FT8 -14dB Q:4 Z:4,5".
_RBN_CURATED_RE = re.compile(
    r"([A-Z][A-Z0-9]{1,7})\s+([-+]?\d{1,3})dB\s+Q:\d+[*+]*(?:\s+Z:[\d,]+)?"
)
_new = tuple.__new__  # builds a Spot without NamedTuple's keyword-handling __new__
_ZONE_BEFORE_TIME_RE = re.compile(r"(?:^|\s\s)(\d{1,2})\s*$")


def parse_dx_de(line: str, received_at: datetime, node: str | None) -> Spot | Other:
    """Parse a line starting `DX de `; a line that breaks the format comes back as `Other`."""
    match = _DX_RE.match(line)
    if match is None:
        return Other(line, received_at, _why_not(line), node)
    spotter_text, freq_text, call_text, comment, hour_text, minute_text, tail = match.groups()
    freq = frequency(freq_text)
    if freq is None:
        return Other(line, received_at, "bad frequency", node)
    spotter = call_token(spotter_text)
    dx_call = call_token(call_text)
    if spotter is None or dx_call is None:
        return Other(line, received_at, "bad callsign", node)
    hour, minute = TWO_DIGITS[hour_text], TWO_DIGITS[minute_text]
    if hour > 23 or minute > 59:
        return Other(line, received_at, "bad time", node)

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
    if is_skimmer or "dB" in comment:
        rbn = _RBN_RE.match(comment)
        if rbn is not None:
            source = "rbn"
            is_skimmer = True
            mode, snr_text, speed_text, unit, locator, spot_type = rbn.groups()
            snr = int(snr_text)
            if speed_text is not None:
                if unit == "WPM":
                    wpm = int(speed_text)
                else:
                    bps = int(speed_text)
        else:
            curated = _RBN_CURATED_RE.match(comment)
            if curated is not None:
                source = "rbn"
                is_skimmer = True
                mode = curated[1]
                snr = int(curated[2])
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


def _why_not(line: str) -> str:
    """Say which part of a `DX de` line is missing."""
    return "no time" if _DX_START_RE.match(line) else "truncated spot"

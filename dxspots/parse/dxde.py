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
from dxspots.parse.fields import call_token, frequency, split_state_before_time, tail_fields
from dxspots.spot import Other, Spot

_DX_RE = re.compile(r"DX de ([^\s:]+):?\s*(\d+(?:\.\d*)?)\s+(\S+)(.*)$")
_TIME_AT_END_RE = re.compile(r"(?:^|\s)(\d\d)(\d\d)Z(?:\s+(\S+))?\s*$")

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
_ZONE_BEFORE_TIME_RE = re.compile(r"\s\s(\d{1,2})$")


def parse_dx_de(line: str, received_at: datetime, node: str | None) -> Spot | Other:
    """Parse a line starting `DX de `; a line that breaks the format comes back as `Other`."""
    match = _DX_RE.match(line)
    if match is None:
        return Other(line, received_at, "truncated spot", node)
    spotter_text, freq_text, call_text, rest = match.groups()
    freq = frequency(freq_text)
    if freq is None:
        return Other(line, received_at, "bad frequency", node)
    spotter = call_token(spotter_text)
    dx_call = call_token(call_text)
    if spotter is None or dx_call is None:
        return Other(line, received_at, "bad callsign", node)
    end = _TIME_AT_END_RE.search(rest)
    if end is None:
        return Other(line, received_at, "no time", node)
    hour, minute = int(end[1]), int(end[2])
    if hour > 23 or minute > 59:
        return Other(line, received_at, "bad time", node)
    comment = rest[: end.start()].strip()
    tail = end[3]

    spotter_locator = spotter_state = dx_state = None
    if tail is not None:
        if tail.isdigit() and len(tail) <= 2:
            # DXSpider `set/dxcq`: the DX's CQ zone before the time, the spotter's after.
            zone = _ZONE_BEFORE_TIME_RE.search(rest[: end.start()])
            if zone is not None:
                comment = rest[: zone.start()].strip()
        else:
            spotter_locator, spotter_state = tail_fields(tail)
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
    return Spot(
        spot_time(hour, minute, received_at),
        freq,
        dx_call,
        spotter,
        comment,
        received_at,
        line,
        source,
        node,
        mode,
        snr,
        wpm,
        bps,
        spot_type,
        is_skimmer,
        locator,
        spotter_locator,
        dx_state,
        spotter_state,
    )

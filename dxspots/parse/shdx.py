"""`sh/dx` history rows: `  14025.0 UA0ZZZ      27-Nov-2026 0913Z comment  <DL1ABC>`.

These carry their own date, so a reconnecting collector can back-fill what it missed and
the rows dedupe against the live spots they overlap. The comment is read as a `DX de` line's
is (`dxspots.parse.report`), so a back-filled spot has the fields its live line has.
"""

from __future__ import annotations

import re
from datetime import datetime

from dxspots.parse.clock import at_time, parse_cluster_date, parse_hhmm
from dxspots.parse.fields import call_token, frequency
from dxspots.parse.report import read_comment
from dxspots.spot import Other, Spot

SHDX_RE = re.compile(
    r"\s*(\d+\.\d+)\s+(\S+)\s+(\d{1,2}-[A-Za-z]{3}(?:-\d{4})?)\s+(\d{4})Z\s?(.*?)\s*<([^<>\s]+)>\s*$"
)


def parse_shdx(
    match: re.Match[str], line: str, received_at: datetime, node: str | None
) -> Spot | Other:
    """Build a spot from a matched `sh/dx` row."""
    freq_text, call_text, date_text, time_text, comment, spotter_text = match.groups()
    freq = frequency(freq_text)
    if freq is None:
        return Other(line, received_at, "bad frequency", node)
    dx_call = call_token(call_text)
    spotter = call_token(spotter_text)
    if dx_call is None or spotter is None:
        return Other(line, received_at, "bad callsign", node)
    day = parse_cluster_date(date_text, received_at)
    hhmm = parse_hhmm(time_text)
    if day is None or hhmm is None:
        return Other(line, received_at, "bad time", node)
    is_skimmer = spotter.endswith("-#")
    text, mode, snr, wpm, bps, spot_type, locator, dx_state = read_comment(
        comment.strip(), is_skimmer
    )
    return Spot(
        at_time(day, *hhmm),
        freq,
        dx_call,
        spotter,
        text,
        received_at,
        line,
        "shdx",
        node,
        snr_db=snr,
        wpm=wpm,
        bps=bps,
        spot_type=spot_type,
        is_skimmer=is_skimmer,
        dx_state=dx_state,
        mode=mode,
        locator=locator,
    )

"""CC Cluster's machine format (`set/ve7cc`): `CC11^freq^call^date^time^comment^spotter^...`.

Fields after the spotter, as DXSpider and CC Cluster emit them: the DX's and the spotter's
entity numbers (the node's own numbering, not ADIF), the originating node, the DX's ITU and
CQ zones, the spotter's ITU and CQ zones, the DX's and the spotter's US state, both country
names, and both grid locators. Later fields some nodes add are ignored. `~` stands for `^`
inside the comment, which is read as a `DX de` line's is (`dxspots.parse.report`).
"""

from __future__ import annotations

from datetime import datetime

from dxspots.parse.clock import at_time, parse_cluster_date, parse_hhmm
from dxspots.parse.fields import call_token, frequency, tail_fields
from dxspots.parse.report import read_comment
from dxspots.spot import Other, Spot

_MIN_FIELDS = 7  # CC11, freq, call, date, time, comment, spotter


def _field(fields: list[str], index: int) -> str | None:
    value = fields[index].strip() if index < len(fields) else ""
    return value or None


def parse_cc11(line: str, received_at: datetime, node: str | None) -> Spot | Other:
    """Parse a `CC11^` line; a line with missing or bad fields comes back as `Other`."""
    fields = line.split("^")
    if len(fields) < _MIN_FIELDS:
        return Other(line, received_at, "truncated spot", node)
    freq = frequency(fields[1].strip())
    if freq is None:
        return Other(line, received_at, "bad frequency", node)
    dx_call = call_token(fields[2].strip())
    spotter = call_token(fields[6].strip())
    if dx_call is None or spotter is None:
        return Other(line, received_at, "bad callsign", node)
    day = parse_cluster_date(fields[3].strip(), received_at)
    hhmm = parse_hhmm(fields[4].strip().removesuffix("Z"))
    if day is None or hhmm is None:
        return Other(line, received_at, "bad time", node)
    is_skimmer = spotter.endswith("-#")
    comment, mode, snr, wpm, bps, spot_type, report_locator, report_state = read_comment(
        fields[5].replace("~", "^").strip(), is_skimmer
    )
    locator = _field(fields, 18)
    spotter_locator = _field(fields, 19)
    return Spot(
        at_time(day, *hhmm),
        freq,
        dx_call,
        spotter,
        comment,
        received_at,
        line,
        "cc11",
        node,
        snr_db=snr,
        wpm=wpm,
        bps=bps,
        spot_type=spot_type,
        is_skimmer=is_skimmer,
        mode=mode,
        locator=tail_fields(locator)[0] if locator else report_locator,
        spotter_locator=tail_fields(spotter_locator)[0] if spotter_locator else None,
        dx_state=_field(fields, 14) or report_state,
        spotter_state=_field(fields, 15),
        origin_node=_field(fields, 9),
    )

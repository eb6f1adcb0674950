"""WWV and WCY propagation reports, live (`WWV de VE7CC <18Z>: SFI=...`) and as the history
rows `sh/wwv` and `sh/wcy` print."""

from __future__ import annotations

import re
from datetime import datetime

from dxspots.parse.clock import at_time, parse_cluster_date, spot_time
from dxspots.parse.fields import call_token
from dxspots.spot import Other, SolarReport

_HEAD_RE = re.compile(r"(WWV|WCY) de (\S+?)\s*(?:<(\d{1,2})Z?>|#+)?\s*:\s*(.*)$")
_PAIR_RE = re.compile(r"(\w+)=([^\s,]*)")
_WWV_FORECAST_RE = re.compile(r"K=\S*?,?\s+(.*?)\s*$")
WWV_HISTORY_RE = re.compile(
    r"(\d{1,2}-[A-Za-z]{3}-\d{4})\s+(\d{1,2})\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*?)\s*<([^<>\s]+)>\s*$"
)
WCY_HISTORY_RE = re.compile(
    r"(\d{1,2}-[A-Za-z]{3}-\d{4})\s+(\d{1,2})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)"
    r"\s+(\w+)\s+(\w+)\s+(\w+)\s*<([^<>\s]+)>\s*$"
)
# Plausible ranges: beyond them the value is garbled and left out (the raw line keeps it).
_RANGES = {"sfi": (0, 999), "a_index": (0, 400), "k_index": (0, 9), "expk": (0, 9), "r": (0, 999)}
_WCY_KEYS = {"K": "k_index", "EXPK": "expk", "A": "a_index", "R": "r", "SFI": "sfi"}
_WCY_WORDS = {"SA": "sa", "GMF": "gmf", "AU": "aurora"}


def _number(name: str, text: str) -> int | None:
    if not text.isdecimal():
        return None
    value = int(text)
    low, high = _RANGES[name]
    return value if low <= value <= high else None


def _report_time(hour_text: str | None, received_at: datetime) -> datetime:
    if hour_text is None or int(hour_text) > 23:
        return received_at.replace(minute=0, second=0, microsecond=0)
    return spot_time(int(hour_text), 0, received_at)


def parse_solar(line: str, received_at: datetime, node: str | None) -> SolarReport | Other:
    """Parse a line starting `WWV de` or `WCY de`; a truncated one comes back as `Other`."""
    match = _HEAD_RE.match(line)
    if match is None:
        return Other(line, received_at, "truncated report", node)
    kind_text, reporter_text, hour_text, body = match.groups()
    reporter = call_token(reporter_text)
    if reporter is None:
        return Other(line, received_at, "bad callsign", node)
    values: dict[str, int | str | None] = {}
    for key, value in _PAIR_RE.findall(body):
        upper = key.upper()
        name = _WCY_KEYS.get(upper)
        if name is not None:
            values[name] = _number(name, value)
        elif value and upper in _WCY_WORDS:
            values[_WCY_WORDS[upper]] = value.lower()
    get = values.get
    sfi, a_index, k_index = get("sfi"), get("a_index"), get("k_index")
    if sfi is None and a_index is None and k_index is None:
        return Other(line, received_at, "no indices", node)
    kind = kind_text.lower()
    forecast = None
    if kind == "wwv":
        tail = _WWV_FORECAST_RE.search(body)
        forecast = tail[1] or None if tail else None
    return SolarReport(
        kind,
        _report_time(hour_text, received_at),
        reporter,
        received_at,
        line,
        sfi,  # type: ignore[arg-type]
        a_index,  # type: ignore[arg-type]
        k_index,  # type: ignore[arg-type]
        get("expk"),  # type: ignore[arg-type]
        get("r"),  # type: ignore[arg-type]
        get("sa"),  # type: ignore[arg-type]
        get("gmf"),  # type: ignore[arg-type]
        get("aurora"),  # type: ignore[arg-type]
        forecast,
        node,
    )


def parse_solar_history(line: str, received_at: datetime, node: str | None) -> SolarReport | None:
    """Parse a `sh/wwv` or `sh/wcy` history row; None when the line is neither."""
    wcy = WCY_HISTORY_RE.match(line)
    if wcy is not None:
        day = parse_cluster_date(wcy[1], received_at)
        if day is None or int(wcy[2]) > 23:
            return None
        return SolarReport(
            kind="wcy",
            report_time=at_time(day, int(wcy[2]), 0),
            reporter=wcy[11].upper(),
            received_at=received_at,
            raw=line,
            sfi=_number("sfi", wcy[3]),
            a_index=_number("a_index", wcy[4]),
            k_index=_number("k_index", wcy[5]),
            expk=_number("expk", wcy[6]),
            r=_number("r", wcy[7]),
            sa=wcy[8].lower(),
            gmf=wcy[9].lower(),
            aurora=wcy[10].lower(),
            node=node,
        )
    wwv = WWV_HISTORY_RE.match(line)
    if wwv is not None:
        day = parse_cluster_date(wwv[1], received_at)
        if day is None or int(wwv[2]) > 23:
            return None
        return SolarReport(
            kind="wwv",
            report_time=at_time(day, int(wwv[2]), 0),
            reporter=wwv[7].upper(),
            received_at=received_at,
            raw=line,
            sfi=_number("sfi", wwv[3]),
            a_index=_number("a_index", wwv[4]),
            k_index=_number("k_index", wwv[5]),
            forecast=wwv[6] or None,
            node=node,
        )
    return None

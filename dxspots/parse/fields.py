"""Small readers for the fields several wire formats share: calls, frequencies, tails."""

from __future__ import annotations

import re

MAX_LINE = 4096
"""Longer lines are not parsed (a node sends at most a few hundred characters)."""
MIN_FREQ_KHZ = 100.0
"""Below the lowest amateur allocation (2190 m starts at 135.7 kHz): not a real spot."""
MAX_FREQ_KHZ = 300_000_000.0
"""300 GHz, the top of the ADIF band list."""

TWO_DIGITS = {f"{number:02d}": number for number in range(100)}
"""`"00"`..`"99"` to their value: faster than int() on the hot path."""
LOCATOR_RE = re.compile(r"[A-Ra-r]{2}[0-9]{2}(?:[A-Xa-x]{2})?")
_CALL_CHARS_RE = re.compile(r"[A-Z0-9/#@-]{1,24}")

STATES = frozenset(
    # The 50 US states and DC, then Canadian provinces and territories, as AR-Cluster and
    # CC Cluster print them beside a spot.
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "DC",
        "AB",
        "BC",
        "MB",
        "NB",
        "NL",
        "NS",
        "NT",
        "NU",
        "ON",
        "PE",
        "QC",
        "SK",
        "YT",
        "PR",
        "VI",
        "GU",
    ]
)


def call_token(text: str) -> str | None:
    """Upper-case a callsign token; None when it holds characters no callsign has."""
    call = text.upper()
    if call.isalnum() and call.isascii() and len(call) <= 24:
        return call
    if _CALL_CHARS_RE.fullmatch(call) is None:
        return None
    return call


def frequency(text: str) -> float | None:
    """Read a frequency in kHz; None when it is not a plausible radio frequency."""
    try:
        freq = float(text)
    except ValueError:
        return None
    if not MIN_FREQ_KHZ <= freq <= MAX_FREQ_KHZ:
        return None
    return freq


def tail_fields(tail: str) -> tuple[str | None, str | None]:
    """Read what follows the time: the spotter's grid locator or US state/province.

    Returns (locator, state); anything unrecognised gives (None, None) and stays in `raw`.
    """
    if len(tail) in (4, 6) and LOCATOR_RE.fullmatch(tail):
        return tail.upper(), None
    upper = tail.upper()
    if upper in STATES:
        return None, upper
    return None, None


def split_state_before_time(comment: str) -> tuple[str, str | None]:
    """Split AR-Cluster's DX state off a comment as it stood before the time, unstripped.

    AR-Cluster prints the DX's state in the last two columns before the time (`... SORRY
    QSB    OH 0011Z`): only a known code there, after a gap of two or more spaces, counts.
    Returns the stripped comment and the state.
    """
    if len(comment) < 4 or comment[-4:-2] != "  " or comment[-2:] not in STATES:
        return comment.strip(), None
    return comment[:-2].strip(), comment[-2:]

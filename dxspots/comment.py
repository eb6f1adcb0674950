"""What a spot's free text says besides the mode: the split frequency and locators.

Spot comments are written by hand and in a hurry (`UP 2`, `QSX 14.205`, `lsn 7.185`,
`JN48QT<ES>IM98`), so each reader here accepts the common spellings, refuses lookalikes
(`SETUP 2`, `EN81X`, `RR73`) and answers None rather than guess. Each runs for every spot:
a cheap test on the plain string rejects most comments before any regular expression runs.
Nothing raises on odd input.
"""

from __future__ import annotations

import re

from dxspots.bands import band_at

_MAX_FREQ_KHZ = 1e10
"""Above the top of the ADIF band list (submm ends at 7.5e9 kHz)."""
_MAX_QSX_OFFSET_KHZ = 1_000.0
"""A split further than this from the spot frequency is taken as a misreading."""

# -- split frequency -----------------------------------------------------------------------
_NUMBER = r"[0-9]{1,3}(?:[.,][0-9]+)?"
_UNIT = r"(?:\s*(?:KHZ|MHZ|K))?"
# `UP 2`, `up2`, `DN 5`, `down 3`, `UP 1.5`, `up 5-10` (first number), `QSX UP 3` (the UP
# part), then `QSX 14.205`, `QSX 14205`, `QSX 205`, `lsn 7.185`, `listening on 14.210`.
_QSX_RE = re.compile(
    rf"(?<![A-Z0-9])(?:(?P<dir>UP|DN|DWN|DOWN)\s*(?P<rel>{_NUMBER})"
    r"|(?:QSX|LSN|LSNG|LSTN|LISTEN(?:ING)?)\s*(?:ON\s*|AT\s*)?[:=]?\s*"
    rf"(?P<abs>[0-9]{{1,8}}(?:[.,][0-9]+)?)){_UNIT}(?![A-Z0-9])"
)
# `2 UP`, `lsn 5 up`, `QSX 2 dn`: the number first, only when the forms above found nothing.
_QSX_AFTER_RE = re.compile(
    rf"(?<![A-Z0-9.,])(?P<rel>[0-9]{{1,2}}(?:[.,][0-9]+)?){_UNIT}\s*(?P<dir>UP|DN|DWN|DOWN)(?![A-Z0-9])"
)

# -- locators ------------------------------------------------------------------------------
_LOCATOR = r"[A-Ra-r]{2}[0-9]{2}(?:[A-Xa-x]{2})?"
# A locator standing alone, or a six-character one with a second glued on (`JO50VFjo62`,
# spotter then DX). Letters or digits on either side make it part of something else
# (`EN81X`, `KFF-0613` never matches, a callsign like `DL50ABC` neither).
_LOCATOR_RE = re.compile(
    rf"(?<![A-Za-z0-9])({_LOCATOR})(?:(?<=[0-9][A-Xa-x]{{2}})({_LOCATOR}))?(?![A-Za-z0-9])"
)
# Letters A-R become "A", digits "0", everything else ".": a comment whose image lacks
# "AA00" holds no locator, and most comments are rejected with three C-speed calls.
_SHAPE = bytes.maketrans(
    bytes(range(256)),
    bytes(
        ord("A") if chr(i) in "ABCDEFGHIJKLMNOPQRabcdefghijklmnopqr"
        else ord("0") if chr(i).isdigit() and i < 128
        else ord(".")
        for i in range(256)
    ),
)  # fmt: skip
_NOT_LOCATORS = frozenset({"RR73"})
"""Locator-shaped words that mean something else: RR73 is FT8's "roger, 73"."""


def mentions_split(comment: str) -> bool:
    """Tell whether a comment has a word `qsx_from_comment` could read; False means it
    gives None whatever the frequency (a cheap test callers may memoise per comment)."""
    if not comment:
        return False
    upper = comment.upper()
    return (
        "UP" in upper
        or "DN" in upper
        or "QSX" in upper
        or "LS" in upper  # LSN, LSTN
        or "LIST" in upper  # LISTEN, LISTENING
        or "DOWN" in upper
        or "DWN" in upper
    )


def qsx_from_comment(comment: str, freq_khz: float) -> float | None:
    """Return the frequency (kHz) the DX station listens on, from the comment, or None.

    Relative instructions (`UP 2`, `DN 5`, `2 up`) move from `freq_khz`; an absolute one is
    read as MHz (`QSX 14.205`), as kHz (`QSX 14205`) or as the low-order kHz digits of the
    spot frequency (`QSX 205` on 14195 gives 14205), the first reading that fits. A result
    more than 1 MHz from `freq_khz`, or outside its band, is refused. `UP` with no number
    gives None: the split is unknown.
    """
    if not 0.0 < freq_khz < _MAX_FREQ_KHZ or not mentions_split(comment):  # NaN, inf too
        return None
    upper = comment.upper()
    low = freq_khz - _MAX_QSX_OFFSET_KHZ
    high = freq_khz + _MAX_QSX_OFFSET_KHZ
    band = band_at(freq_khz)
    if band is not None:  # (max() and min() cost more than the comparisons)
        low = band.lower_khz if band.lower_khz > low else low
        high = band.upper_khz if band.upper_khz < high else high
    for pattern in (_QSX_RE, _QSX_AFTER_RE):
        match = pattern.search(upper)
        while match is not None:
            qsx = _reading(match, freq_khz, low, high)
            if qsx is not None:
                return int(qsx * 1000.0 + 0.5) / 1000.0  # round(qsx, 3), cheaper
            match = pattern.search(upper, match.end())
    return None


def _reading(match: re.Match[str], freq_khz: float, low: float, high: float) -> float | None:
    """Turn one matched instruction into a frequency in [low, high], or None if none fits."""
    relative = match["rel"]
    if relative is not None:
        offset = float(relative.replace(",", "."))
        qsx = freq_khz + offset if match["dir"] == "UP" else freq_khz - offset
        return qsx if low <= qsx <= high else None
    text = match["abs"].replace(",", ".")
    value = float(text)
    whole = len(text.partition(".")[0])
    if "." in text and low <= value * 1000.0 <= high:
        return value * 1000.0
    if low <= value <= high:
        return value
    # Low-order digits: `QSX 25`, `QSX 205`, `QSX 205.5`, but not `14.205` read as 14 kHz.
    if not (3 if "." in text else 2) <= whole < len(str(int(freq_khz))):
        return None
    step = 10.0**whole
    base = freq_khz - freq_khz % step + value
    nearest = min((base - step, base, base + step), key=lambda c: abs(c - freq_khz))
    return nearest if low <= nearest <= high else None


def locator_from_comment(comment: str) -> str | None:
    """Return the DX station's Maidenhead locator named in a comment, upper-cased, or None.

    With one locator, that one. With two or more (`JN48QT<ES>IM98`, `EN63>EK70`,
    `DM04<>PM74AR`, `JO50VFjo62`), clusters' convention is the spotter's first and the DX's
    second, so the second is returned. RR73 is never a locator.
    """
    if b"AA00" not in comment.encode("latin-1", "replace").translate(_SHAPE):
        return None
    first: str | None = None
    pairs: list[tuple[str, str]] = _LOCATOR_RE.findall(comment)
    for pair in pairs:
        for text in pair:
            if not text:
                continue
            locator = text.upper()
            if locator in _NOT_LOCATORS:
                continue
            if first is not None:
                return locator
            first = locator
    return first

"""Comment readers: split frequency and DX locator."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dxspots.comment import (
    locator_from_comment,
    qsx_from_comment,
)

# -- qsx_from_comment -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "freq", "qsx"),
    [
        ("UP 2", 14025.0, 14027.0),
        ("UP2", 14025.0, 14027.0),
        ("up 2", 14025.0, 14027.0),
        ("pse UP 5-10", 14025.0, 14030.0),
        ("UP 1.5", 14025.0, 14026.5),
        ("up 1,5 tnx", 14025.0, 14026.5),
        ("UP 5K", 14025.0, 14030.0),
        ("up 2 kHz", 3510.0, 3512.0),
        ("DN 5", 7150.0, 7145.0),
        ("dn5", 7150.0, 7145.0),
        ("DOWN 3", 7150.0, 7147.0),
        ("DN 0.3", 7150.0, 7149.7),
        ("QSX 14.205", 14195.0, 14205.0),
        ("QSX 14,205", 14195.0, 14205.0),
        ("QSX 14205", 14195.0, 14205.0),
        ("QSX 205", 14195.0, 14205.0),
        ("QSX 205.5", 14195.0, 14205.5),
        ("QSX 298", 14302.0, 14298.0),
        ("QSX 302", 14298.0, 14302.0),
        ("QSX:7.055", 7150.0, 7055.0),
        ("QSX UP 3", 14025.0, 14028.0),
        ("lsn 7.185", 7150.0, 7185.0),
        ("LSN 7185", 7150.0, 7185.0),
        ("listening on 14.210", 14195.0, 14210.0),
        ("2 up", 14025.0, 14027.0),
        ("lsn 5 up", 14025.0, 14030.0),
        ("599 UP 2", 14025.0, 14027.0),
        ("SETUP 2 UP 3", 14025.0, 14028.0),
        ("CW UP 1 TNX", 1826.5, 1827.5),
        ("FT8 F/H UP 1", 50313.0, 50314.0),
    ],
)
def test_qsx(comment: str, freq: float, qsx: float) -> None:
    assert qsx_from_comment(comment, freq) == qsx


@pytest.mark.parametrize(
    ("comment", "freq"),
    [
        ("", 14025.0),
        ("UP", 14025.0),  # up, but how far is unknown
        ("CQ UP", 14025.0),
        ("WAKE UP", 14025.0),
        ("UPDATE 2", 14025.0),
        ("SETUP 2", 14025.0),
        ("POPUP 3", 14025.0),
        ("tnx 599", 14025.0),
        ("EU-052 IOTA", 14025.0),
        ("QSX 5", 14025.0),  # one digit: no safe reading
        ("QSX 1.5", 14025.0),
        ("QSX 14.205", 7150.0),  # another band
        ("UP 999", 14025.0),  # off the band
        ("UP 2", 14349.0),  # off the top of 20 m
        ("DN 5", 14002.0),  # off the bottom of 20 m
        ("UP 5W", 14025.0),
        ("UP 2", math.nan),
        ("UP 2", math.inf),
        ("UP 2", -14025.0),
        ("UP 2", 0.0),
    ],
)
def test_no_qsx(comment: str, freq: float) -> None:
    assert qsx_from_comment(comment, freq) is None


def test_qsx_outside_any_band_is_held_to_one_megahertz() -> None:
    assert qsx_from_comment("UP 5", 15000.0) == 15005.0
    assert qsx_from_comment("QSX 16.5", 15000.0) is None


# -- locator_from_comment ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "locator"),
    [
        ("FN42", "FN42"),
        ("grid FM18", "FM18"),
        ("loc:jo62qm", "JO62QM"),
        ("CQ DX JA1XYZ pm95", "PM95"),
        ("FT8 EN63>EK70", "EK70"),
        ("DM04<>PM74AR", "PM74AR"),
        ("JN48QT<ES>IM98", "IM98"),
        ("DN17NR<F2>EN66HM", "EN66HM"),
        ("KP20 -> KO85", "KO85"),
        ("55s in JO50VFjo62 never hrd B4", "JO62"),
        ("TNX QSO IO91 rr73", "IO91"),
        ("(JO62)", "JO62"),
    ],
)
def test_locator(comment: str, locator: str) -> None:
    assert locator_from_comment(comment) == locator


@pytest.mark.parametrize(
    "comment",
    [
        "",
        "KFF-0613",
        "EN81X",
        "FT8",
        "RR73",
        "FT8 RR73 tnx",
        "DL50ABC special call",
        "JO62QM12",  # eight characters: not a four- or six-character locator
        "TNX QSO 73 GL",
        "EU-052",
        "599 14",
        "ST45",  # S is beyond R
    ],
)
def test_no_locator(comment: str) -> None:
    assert locator_from_comment(comment) is None


# -- properties -------------------------------------------------------------------------

_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
_COMMENTISH = st.text() | st.from_regex(
    r"(?:UP|DN|QSX|lsn|down) ?[0-9]{1,6}(?:[.,][0-9]{1,3})?", fullmatch=True
)
_LOCATOR_RE = re.compile(r"[A-R]{2}[0-9]{2}(?:[A-X]{2})?")


@given(_COMMENTISH, _ANY_FLOAT)
def test_qsx_never_raises_and_stays_near(comment: str, freq: float) -> None:
    qsx = qsx_from_comment(comment, freq)
    if qsx is not None:
        assert abs(qsx - freq) <= 1000.0


@given(st.text() | st.from_regex(r"[A-Ra-r]{2}[0-9]{2}(?:[A-Xa-x]{2})?", fullmatch=True))
def test_locator_never_raises_and_is_canonical(comment: str) -> None:
    locator = locator_from_comment(comment)
    assert locator is None or _LOCATOR_RE.fullmatch(locator)

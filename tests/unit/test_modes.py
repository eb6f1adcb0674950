"""Mode detection: explicit field, comment words, FT8/FT4 dials and the band plan."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dxspots.bands import band_for
from dxspots.modes import (
    MODES,
    detect_mode,
    mode_from_comment,
    mode_from_frequency,
    normalise_mode,
)

# -- normalise_mode ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        ("CW", "CW"),
        ("cw", "CW"),
        (" RTTY ", "RTTY"),
        ("FT8", "FT8"),
        ("FT4", "FT4"),
        ("PSK31", "PSK31"),
        ("BPSK31", "PSK31"),
        ("PSK", "PSK31"),
        ("BPSK63", "PSK63"),
        ("PSK63", "PSK63"),
        ("USB", "SSB"),
        ("lsb", "SSB"),
        ("SSB", "SSB"),
        ("JS8CALL", "JS8"),
        ("JS8", "JS8"),
        ("MSK144", "MSK144"),
        ("Q65", "Q65"),
        ("JT65", "JT65"),
        ("JT65B", "JT65"),
        ("FST4W", "FST4W"),
        ("NFM", "FM"),
        ("DATA", "DIGI"),
        ("MFSK16", "MFSK"),
        ("FELDHELL", "HELL"),
    ],
)
def test_normalise_known_spellings(raw: str, mode: str) -> None:
    assert normalise_mode(raw) == mode


@pytest.mark.parametrize(("raw", "mode"), [("C4FM", "C4FM"), ("dstar", "DSTAR"), ("T10", "T10")])
def test_normalise_passes_mode_like_tokens_upper_cased(raw: str, mode: str) -> None:
    assert normalise_mode(raw) == mode


@pytest.mark.parametrize("raw", ["", "   ", "12345", "OLIVIA-8/250", "TOOLONGMODE", "F T 8", "-"])
def test_normalise_refuses_what_is_not_a_mode(raw: str) -> None:
    assert normalise_mode(raw) is None


def test_every_canonical_mode_normalises_to_itself() -> None:
    assert len(set(MODES)) == len(MODES)
    for mode in MODES:
        assert normalise_mode(mode) == mode


# -- mode_from_comment ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "mode"),
    [
        ("CW 599 tnx", "CW"),
        ("cw", "CW"),
        ("TKS(CW)QSL", "CW"),
        ("UP 2 CW", "CW"),
        ("FT8 -12dB", "FT8"),
        ("ft8 tnx QSO", "FT8"),
        ("FT4 JO62", "FT4"),
        ("FT8/FT4", "FT8"),
        ("FT-8 F/H", "FT8"),
        ("JT-65 EME", "JT65"),
        ("SSB 5/9", "SSB"),
        ("usb", "SSB"),
        ("LSB pse QSY", "SSB"),
        ("RTTY-contest", "RTTY"),
        ("rtty", "RTTY"),
        ("PSK31", "PSK31"),
        ("bpsk31 cq", "PSK31"),
        ("PSK63", "PSK63"),
        ("PSK", "PSK31"),
        ("JS8CALL", "JS8"),
        ("js8 heartbeat", "JS8"),
        ("QRV FM", "FM"),
        ("AM mode", "AM"),
        ("SSTV pic", "SSTV"),
        ("MSK144 MS", "MSK144"),
        ("Q65-60A EME", "Q65"),
        ("JT9", "JT9"),
        ("FST4W", "FST4W"),
        ("WSPR", "WSPR"),
        ("VARA HF", "VARA"),
        ("OLIVIA 8/500", "OLIVIA"),
        ("MFSK", "MFSK"),
        ("HELL", "HELL"),
        ("digi mode", "DIGI"),
        ("CWT", "CW"),
        ("SSB CW", "SSB"),  # the leftmost word wins
        ("I am on CW", "CW"),  # "am" is English; CW still counts
    ],
)
def test_comment_names_a_mode(comment: str, mode: str) -> None:
    assert mode_from_comment(comment) == mode


@pytest.mark.parametrize(
    "comment",
    [
        "",
        "CWops",
        "EU-052",
        "FM18 grid",
        "FM18AB",
        "I am here",
        "AMSAT",
        "SSBxxx",
        "TNX QSO 73",
        "what the hell",
        "Olivia says hi",
        "Vara",
        "fm",
        "FT8WW",  # a callsign, not FT8
        "FT",
        "KFF-0613",
        "tnx fer QSO, 599",
    ],
)
def test_comment_without_a_mode_word(comment: str) -> None:
    assert mode_from_comment(comment) is None


# -- mode_from_frequency ----------------------------------------------------------------

FT8_DIALS = [1840, 3573, 5357, 7074, 10136, 14074, 18100, 21074, 24915, 28074, 50313, 144174]
FT4_DIALS = [3575, 7047.5, 10140, 14080, 18104, 21140, 24919, 28180, 50318, 144170]


@pytest.mark.parametrize("dial", FT8_DIALS)
def test_ft8_window_is_dial_to_three_khz_above(dial: float) -> None:
    assert mode_from_frequency(dial) == "FT8"
    assert mode_from_frequency(dial + 1.5) == "FT8"
    assert mode_from_frequency(dial + 3.1) != "FT8"
    if dial != 3573:  # 3575-3576 belongs to the FT4 window that starts there
        assert mode_from_frequency(dial + 3.0) == "FT8"


@pytest.mark.parametrize("dial", FT4_DIALS)
def test_ft4_window_is_dial_to_three_khz_above(dial: float) -> None:
    assert mode_from_frequency(dial) == "FT4"
    assert mode_from_frequency(dial + 2.9) == "FT4"
    assert mode_from_frequency(dial + 3.1) != "FT4"


@pytest.mark.parametrize(
    ("freq", "mode"),
    [
        (1822.0, "CW"),
        (1841.0, "FT8"),
        (1850.0, "SSB"),
        (3510.0, "CW"),
        (3580.0, "DIGI"),
        (3795.0, "SSB"),
        (7010.0, "CW"),
        (7040.0, "DIGI"),
        (7155.0, "SSB"),
        (10105.0, "CW"),
        (10145.0, "DIGI"),
        (14025.0, "CW"),
        (14069.9, "CW"),
        (14070.0, "DIGI"),
        (14085.0, "DIGI"),
        (14100.0, "CW"),  # NCDXF/IBP beacons
        (14105.0, "DIGI"),
        (14195.0, "SSB"),
        (14350.0, "SSB"),
        (18075.0, "CW"),
        (18110.0, "CW"),
        (18150.0, "SSB"),
        (21025.0, "CW"),
        (21080.0, "DIGI"),
        (21150.0, "CW"),
        (21295.0, "SSB"),
        (24895.0, "CW"),
        (24930.0, "CW"),
        (24950.0, "SSB"),
        (28025.0, "CW"),
        (28100.0, "DIGI"),
        (28200.0, "CW"),
        (28495.0, "SSB"),
        (29620.0, "FM"),
        (50090.0, "CW"),
        (50150.0, "SSB"),
        (50314.5, "FT8"),
        (144050.0, "CW"),
        (144300.0, "SSB"),
        (432050.0, "CW"),
        (432200.0, "SSB"),
        (1296200.0, "SSB"),
    ],
)
def test_band_plan(freq: float, mode: str) -> None:
    assert mode_from_frequency(freq) == mode


@pytest.mark.parametrize(
    "freq",
    [
        5363.0,  # 60 m: channels and national rules, no plan (FT8 ends 5360)
        5403.5,
        29100.0,  # 10 m FM simplex / AM: mixed
        145500.0,  # 2 m FM
        144120.0,  # 2 m EME/MGM window, SSB in Region 2
        10368100.0,
        15000.0,
        0.0,
        -7074.0,
        math.nan,
        math.inf,
        -math.inf,
    ],
)
def test_frequency_without_a_clear_mode(freq: float) -> None:
    assert mode_from_frequency(freq) is None


# -- detect_mode ------------------------------------------------------------------------


def test_explicit_wins() -> None:
    assert detect_mode("SSB", 14025.0, "CW") == "CW"
    assert detect_mode("", 14195.0, "BPSK31") == "PSK31"


def test_unusable_explicit_falls_through() -> None:
    assert detect_mode("RTTY", 14025.0, "") == "RTTY"
    assert detect_mode("RTTY", 14025.0, "???") == "RTTY"
    assert detect_mode("", 14025.0, None) == "CW"


def test_comment_beats_frequency() -> None:
    assert detect_mode("SSB tnx", 14025.0) == "SSB"
    assert detect_mode("FT8 -15dB", 14195.0) == "FT8"


def test_frequency_is_the_last_resort() -> None:
    assert detect_mode("TNX QSO 73", 14075.3) == "FT8"
    assert detect_mode("TNX QSO 73", 14195.0) == "SSB"
    assert detect_mode("tnx", 5363.0) is None
    assert detect_mode("", math.nan) is None


# -- properties -------------------------------------------------------------------------

_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


@given(st.text())
def test_comment_never_raises(comment: str) -> None:
    assert mode_from_comment(comment) in (*MODES, None)


@given(_ANY_FLOAT)
def test_frequency_never_raises_and_stays_in_a_band(freq: float) -> None:
    mode = mode_from_frequency(freq)
    assert mode in (*MODES, None)
    if mode is not None:
        assert band_for(freq) is not None


@given(st.text())
def test_normalise_never_raises(text: str) -> None:
    mode = normalise_mode(text)
    assert mode is None or mode in MODES or (mode.isalnum() and len(mode) <= 8)


@given(st.text(), _ANY_FLOAT, st.none() | st.text())
def test_detect_never_raises(comment: str, freq: float, explicit: str | None) -> None:
    mode = detect_mode(comment, freq, explicit)
    assert mode is None or isinstance(mode, str)

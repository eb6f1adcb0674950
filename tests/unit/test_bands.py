"""Band lookup: the ADIF band table, inclusive edges, out-of-band and non-finite input."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dxspots.bands import BANDS, HF_BANDS, Band, band_at, band_for, band_named, band_order

# (name, lower kHz, upper kHz) as ADIF 3.1.4+ lists them (there in MHz).
ADIF_BANDS = [
    ("2190m", 135.7, 137.8),
    ("630m", 472.0, 479.0),
    ("560m", 501.0, 504.0),
    ("160m", 1800.0, 2000.0),
    ("80m", 3500.0, 4000.0),
    ("60m", 5060.0, 5450.0),
    ("40m", 7000.0, 7300.0),
    ("30m", 10100.0, 10150.0),
    ("20m", 14000.0, 14350.0),
    ("17m", 18068.0, 18168.0),
    ("15m", 21000.0, 21450.0),
    ("12m", 24890.0, 24990.0),
    ("10m", 28000.0, 29700.0),
    ("8m", 40000.0, 45000.0),
    ("6m", 50000.0, 54000.0),
    ("5m", 54000.001, 69900.0),
    ("4m", 70000.0, 71000.0),
    ("2m", 144000.0, 148000.0),
    ("1.25m", 222000.0, 225000.0),
    ("70cm", 420000.0, 450000.0),
    ("33cm", 902000.0, 928000.0),
    ("23cm", 1240000.0, 1300000.0),
    ("13cm", 2300000.0, 2450000.0),
    ("9cm", 3300000.0, 3500000.0),
    ("6cm", 5650000.0, 5925000.0),
    ("3cm", 10000000.0, 10500000.0),
    ("1.25cm", 24000000.0, 24250000.0),
    ("6mm", 47000000.0, 47200000.0),
    ("4mm", 75500000.0, 81000000.0),
    ("2.5mm", 119980000.0, 123000000.0),
    ("2mm", 134000000.0, 149000000.0),
    ("1mm", 241000000.0, 250000000.0),
    ("submm", 300000000.0, 7500000000.0),
]


def test_table_is_the_adif_enumeration_in_order() -> None:
    assert [(b.name, b.lower_khz, b.upper_khz) for b in BANDS] == ADIF_BANDS


def test_table_is_sorted_and_disjoint() -> None:
    for below, above in pairwise(BANDS):
        assert below.lower_khz < below.upper_khz < above.lower_khz


@pytest.mark.parametrize(("name", "lower", "upper"), ADIF_BANDS)
def test_edges_are_inclusive(name: str, lower: float, upper: float) -> None:
    assert band_for(lower) == name
    assert band_for(upper) == name
    assert band_for((lower + upper) / 2) == name


@pytest.mark.parametrize(("name", "lower", "upper"), ADIF_BANDS)
def test_just_outside_the_edges_is_no_band(name: str, lower: float, upper: float) -> None:
    assert band_for(math.nextafter(lower, 0.0)) != name
    assert band_for(math.nextafter(upper, math.inf)) != name


@pytest.mark.parametrize(
    ("freq", "band"),
    [
        (1823.5, "160m"),
        (3525.0, "80m"),
        (5357.0, "60m"),
        (7074.0, "40m"),
        (10136.0, "30m"),
        (14025.0, "20m"),
        (14195.0, "20m"),
        (18100.0, "17m"),
        (21074.0, "15m"),
        (24915.0, "12m"),
        (28074.0, "10m"),
        (50313.0, "6m"),
        (70154.0, "4m"),
        (144174.0, "2m"),
        (432174.0, "70cm"),
        (1296200.0, "23cm"),
        (10368100.0, "3cm"),
        (24048200.0, "1.25cm"),
        (475.7, "630m"),
        (137.5, "2190m"),
        (14000, "20m"),  # an int is a number too
    ],
)
def test_real_spot_frequencies(freq: float, band: str) -> None:
    assert band_for(freq) == band


@pytest.mark.parametrize(
    "freq",
    [
        9330368887.0,  # above submm
        23.0,  # below 2190m
        15000.0,  # WWV, between 20m and 17m
        14350.001,
        13999.999,
        2000.5,
        54000.0005,  # between 6m (ends 54 MHz) and 5m (starts 54.000001 MHz)
        0.0,
        -14025.0,
        math.nan,
        math.inf,
        -math.inf,
    ],
)
def test_outside_every_band_is_none(freq: float) -> None:
    assert band_for(freq) is None
    assert band_at(freq) is None


def test_band_at_gives_the_band_record() -> None:
    assert band_at(14025.0) == Band("20m", 14000.0, 14350.0)


def test_hf_bands_are_160_to_10_in_order() -> None:
    assert HF_BANDS == ("160m", "80m", "60m", "40m", "30m", "20m", "17m", "15m", "12m", "10m")
    assert [band_order(name) for name in HF_BANDS] == sorted(band_order(n) for n in HF_BANDS)


def test_band_order_sorts_by_frequency() -> None:
    shuffled = ["10m", "2m", "160m", "20m", "submm", "70cm", "2190m", "6m"]
    assert sorted(shuffled, key=band_order) == [
        "2190m",
        "160m",
        "20m",
        "10m",
        "6m",
        "2m",
        "70cm",
        "submm",
    ]


def test_band_order_ignores_case_and_puts_unknown_last() -> None:
    assert band_order("20M") == band_order("20m")
    assert band_order("SUBMM") == len(BANDS) - 1
    assert band_order("11m") == len(BANDS)
    assert band_order("") == len(BANDS)


def test_band_named() -> None:
    assert band_named("70CM") == Band("70cm", 420000.0, 450000.0)
    assert band_named("11m") is None


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_float_gives_a_band_whose_edges_hold_it_or_none(freq: float) -> None:
    name = band_for(freq)
    if name is None:
        return
    band = band_named(name)
    assert band is not None
    assert band.lower_khz <= freq <= band.upper_khz


@given(st.text())
def test_band_order_never_raises(name: str) -> None:
    assert 0 <= band_order(name) <= len(BANDS)

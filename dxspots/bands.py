"""Amateur bands as the ADIF specification names them, and the lookup from frequency to band.

The table is ADIF 3.1.x's Band enumeration (ADIF 3.1.4 onwards: 60 m widened to
5.06-5.45 MHz, 8 m and 5 m added), restated in kHz. ADIF gives each band a lower and an
upper frequency and both edges belong to the band, so 14000.0 and 14350.0 kHz are 20 m while
14350.001 kHz is in no band at all. A frequency between bands, or a value that is not a
finite positive number, has no band: callers get None, never an exception.

`band_for` runs for every spot, so it bisects a tuple of lower edges rather than walking
the table.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Band:
    """One ADIF band: its enumeration name and its inclusive edges in kHz."""

    name: str
    lower_khz: float
    upper_khz: float


BANDS: tuple[Band, ...] = (
    Band("2190m", 135.7, 137.8),
    Band("630m", 472.0, 479.0),
    Band("560m", 501.0, 504.0),
    Band("160m", 1_800.0, 2_000.0),
    Band("80m", 3_500.0, 4_000.0),
    Band("60m", 5_060.0, 5_450.0),
    Band("40m", 7_000.0, 7_300.0),
    Band("30m", 10_100.0, 10_150.0),
    Band("20m", 14_000.0, 14_350.0),
    Band("17m", 18_068.0, 18_168.0),
    Band("15m", 21_000.0, 21_450.0),
    Band("12m", 24_890.0, 24_990.0),
    Band("10m", 28_000.0, 29_700.0),
    Band("8m", 40_000.0, 45_000.0),
    Band("6m", 50_000.0, 54_000.0),
    Band("5m", 54_000.001, 69_900.0),
    Band("4m", 70_000.0, 71_000.0),
    Band("2m", 144_000.0, 148_000.0),
    Band("1.25m", 222_000.0, 225_000.0),
    Band("70cm", 420_000.0, 450_000.0),
    Band("33cm", 902_000.0, 928_000.0),
    Band("23cm", 1_240_000.0, 1_300_000.0),
    Band("13cm", 2_300_000.0, 2_450_000.0),
    Band("9cm", 3_300_000.0, 3_500_000.0),
    Band("6cm", 5_650_000.0, 5_925_000.0),
    Band("3cm", 10_000_000.0, 10_500_000.0),
    Band("1.25cm", 24_000_000.0, 24_250_000.0),
    Band("6mm", 47_000_000.0, 47_200_000.0),
    Band("4mm", 75_500_000.0, 81_000_000.0),
    Band("2.5mm", 119_980_000.0, 123_000_000.0),
    Band("2mm", 134_000_000.0, 149_000_000.0),
    Band("1mm", 241_000_000.0, 250_000_000.0),
    Band("submm", 300_000_000.0, 7_500_000_000.0),
)
"""Every ADIF band, lowest first (the order `band_order` sorts by)."""
BAND_NAMES: tuple[str, ...] = tuple(band.name for band in BANDS)
"""Their names, in that order."""

HF_BANDS: tuple[str, ...] = ("160m", "80m", "60m", "40m", "30m", "20m", "17m", "15m", "12m", "10m")
"""The names of the HF bands as DXers count them, 160 m to 10 m, lowest first."""

_LOWERS = tuple(band.lower_khz for band in BANDS)
_UPPERS = tuple(band.upper_khz for band in BANDS)
_ORDER = {band.name: index for index, band in enumerate(BANDS)}


def band_for(freq_khz: float) -> str | None:
    """Return the ADIF band name for a frequency in kHz, or None when it is in no band.

    Edges are inclusive, as ADIF defines them. NaN, infinities, zero and negative values
    give None; nothing raises.
    """
    index = bisect_right(_LOWERS, freq_khz) - 1
    # NaN compares false with everything, so it fails the upper-edge test below too.
    if index < 0 or not freq_khz <= _UPPERS[index]:
        return None
    return BAND_NAMES[index]


def band_at(freq_khz: float) -> Band | None:
    """Return the `Band` holding a frequency in kHz, or None; the same test as `band_for`."""
    index = bisect_right(_LOWERS, freq_khz) - 1
    if index < 0 or not freq_khz <= _UPPERS[index]:
        return None
    return BANDS[index]


def band_order(name: str) -> int:
    """Return a sort key that puts band names in frequency order (160m before 80m).

    Names match case-insensitively (`20M` is `20m`); an unknown name sorts after every band.
    """
    order = _ORDER.get(name)
    if order is None:
        order = _ORDER.get(name.lower(), len(BANDS))
    return order


def band_named(name: str) -> Band | None:
    """Return the `Band` with this ADIF name (case-insensitive), or None."""
    order = band_order(name)
    return BANDS[order] if order < len(BANDS) else None

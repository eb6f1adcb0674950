"""Enrichment of parsed spots: band, mode, locator, QSX, spotter base and both entities."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dxspots.cty import CountryFile
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import PARSED_FIELDS, Spot
from tests.conftest import FIXTURES, shared_file

RECEIVED = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)


@pytest.fixture(params=["c", "python"])
def enricher(request: pytest.FixtureRequest) -> Enricher:
    """The enricher as built (C skimmer path when available), and its Python path alone."""
    built = Enricher(CountryFile.load(FIXTURES / "cty_small.dat", FIXTURES / "cty_small.csv"))
    if request.param == "python":
        built.enrich = built.enrich_spot  # type: ignore[method-assign]
    return built


def enriched(enricher: Enricher, line: str) -> Spot:
    spot = parse_line(line, RECEIVED, "n")
    assert isinstance(spot, Spot)
    return enricher.enrich(spot)


def test_mode_and_locator_close_the_parsed_fields() -> None:
    # Enricher relies on this order to replace them with one slice.
    assert PARSED_FIELDS[-2:] == ("mode", "locator")
    assert Spot._fields[len(PARSED_FIELDS)] == "band"


def test_parsed_fields_are_kept(enricher: Enricher) -> None:
    spot = parse_line(
        "DX de KM3T-2-#:  14100.0  CS3B   CW    24 dB  22 WPM  NCDXF B 2259Z", RECEIVED
    )
    assert isinstance(spot, Spot)
    full = enricher.enrich(spot)
    assert full[: len(PARSED_FIELDS)] == spot[: len(PARSED_FIELDS)]


def test_skimmer_spot(enricher: Enricher) -> None:
    s = enriched(enricher, "DX de DK8NE-#:   14025.0  JA1XYZ   CW    24 dB  22 WPM  CQ      2259Z")
    assert (s.band, s.mode, s.spotter_base, s.qsx_khz) == ("20m", "CW", "DK8NE", None)
    assert (s.dx_entity, s.dx_continent, s.dx_cq_zone, s.dx_itu_zone) == ("Japan", "AS", 25, 45)
    assert (s.spotter_entity, s.spotter_continent, s.spotter_adif) == (
        "Fed. Rep. of Germany",
        "EU",
        230,
    )
    assert s.dx_lon is not None and s.dx_lon > 100  # east-positive


def test_human_spot_mode_from_comment_and_qsx(enricher: Enricher) -> None:
    s = enriched(
        enricher, "DX de K1ABC:     14195.0  3B9FR        up 5 LSB                       2259Z"
    )
    assert (s.mode, s.qsx_khz, s.band) == ("SSB", 14200.0, "20m")
    assert (s.dx_entity, s.dx_continent) == ("Rodriguez Island", "AF")


def test_mode_from_band_plan_and_ft8_dial(enricher: Enricher) -> None:
    assert enriched(enricher, "DX de K1ABC:  14025.0  DL1ABC  tnx  2259Z").mode == "CW"
    assert enriched(enricher, "DX de K1ABC:  14075.2  DL1ABC  tnx  2259Z").mode == "FT8"


def test_locator_from_comment(enricher: Enricher) -> None:
    s = enriched(enricher, "DX de NK9O:  14074.0  TI4DJ  FT8 EN63>EK70   0021Z WI")
    assert (s.locator, s.spotter_locator, s.spotter_state) == ("EK70", None, "WI")


def test_out_of_band_frequency_gets_no_band(enricher: Enricher) -> None:
    s = enriched(
        enricher, "DX de DH1TW    234.0  DS1TW                                          1505Z"
    )
    assert s.band is None


def test_unknown_calls_get_no_entity(enricher: Enricher) -> None:
    s = enriched(enricher, "DX de IDIOT:  21004.8  C0NTEST  599  2132Z")
    assert s.dx_entity is None and s.spotter_entity is None and s.band == "15m"


def test_without_country_file_entities_stay_empty() -> None:
    s = enriched(
        Enricher(None), "DX de DK8NE-#:   14025.0  JA1XYZ   CW    24 dB  22 WPM  CQ      2259Z"
    )
    assert s.dx_entity is None and s.band == "20m" and s.spotter_base == "DK8NE"


@pytest.mark.needs_shared
def test_real_lines_with_the_real_country_file() -> None:
    cty = shared_file("cty", "cty.dat")
    enricher = Enricher(CountryFile.load(cty, cty.with_name("cty.csv")))
    s = enriched(
        enricher, "DX de KE8GX:     14025.0  3B9FR        599 into N. MI                 1812Z"
    )
    assert (s.dx_entity, s.dx_adif, s.spotter_entity, s.spotter_adif) == (
        "Rodriguez Island",
        207,
        "United States",
        291,
    )
    s = enriched(
        enricher, "DX de F8DGY-#:     7018.3 RW1M         CW  23dB Q:9* Z:20           16 2259Z 14"
    )
    assert (s.dx_entity, s.dx_cq_zone, s.spotter_entity, s.band, s.mode) == (
        "European Russia",
        16,
        "France",
        "40m",
        "CW",
    )

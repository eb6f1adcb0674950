"""Tests for the country-file parser and callsign lookup (dxspots.cty, dxspots.ctyfile)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxspots.cty import CountryFile, CtyError, Entity, base_call, find_country_file
from dxspots.ctyfile import parse_adif_numbers, parse_dat

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_CTY = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cty"


@pytest.fixture(scope="module")
def small() -> CountryFile:
    """The hand-written fixture with ADIF numbers, DXCC entities only."""
    return CountryFile.load(FIXTURES / "cty_small.dat", FIXTURES / "cty_small.csv")


@pytest.fixture(scope="module")
def small_wae() -> CountryFile:
    """The hand-written fixture with the WAE-only entities kept."""
    return CountryFile.load(FIXTURES / "cty_small.dat", FIXTURES / "cty_small.csv", wae=True)


def _prefix(country: CountryFile, call: str) -> str | None:
    entity = country.lookup(call)
    return None if entity is None else entity.prefix


# --- parsing -------------------------------------------------------------------------------


def test_fixture_parses_entities_version_and_adif(small: CountryFile) -> None:
    assert len(small.entities) == 16  # 18 records less the two WAE-only ones
    assert small.version == "20250102"
    germany = next(e for e in small.entities if e.prefix == "DL")
    assert germany == Entity(
        name="Fed. Rep. of Germany",
        prefix="DL",
        adif=230,
        continent="EU",
        cq_zone=14,
        itu_zone=28,
        lat=51.0,
        lon=10.0,  # the file says -10.00 (+W); we store east-positive
        utc_offset=1.0,  # the file says -1.0; we store local = UTC + offset
    )


def test_signs_of_longitude_and_utc_offset(small: CountryFile) -> None:
    usa = small.lookup("K1ABC")
    assert usa is not None
    assert (usa.lon, usa.utc_offset) == (-91.87, -5.0)
    japan = small.lookup("JA1ABC")
    assert japan is not None
    assert (japan.lon, japan.utc_offset) == (138.38, 9.0)


def test_wae_entities_only_when_asked(small: CountryFile, small_wae: CountryFile) -> None:
    assert len(small_wae.entities) == 18
    italy, sicily = small.lookup("IT9ABC"), small_wae.lookup("IT9ABC")
    assert italy is not None and italy.name == "Italy"
    assert sicily is not None
    assert (sicily.name, sicily.prefix, sicily.adif) == ("Sicily", "IT9", 248)
    # The WAE entity wins the exact calls it shares with its parent entity.
    assert _prefix(small, "4U1VIC") == "OE"
    assert _prefix(small_wae, "4U1VIC") == "4U1V"


def test_without_csv_adif_is_none() -> None:
    country = CountryFile.from_text((FIXTURES / "cty_small.dat").read_text())
    entity = country.lookup("DL1ABC")
    assert entity is not None and entity.adif is None and entity.name == "Fed. Rep. of Germany"


def test_crlf_and_bom_are_accepted() -> None:
    text = (FIXTURES / "cty_small.dat").read_text().replace("\n", "\r\n")
    country = CountryFile.from_text("\ufeff" + text)
    assert _prefix(country, "3B9FR") == "3B9"


def test_malformed_records_are_skipped_and_counted() -> None:
    text = (
        "Broken:  xx:  28:  EU:  1.0:  2.0:  0.0:  ZZ:\n    ZZ;\n"
        "Nowhere:  1:  2:  XX:  1.0:  2.0:  0.0:  QQ:\n    QQ;\n"
        "no header here;\n"
        "Monaco:   14:  27:  EU:  43.73:  -7.40:  -1.0:  3A:\n    3A,=3A/bad!,3A0(14;\n"
    )
    tables = parse_dat(text)
    assert [e.name for e in tables.entities] == ["Monaco"]
    assert tables.skipped == 5
    assert CountryFile(tables).lookup("3A2ABC") is not None


def test_parse_adif_numbers_reads_only_country_rows() -> None:
    text = "header,line\n1A,Sov Mil Order of Malta,246,EU,15,28,41.90,-12.43,-1.0,1A;\n"
    text += "FT/j,Juan de Nova, Europa,124,AF,53,53,-17.05,-42.72,-3.0,=FT5ZZ;\nnonsense\n"
    assert parse_adif_numbers(text) == {"1A": 246, "FT/j": 124}


@pytest.mark.parametrize("text", ["", "   \n", "<html><body>Not found</body></html>", "a:b;c;"])
def test_text_without_entities_raises(text: str) -> None:
    with pytest.raises(CtyError, match="no entity"):
        CountryFile.from_text(text)


def test_csv_without_rows_raises() -> None:
    with pytest.raises(CtyError, match=r"cty\.csv"):
        CountryFile.from_text((FIXTURES / "cty_small.dat").read_text(), "<html></html>")


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "cty.dat"
    with pytest.raises(CtyError, match=re.escape(str(missing))):
        CountryFile.load(missing)
    missing.write_text("  \n")
    with pytest.raises(CtyError, match="empty"):
        CountryFile.load(missing)
    missing.write_text("garbage")
    with pytest.raises(CtyError, match=re.escape(str(missing))):
        CountryFile.load(missing)
    assert issubclass(CtyError, ValueError)


# --- lookup rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "prefix"),
    [
        ("DL1ABC", "DL"),
        ("dl1abc", "DL"),
        (" DL1ABC ", "DL"),
        ("K1ABC", "K"),
        ("3B9FR", "3B9"),
        ("OH0ABC", "OH0"),
        ("OH2ABC", "OH"),
        ("JA1ABC", "JA"),
        # spotter suffixes
        ("DK8NE-#", "DL"),
        ("KM3T-2-#", "K"),
        ("DL1ABC-7", "DL"),
        ("DB0ABC-10", "DL"),
        ("DB0ABC-@", "DL"),
        # modifiers are ignored
        ("PA3ABC/P", "PA"),
        ("PA3ABC/M", "PA"),
        ("PA3ABC/QRP", "PA"),
        ("PA3ABC/A", "PA"),
        ("PA3ABC/B", "PA"),
        ("PA3ABC/LH", "PA"),
        ("PA3ABC/BCN", "PA"),
        # the location part
        ("DL/PA3ABC", "DL"),
        ("DL/PA3ABC/P", "DL"),
        ("VP2V/W1ABC", "VP2V"),
        ("KH6/N0XYZ", "KH6"),
        ("W1AW/KH6", "KH6"),
        ("OH/DL1ABC", "OH"),
        ("EA/PA3ABC/QRP", "EA"),
        # call-area digit
        ("W1AW/4", "K"),
        ("JA1ABC/6", "JA"),
        ("UA9ABC/1", "UA"),
        ("UA1ABC/9", "UA9"),
        ("OH2ABC/0", "OH0"),
        ("RW0ABC/0/P", "UA9"),
        ("KH6ABC/4", "K"),  # a US call names a mainland district, not Midway (KH4)
        ("AH6ABC/7", "K"),
        ("VO1ABC/3", "VE"),  # VO3 matches nothing: keep the home call's entity
    ],
)
def test_lookup_rules(small: CountryFile, call: str, prefix: str) -> None:
    assert _prefix(small, call) == prefix


def test_digit_that_belongs_to_the_itu_prefix_is_not_a_call_area() -> None:
    text = (
        "Angola:  36:  52:  AF:  -12.5:  -18.5:  -1.0:  D2:\n    D2,D3;\n"
        "Republic of Korea:  25:  44:  AS:  36.2:  -127.8:  -9.0:  HL:\n    D7,D8,D9,DS,HL;\n"
        "Japan:  25:  45:  AS:  36.4:  -138.4:  -9.0:  JA:\n    JA,JE;\n"
        "Pitcairn Island:  32:  63:  OC:  -25.1:  130.1:  8.0:  VP6:\n    VP6;\n"
        "Bermuda:  05:  11:  NA:  32.3:  64.7:  4.0:  VP9:\n    VP9;\n"
    )
    country = CountryFile.from_text(text)
    assert _prefix(country, "D7ABC/2") == "HL"  # not Angola (D2)
    assert _prefix(country, "VP9ABC/6") == "VP9"  # not Pitcairn (VP6)
    assert _prefix(country, "DS1ABC/2") == "HL"
    assert _prefix(country, "JA1ABC/2") == "JA"


@pytest.mark.parametrize("call", ["W1ABC/MM", "W1ABC/AM", "DL1ABC/MM/P", "dl1abc/mm"])
def test_maritime_and_aeronautical_mobile_have_no_entity(small: CountryFile, call: str) -> None:
    assert small.lookup(call) is None


def test_exact_calls_win_over_prefixes(small: CountryFile) -> None:
    assert _prefix(small, "K2QQ") == "KH6"  # a mainland-style call living in Hawaii
    assert _prefix(small, "K2QQ/P") == "KH6"  # modifiers do not move the station
    assert _prefix(small, "K2QQ/4") == "K"  # ... but a new call area does (K4QQ)
    assert _prefix(small, "K2QQA") == "K"  # exact means exact
    assert _prefix(small, "W1QQ/7") == "KH6"  # an exact entry with a slash
    assert _prefix(small, "IT9QQQ/4") == "I"
    assert _prefix(small, "EA5XYZ/P") == "EA"


def test_exact_call_overrides_zones(small: CountryFile) -> None:
    usa = small.lookup("KH6QQ")
    assert usa is not None
    assert (usa.prefix, usa.cq_zone, usa.itu_zone) == ("K", 3, 6)
    canada = small.lookup("VE3QQ/VY0")
    assert canada is not None
    assert (canada.prefix, canada.cq_zone, canada.itu_zone) == ("VE", 4, 3)
    asia = small.lookup("RW0QQ/P")
    assert asia is not None and (asia.cq_zone, asia.itu_zone) == (19, 34)


def test_every_override_kind(small: CountryFile) -> None:
    base = small.lookup("DL1ABC")
    station = small.lookup("DP0ICE")
    assert base is not None and station is not None
    assert station.name == base.name and station.adif == 230
    assert (station.continent, station.cq_zone, station.itu_zone) == ("AN", 38, 67)
    assert (station.lat, station.lon, station.utc_offset) == (-70.65, -8.25, 0.0)
    assert small.lookup("DP0ICE") is station  # memoised


def test_prefix_overrides(small: CountryFile) -> None:
    quebec, labrador = small.lookup("VE2ABC"), small.lookup("VO2ABC")
    assert quebec is not None and (quebec.cq_zone, quebec.itu_zone) == (5, 4)
    assert labrador is not None and (labrador.cq_zone, labrador.itu_zone) == (2, 9)
    komi = small.lookup("UA9XAB")  # UA9X is European Russia, in CQ 17 / ITU 20
    assert komi is not None and (komi.name, komi.cq_zone, komi.itu_zone) == (
        "European Russia",
        17,
        20,
    )
    siberia = small.lookup("UA9SAB")
    assert siberia is not None and (siberia.name, siberia.cq_zone) == ("Asiatic Russia", 16)


@pytest.mark.parametrize(
    "call",
    ["", " ", "/", "////", "-#", "IDIOT", "DL", "=DL1ABC", "DL1ABC!", "ÄÖ1A", "A" * 30, "1" * 300],
)
def test_garbage_gives_none(small: CountryFile, call: str) -> None:
    assert small.lookup(call) is None


def test_cache_is_bounded_and_answers_stay_right() -> None:
    tables = parse_dat((FIXTURES / "cty_small.dat").read_text())
    country = CountryFile(tables, cache_limit=3)
    calls = [f"DL{n}ABC" for n in range(10)] + ["K1ABC", "JA1ABC"]
    for _ in range(2):
        assert [_prefix(country, c) for c in calls] == ["DL"] * 10 + ["K", "JA"]
        assert len(country._cache) <= 3


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_lookup_never_raises_on_any_text(text: str) -> None:
    country = CountryFile.load(FIXTURES / "cty_small.dat")
    result = country.lookup(text)
    assert result is None or isinstance(result, Entity)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ABDEHKLMPQRUVW0123456789/-#@ ", max_size=20))
def test_lookup_never_raises_on_call_like_text(text: str) -> None:
    country = CountryFile.load(FIXTURES / "cty_small.dat")
    result = country.lookup(text)
    assert result is None or isinstance(result, Entity)


# --- helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("dk8ne-#", "DK8NE"),
        ("KM3T-2-#", "KM3T"),
        ("DL1ABC-7", "DL1ABC"),
        ("DL1ABC-10", "DL1ABC"),
        ("W3LPL-@", "W3LPL"),
        (" PA3ABC/P ", "PA3ABC/P"),
        ("DL1ABC-", "DL1ABC-"),
    ],
)
def test_base_call(raw: str, expected: str) -> None:
    assert base_call(raw) == expected


def test_find_country_file(tmp_path: Path) -> None:
    configured = tmp_path / "elsewhere.dat"
    assert find_country_file(configured, tmp_path) == configured  # even before it exists
    assert find_country_file(None, tmp_path) is None
    (tmp_path / "cty.dat").write_text("x")
    assert find_country_file(None, tmp_path) == tmp_path / "cty.dat"
    assert find_country_file(None, tmp_path / "missing") is None


# --- the real AD1C files (../shared/data/cty), skipped when absent ------------------------


@pytest.fixture(scope="module")
def real() -> CountryFile:
    if not (SHARED_CTY / "cty.dat").is_file():
        pytest.skip(f"real country files not found in {SHARED_CTY}")
    return CountryFile.load(SHARED_CTY / "cty.dat", SHARED_CTY / "cty.csv")


def _describe(country: CountryFile, call: str) -> tuple[str, str, int, int] | None:
    entity = country.lookup(call)
    if entity is None:
        return None
    return entity.name, entity.continent, entity.cq_zone, entity.itu_zone


@pytest.mark.needs_shared
def test_real_file_header(real: CountryFile) -> None:
    assert real.version == "20260714"
    assert len(real.entities) == 340  # 346 records, 6 of them WAE-only


@pytest.mark.needs_shared
@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("DL1ABC", ("Fed. Rep. of Germany", "EU", 14, 28)),
        ("K1ABC", ("United States", "NA", 5, 8)),
        ("VP2V/W1ABC", ("British Virgin Islands", "NA", 8, 11)),
        ("W1ABC/MM", None),
        ("KH6/N0XYZ", ("Hawaii", "OC", 31, 61)),
        ("DK8NE-#", ("Fed. Rep. of Germany", "EU", 14, 28)),
        ("3B9FR", ("Rodriguez Island", "AF", 39, 53)),
        ("RW1M", ("European Russia", "EU", 16, 29)),
        ("UA9ABC", ("Asiatic Russia", "AS", 17, 30)),
        # UA9X (Komi) is listed under European Russia with a (17)[20] override.
        ("UA9XYZ", ("European Russia", "EU", 17, 20)),
        # =8J1RL(39)[67] under Antarctica (header CQ 13, ITU 74)
        ("8J1RL", ("Antarctica", "SA", 39, 67)),
        # =VE2FK[9] beats the VE2[4] prefix override
        ("VE2FK", ("Canada", "NA", 5, 9)),
        ("VE2ABC", ("Canada", "NA", 5, 4)),
        ("UA9ABC/1", ("European Russia", "EU", 16, 29)),
        ("W1AW/4", ("United States", "NA", 5, 8)),
    ],
)
def test_real_file_answers(
    real: CountryFile, call: str, expected: tuple[str, str, int, int] | None
) -> None:
    assert _describe(real, call) == expected


@pytest.mark.needs_shared
def test_real_file_adif_numbers(real: CountryFile) -> None:
    germany = real.lookup("DL1ABC")
    assert germany is not None and germany.adif == 230
    assert all(entity.adif is not None for entity in real.entities)


@pytest.mark.needs_shared
@pytest.mark.parametrize("name", ["cty.dat", "bigcty.dat"])
def test_every_exact_call_in_the_real_files_resolves(name: str) -> None:
    path = SHARED_CTY / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    country = CountryFile.load(path, wae=True)
    exact = set(re.findall(r"=([A-Z0-9/]+)", path.read_text()))
    assert len(exact) > 1000
    assert [call for call in sorted(exact) if country.lookup(call) is None] == []

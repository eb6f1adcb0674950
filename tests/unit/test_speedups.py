"""The optional C reader of DX de lines must agree with the Python reference, line for line.

`_cdxde.parse_dx_de` either returns exactly the reference's `Spot` or None (defer to the
reference). These tests run wherever the extension is built, as it is by `make test`.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.corpus import make_lines
from dxspots.parse import clean_line
from dxspots.parse.dxde import parse_dx_de
from tests.conftest import SHARED_DATA

speedups = pytest.importorskip("dxspots.parse._cdxde", reason="C speed-up not built")
RECEIVED = datetime(2026, 11, 27, 23, 59, 30, tzinfo=UTC)


def agree(line: str) -> bool:
    """Check one line; return whether the C reader took it (rather than deferring)."""
    fast = speedups.parse_dx_de(line, RECEIVED, "n")
    if fast is None:
        return False
    assert fast == parse_dx_de(line, RECEIVED, "n"), line
    assert type(fast) is type(parse_dx_de(line, RECEIVED, "n"))
    return True


@pytest.mark.parametrize("mix", ["rbn", "human"])
def test_corpus_lines_agree_and_most_are_taken(mix: str) -> None:
    lines = [clean_line(line) for line in make_lines(20_000, seed=7, mix=mix)]
    taken = sum(agree(line) for line in lines if line.startswith("DX de "))
    assert taken > 0.8 * len(lines)  # the fast path is used for the common shapes


def test_real_lines_agree() -> None:
    files = sorted((SHARED_DATA / "lines").glob("*.txt"))
    if not files:
        pytest.skip("../shared/data/lines not present")
    for path in files:
        for raw in path.read_text("latin-1").splitlines():
            line = clean_line(raw)
            if line.startswith("DX de "):
                agree(line)


@pytest.mark.parametrize(
    "line",
    [
        "DX de KM3T-2-#:  14100.0  CS3B           CW    24 dB  22 WPM  NCDXF B 2259Z",
        "DX de K9LC-#:    14074.0  JA1XYZ         FT8  -12 dB  PM95  CQ      1200Z",
        "DX de W3LPL-#:   14083.0  K1ABC          RTTY  -3 dB  45 BPS  CQ      1200Z",
        "DX de DL3DTH-#:   1816.5  ON7PQ        23 dB  18 WPM  CQ             2201Z",
        "DX de DL3DTH-#:   1816.5  ON7PQ        CW    23 dB  CQ             2201Z",
        "DX de DL3DTH-#:   1816.5  ON7PQ        CW 23dB 18WPM CQ             2201Z",
        "DX de N7RD:      10112.5  W8RIK        SORRY QSB NO COPY           OH 0011Z AZ",
        "DX de K1ABC:     14025.0  UA0ZZZ       CQ  DE                         0913Z",
        "DX de W3LPL:     14025.0  UA0ZZZ       QRV 1200Z tomorrow             2259Z",
        "DX de W3LPL:     14025.0  UA0ZZZ       QRV 1200Z FT8",
        "DX de 9K2/K2SES  14205.05 DK0HY                                       0921Z",
        "DX de K1ABC: 14025.0 DL1ABC 2259Z",
        "DX de K1ABC:  14025.0  DL1ABC   cq  2561Z",
        "DX de DH1TW:        23.0  DS1TW                                       1505Z",
        "DX de F8DGY-#:     7018.3 RW1M         CW  23dB Q:9* Z:20           16 2259Z 14",
        "DX de K1ABC:     14025.0  DL1ABC       +10dB here                     2259Z",
        "DX de K1ABC-#:   14025.0  DL1ABC       CW 24 dB 22 WPM CQ X           2259Z",
        "DX de K1ABC-#:   14025.0  DL1ABC       CW 1234 dB                     2259Z",
        "DX de k1abc:     14025.0  dl1abc       lower case                     2259Z",
    ],
)
def test_tricky_lines_agree(line: str) -> None:
    agree(line)


_WORDS = st.sampled_from(
    ["CW", "FT8", "24", "-12", "dB", "22", "WPM", "BPS", "CQ", "DX", "BEACON", "NCDXF B",
     "JO62", "FN42QM", "up", "2", "OH", "WI", "599", "Q:9*", "Z:5,14", "1200Z", "x"]
)  # fmt: skip


@settings(max_examples=400)
@given(
    st.sampled_from(["K1ABC", "KM3T-2-#", "DL1ABC-#", "9K2/K2SES", "W3LPL"]),
    st.sampled_from([":", ""]),
    st.sampled_from(["14025.0", "7018.20", "10368887.0", "23.0", "14074"]),
    st.sampled_from(["CS3B", "UA0ZZZ", "AB8Z/B", "R1AC"]),
    st.lists(_WORDS, max_size=7),
    st.sampled_from([" ", "  ", "      "]),
    st.sampled_from(["2259Z", "0000Z", "2461Z", "1200Z"]),
    st.sampled_from(["", " JO62", " WI", " 14", " XYZ", "  "]),
)
def test_generated_spot_lines_agree(
    spotter: str, colon: str, freq: str, call: str, words: list[str], gap: str, time: str,
    tail: str,
) -> None:  # fmt: skip
    comment = " ".join(words)
    agree(f"DX de {spotter}{colon}  {freq}  {call}  {comment}{gap}{time}{tail}")


@given(st.text(alphabet=string.printable.replace("\n", "").replace("\r", ""), max_size=90))
def test_arbitrary_printable_text_agrees(rest: str) -> None:
    agree(clean_line("DX de " + rest))


def test_fast_enricher_agrees_with_the_python_enricher() -> None:
    from dxspots.cty import CountryFile
    from dxspots.enrich import Enricher
    from dxspots.parse import parse_line
    from dxspots.spot import Spot
    from tests.conftest import FIXTURES

    cty = SHARED_DATA / "cty" / "cty.dat"
    if not cty.exists():
        cty = FIXTURES / "cty_small.dat"
    for country_file in (CountryFile.load(cty), None):
        fast = Enricher(country_file)
        reference = Enricher(country_file)
        assert fast.enrich != fast.enrich_spot  # the C one is in use
        taken = 0
        lines = make_lines(20_000, seed=3) + [
            "DX de K1ABC-#:  14025.0  DL1ABC  cw 24 dB  22 WPM  CQ  2259Z",  # lower-case mode
            "DX de K1ABC-#:  14025.0  DL1ABC  XYZ 24 dB  22 WPM  CQ  2259Z",  # unknown mode
            "DX de K1ABC-#:  1999.0  DL1ABC  CW 24 dB  22 WPM  CQ  2259Z",  # no band
        ]
        for line in lines:
            spot = parse_line(line, RECEIVED, "n")
            if isinstance(spot, Spot):
                enriched = fast.enrich(spot)
                assert enriched == reference.enrich_spot(spot), line
                assert type(enriched) is Spot
                taken += spot.is_skimmer
        assert taken > 10_000


@pytest.mark.parametrize("first", ["dxspots.enrich", "dxspots.parse", "dxspots.importer"])
def test_c_paths_are_in_use_whatever_is_imported_first(first: str) -> None:
    # An import cycle once left the C reader silently unused when enrich came first.
    import subprocess
    import sys

    code = (
        f"import {first}\n"
        "import dxspots.parse, dxspots.enrich\n"
        "assert dxspots.parse._fast_dx_de is not None\n"
        "assert dxspots.enrich.FastEnricher is not None\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_c_paths_refuse_what_is_not_theirs_without_crashing() -> None:
    from dxspots.enrich import Enricher
    from dxspots.parse import parse_line

    enricher = Enricher(None)
    for bad in ((), (1, 2.0)):  # tuples that are not spots: the Python error, not a crash
        with pytest.raises(AttributeError):
            enricher.enrich(bad)  # type: ignore[arg-type]
    spot = parse_line("DX de K1ABC: 14025.0 DL1ABC up 2 FN42 1200Z", RECEIVED, "n")
    odd = spot._replace(is_skimmer=1)  # truthy but not True: the reference decides
    assert enricher.enrich(odd) == enricher.enrich_spot(odd)
    assert speedups.parse_dx_de("XXXXXXK1ABC: 14025.0 DL1ABC 1200Z", RECEIVED, "n") is None

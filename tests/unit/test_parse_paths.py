"""One spot, every path: a `DX de` line, an `sh/dx` row and CC11 must give the same spot.

Whether a spot is a skimmer's comes from the spotter's `-#` alone, never from how the comment
reads (issue 13: a human's `FT8 -12 dB` was filed as a skimmer spot from a `DX de` line and
as a human one from `sh/dx`). A human's signal report is kept, as `snr_db`, the same way on
every path; a skimmer's report is read the same way on every path too.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import dxspots.parse
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import PARSED_FIELDS, Spot
from tests.conftest import shared_file

RECEIVED = datetime(2026, 11, 27, 12, 40, tzinfo=UTC)
PER_PATH = {"raw", "source", "received_at", "node", "origin_node"}
"""What differs by path by definition: the line itself and its wire format."""
SAME = [name for name in PARSED_FIELDS if name not in PER_PATH]


@pytest.fixture(autouse=True, params=["c", "python"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test with the C reader of DX de lines, and with the Python one alone."""
    if request.param == "python":
        monkeypatch.setattr(dxspots.parse, "_fast_dx_de", None)
    elif dxspots.parse._fast_dx_de is None:
        pytest.skip("C speed-up not built")


def spot(line: str) -> Spot:
    record = parse_line(line, RECEIVED, "n")
    assert isinstance(record, Spot), record
    return record


def three_paths(spotter: str, freq: str, call: str, comment: str) -> dict[str, Spot]:
    """The same spot as a node sends it live, in `sh/dx` history and in CC11."""
    return {
        "DX de": spot(f"DX de {spotter + ':':<10}{freq:>8}  {call:<12} {comment:<30} 1234Z"),
        "sh/dx": spot(f"{freq:>9}  {call:<12} 27-Nov-2026 1234Z {comment:<30} <{spotter}>"),
        "CC11": spot(
            f"CC11^{freq}^{call}^27-Nov-2026^1234Z^{comment}^{spotter}^18^230^DB0SUE-7"
            "^40^18^28^14^^^Greenland^Fed. Rep. of Germany^^"
        ),
    }


def assert_same(paths: dict[str, Spot]) -> None:
    first = paths["DX de"]
    for name, other in paths.items():
        assert [getattr(other, f) for f in SAME] == [getattr(first, f) for f in SAME], name
    enricher = Enricher(None)
    enriched = {name: enricher.enrich(s) for name, s in paths.items()}
    derived = [f for f in Spot._fields if f not in PARSED_FIELDS]
    for name, other in enriched.items():
        assert [getattr(other, f) for f in derived] == [
            getattr(enriched["DX de"], f) for f in derived
        ], name


def test_a_humans_ft8_report_is_a_human_spot_with_its_snr_on_every_path() -> None:
    paths = three_paths("DL1ABC", "1840.5", "OX3XR", "FT8 -12 dB")
    assert_same(paths)
    for s in paths.values():
        assert not s.is_skimmer and (s.snr_db, s.comment) == (-12, "FT8 -12 dB")
        assert s.mode is s.wpm is s.spot_type is None
    assert paths["DX de"].source == "dx"
    assert Enricher(None).enrich(paths["sh/dx"]).mode == "FT8"  # from the comment, as ever


@pytest.mark.parametrize(
    ("comment", "snr"),
    [
        ("FT8 -12 dB", -12),
        ("ft8 +03db tnx Bob", 3),
        ("FT4 -7dB", -7),
        ("RTTY 0 dB", 0),
        ("CW 24 dB 22 WPM CQ", 24),  # a skimmer's words, re-spotted by a human: still a human
        ("-12 dB", None),  # no mode word: not read
        ("big sig 20 dB over S9", None),
        ("S9 +20 dB", None),  # an S-meter reading, not a mode's SNR
        ("FT8 -123 dB", None),
        ("FT8 -12 dBm", None),
        ("599 tnx", None),
    ],
)
def test_human_reports_are_read_alike_everywhere_and_never_make_a_skimmer(
    comment: str, snr: int | None
) -> None:
    paths = three_paths("DL1ABC", "14074.0", "OX3XR", comment)
    assert_same(paths)
    for s in paths.values():
        assert not s.is_skimmer and s.snr_db == snr and s.comment == comment
    assert paths["DX de"].source == "dx"


@pytest.mark.parametrize(
    ("comment", "fields"),
    [
        ("CW    24 dB  22 WPM  CQ", ("CW", 24, 22, None, "CQ", None)),
        ("RTTY  -3 dB  45 BPS  CQ", ("RTTY", -3, None, 45, "CQ", None)),
        ("FT8  -12 dB  FN42  CQ", ("FT8", -12, None, None, "CQ", "FN42")),
        ("CW 23dB Q:9* Z:20", ("CW", 23, None, None, None, None)),  # DXSpider's curated form
    ],
)
def test_a_skimmer_spot_is_read_alike_on_every_path(
    comment: str, fields: tuple[object, ...]
) -> None:
    paths = three_paths("KM3T-2-#", "14025.0", "CS3B", comment)
    assert_same(paths)
    for s in paths.values():
        assert s.is_skimmer
        assert (s.mode, s.snr_db, s.wpm, s.bps, s.spot_type, s.locator) == fields
    assert paths["DX de"].source == "rbn"
    assert (paths["sh/dx"].source, paths["CC11"].source) == ("shdx", "cc11")


def test_a_skimmer_with_an_unreadable_comment_is_still_a_skimmer() -> None:
    paths = three_paths("KM3T-#", "14025.0", "CS3B", "heard it somewhere")
    assert_same(paths)
    for s in paths.values():
        assert s.is_skimmer and s.snr_db is None and s.comment == "heard it somewhere"
    assert paths["DX de"].source == "dx"


@pytest.mark.needs_shared
@pytest.mark.parametrize(
    "name", ["dxspider-rbn-feed.txt", "dxspider-rbn-node-output.txt", "tlf.txt"]
)
def test_real_skimmer_lines_stay_skimmer_spots(name: str) -> None:
    path = shared_file("lines", name)
    spots = [
        spot(line) for line in path.read_text("latin-1").splitlines() if line.startswith("DX de")
    ]
    assert spots
    for s in spots:
        assert s.is_skimmer and s.source == "rbn" and s.snr_db is not None and s.mode, s.raw


@pytest.mark.needs_shared
def test_real_human_lines_stay_human_spots() -> None:
    for name in ("dxclparser.txt", "dh1tw-dx-cluster-parser.txt", "flcluster-spots.txt"):
        for line in shared_file("lines", name).read_text("latin-1").splitlines():
            record = parse_line(line, RECEIVED, "n")
            if isinstance(record, Spot):
                assert not record.is_skimmer and record.source in ("dx", "cc11"), line

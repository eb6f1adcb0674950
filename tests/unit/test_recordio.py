"""JSON lines as `dxspots parse` writes them: the same bytes as before they were made fast.

`old_write_jsonl` below is the writer as it was (the standard library's encoder, one
`json.dumps` per record, to a text stream). The writer now is a UTF-8 byte stream fed by the
optional C writer for spots (`dxspots._crecordio`) and the standard encoder for the rest.
Both paths must give the old writer's bytes on every record: real lines, the benchmark
corpus, and strangers' text with quotes, backslashes, control characters, non-ASCII and
characters beyond the Basic Multilingual Plane, floats and integers at their limits,
datetimes in other zones.
"""

from __future__ import annotations

import io
import json
import string
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dxspots.recordio
from bench.corpus import make_lines
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.recordio import record_dict, write_jsonl
from dxspots.spot import PARSED_FIELDS, Record, Spot, record_kind
from tests.conftest import SHARED_DATA

RECEIVED = datetime(2026, 11, 27, 23, 59, 30, tzinfo=UTC)
NO_FIXTURE_CHECK = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300
)


def old_write_jsonl(numbered: Iterable[tuple[int, Record]], out: io.StringIO) -> None:
    """The writer before issue 13, verbatim."""
    for number, record in numbered:
        row = {"line": number, "kind": record_kind(record), **record_dict(record)}
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def old_bytes(numbered: list[tuple[int, Record]]) -> bytes:
    text = io.StringIO()
    old_write_jsonl(numbered, text)
    return text.getvalue().encode("utf-8")  # what the old writer's UTF-8 stdout received


def new_bytes(numbered: Iterable[tuple[int, Record]]) -> bytes:
    out = io.BytesIO()
    write_jsonl(numbered, out)
    return out.getvalue()


@pytest.fixture(params=["c", "python"])
def writer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the C writer of spots, and with the standard encoder alone."""
    if request.param == "python":
        monkeypatch.setattr(dxspots.recordio, "SpotLines", None)
    elif dxspots.recordio.SpotLines is None:
        pytest.skip("C speed-up not built")
    return str(request.param)


def numbered(lines: Iterable[str], enricher: Enricher | None = None) -> list[tuple[int, Record]]:
    enricher = enricher or Enricher(None)
    out: list[tuple[int, Record]] = []
    for number, line in enumerate(lines, start=1):
        record = parse_line(line, RECEIVED, "n")
        out.append((number, enricher.enrich(record) if isinstance(record, Spot) else record))
    return out


def test_the_corpus_gives_the_old_bytes(writer: str) -> None:
    records = numbered(make_lines(20_000, seed=5))
    assert {record_kind(r) for _, r in records} >= {"spot", "wwv", "announcement", "other"}
    assert new_bytes(records) == old_bytes(records)


def test_real_lines_with_a_real_country_file_give_the_old_bytes(writer: str) -> None:
    from dxspots.cty import CountryFile

    cty = SHARED_DATA / "cty" / "cty.dat"
    files = sorted((SHARED_DATA / "lines").glob("*.txt"))
    if not files or not cty.exists():
        pytest.skip("../shared/data not present")
    enricher = Enricher(CountryFile.load(cty, cty.with_name("cty.csv")))
    lines = [line for path in files for line in path.read_text("latin-1").splitlines()]
    records = numbered(lines, enricher)
    assert sum(isinstance(r, Spot) and r.dx_entity is not None for _, r in records) > 50
    assert new_bytes(records) == old_bytes(records)


HOSTILE = [
    'DX de K1ABC:  14025.0  DL1ABC  say "hi" \\ back\\slash \\"quoted\\"  1200Z',
    "DX de K1ABC:  14025.0  DL1ABC  Spécial Ørsted ÿ ß ñ  1200Z",
    "DX de K1ABC:  14025.0  DL1ABC  bell\x07 nul\x00 esc\x1b[31m red  1200Z",
    "DX de K1ABC:  14025.0  DL1ABC  </script><script>alert(1)</script>  1200Z",
    'DX de K1ABC:  14025.0  DL1ABC  =HYPERLINK("http://x") +1 -1 @x  1200Z',
    "DX de K1ABC:  14025.0  DL1ABC  \x7f\x80\x9f\xa0\xad\xff  1200Z",
    "\x01\x02\x03\x04\x05\x06\x08\x0b\x0c\x0e\x1f",
    'To ALL de EA8CEN-9: "quotes" \\ and é',
    '  14025.0 UA0ZZZ      27-Nov-2026 0913Z tab\there "q" é  <DL1ABC>',
]


def test_strangers_text_gives_the_old_bytes(writer: str) -> None:
    records = numbered(HOSTILE)
    assert sum(isinstance(r, Spot) for _, r in records) >= 6
    out = new_bytes(records)
    assert out == old_bytes(records)
    for line in out.decode("utf-8").splitlines():
        json.loads(line)  # every line is one JSON object
    assert b"\\u0007" not in out  # BEL is removed by the parser; what remains is escaped


def spot_with(**fields: object) -> Spot:
    base = parse_line("DX de K1ABC:  14025.0  DL1ABC  cq  1200Z", RECEIVED, "n")
    assert isinstance(base, Spot)
    return Enricher(None).enrich(base)._replace(**fields)


TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)  # surrogates too
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    TEXT,
    st.text(alphabet=string.printable + '"\\é\u2028\U0001f600', max_size=20),
    st.integers(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e16, 1e-5, 5e-324, 1.7976931348623157e308, 14025.1]),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(timezones=st.sampled_from([timezone(timedelta(hours=2)), None])),
)


@NO_FIXTURE_CHECK
@given(st.lists(st.tuples(st.sampled_from(Spot._fields), VALUES), max_size=6))
def test_any_field_values_give_the_old_bytes(
    writer: str, changes: list[tuple[str, object]]
) -> None:
    """Whatever a field holds, the C writer writes the old bytes or leaves it to the old way."""
    spot = spot_with(**dict(changes))
    records: list[tuple[int, Record]] = [(1, spot), (2, spot_with()), (3, spot)]
    try:
        expected = old_bytes(records)
    except (ValueError, UnicodeEncodeError):  # the old writer could not write it either
        with pytest.raises((ValueError, UnicodeEncodeError)):
            new_bytes(records)
        return
    assert new_bytes(records) == expected


def test_order_is_kept_across_refusals_other_records_and_flushes(writer: str) -> None:
    refused = spot_with(comment="lone \udc80 surrogate", freq_khz=float("nan"))
    later = spot_with(spot_time=datetime(2026, 11, 27, 12, 0, tzinfo=timezone(timedelta(hours=1))))
    other = parse_line("login: ", RECEIVED, "n")
    records: list[tuple[int, Record]] = []
    for number in range(1, 6001):  # more than one flush of the C writer's buffer
        record: Record = spot_with(comment="x" * (number % 50), snr_db=number)
        if number % 997 == 0:
            record = later
        elif number % 499 == 0:
            record = other
        records.append((number, record))
    out = new_bytes(iter(records))
    assert out == old_bytes(records)
    assert [json.loads(line)["line"] for line in out.splitlines()] == list(range(1, 6001))
    with pytest.raises(UnicodeEncodeError):  # as the old writer: a lone surrogate has no UTF-8
        new_bytes([(1, refused)])


def test_the_c_writer_refuses_without_writing_and_goes_on() -> None:
    if dxspots.recordio.SpotLines is None:
        pytest.skip("C speed-up not built")
    lines = dxspots.recordio.SpotLines(Spot._fields)
    good = spot_with()
    assert lines.add(1, good) > 0
    for bad in (
        spot_with(dx_lat=float("inf")),
        spot_with(comment="\ud800"),
        spot_with(snr_db=2**64),
        spot_with(received_at=datetime(2026, 11, 27)),
        spot_with(node=b"bytes"),
        good[:-1],
        "not a spot",
    ):
        assert lines.add(2, bad) == -1  # type: ignore[arg-type]
    assert lines.add(3, good) > 0
    assert lines.take() == old_bytes([(1, good), (3, good)])
    assert lines.take() == b""


def test_writers_cover_every_parsed_field() -> None:
    row = json.loads(new_bytes([(7, spot_with())]))
    assert list(row) == ["line", "kind", *Spot._fields]
    assert set(PARSED_FIELDS) < set(row) and row["line"] == 7 and row["kind"] == "spot"

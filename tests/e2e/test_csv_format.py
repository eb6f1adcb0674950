"""One CSV format: the API, `dxspots export` and the dashboard's download give the same bytes.

The same stored spots, with the awkward values a cluster can send (commas, quotes, CR and
LF in comments, empty text, formulas, a lone `\\.`, non-ASCII), times with and without a
fraction of a second, NULLs, reals and doubles, are written through `/v1/spots.csv` (COPY),
the real `dxspots export` in a subprocess (Python, oldest first) and `frame_csv` on the
frame the Export page builds; the three are compared byte for byte.
"""

from __future__ import annotations

import csv
import io
import math
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxspots.db.export import spots_frame
from dxspots.queries import fetch, plan, prepare_reader
from dxspots.spreadsheet import (
    CrlfLines,
    csv_lines,
    csv_select,
    float_text,
    frame_csv,
    quoted,
    time_text,
)
from tests.conftest import login_role
from tests.e2e.apiprocess import api_process
from tests.integration.test_cli import run
from tests.spotset import make_spots, store

NOW = datetime.now(UTC).replace(microsecond=0)
COMMENTS = [
    "CQ, CQ", 'say "hi"', "line\nbreak", "carriage\rreturn", "both\r\nends", "",
    '=HYPERLINK("https://evil.example")', "-16 dB", "\\.", "  spaces  ", "Grüße 73 ☺",
    '"', ",", "\n", "+cmd|' /C calc'!A0", "@SUM(1)", "trailing quote\"",
]  # fmt: skip


@pytest.fixture
def awkward_dsn(db_dsn: str) -> str:
    spots = make_spots(NOW, count=60)
    changed = []
    for i, spot in enumerate(spots):
        fields: dict[str, Any] = {"comment": COMMENTS[i % len(COMMENTS)]}
        if i % 4 == 0:
            fields["received_at"] = spot.received_at.replace(microsecond=123456 + i)
        if i % 5 == 0:
            fields |= {"snr_db": -(i % 30), "wpm": 25, "qsx_khz": 14025.0 + i / 10}
        if i % 3 == 0:
            fields |= {
                "dx_lat": 51.47,
                "dx_lon": -0.13 * i,
                "spotter_lat": 1e-5,
                "spotter_lon": 179.9,
            }
        if i % 7 == 0:
            fields |= {"freq_khz": 14025.0 + i + 0.01, "spot_type": ""}
        changed.append(spot._replace(**fields))
    assert store(db_dsn, changed) == len(changed)
    return db_dsn


def records(data: bytes) -> list[bytes]:
    """Split CSV bytes into records (each with its CRLF) at line ends outside quotes."""
    out, start, inside = [], 0, False
    for i, byte in enumerate(data):
        if byte == ord('"'):
            inside = not inside
        elif byte == ord("\n") and not inside:
            out.append(data[start : i + 1])
            start = i + 1
    assert start == len(data), "the last record has no line end"
    return out


def test_api_cli_and_dashboard_write_the_same_bytes(awkward_dsn: str, tmp_path: Path) -> None:
    window = {"since": (NOW - timedelta(days=60)).isoformat(), "until": NOW.isoformat()}
    query = "&".join(f"{k}={v.replace('+', '%2B')}" for k, v in window.items())
    with login_role(awkward_dsn, "dxspots_reader") as reader:
        with api_process(reader) as api:
            answer = api.get(f"/v1/spots.csv?{query}&limit=1000")
        assert answer.status == 200
        from_api = answer.body
        with psycopg.connect(reader, autocommit=True) as conn:
            prepare_reader(conn, 10)
            page = fetch(conn, plan("spots", {**window, "limit": 1000}, csv=True))
    from_frame = frame_csv(spots_frame(page.items))
    assert from_frame is not None
    target = tmp_path / "spots.csv"
    result = run(
        "export", "--since", window["since"], "--until", window["until"], "-o", str(target),
        env={"DXSPOTS_DATABASE_URL": awkward_dsn},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    from_cli = target.read_bytes()

    assert len(page.items) == 63
    assert from_frame.encode() == from_api  # both newest first
    api_records = records(from_api)
    assert len(api_records) == 64  # the header and one record per spot
    # The export is oldest first: the same records, the other way round.
    assert from_cli == b"".join([api_records[0], *reversed(api_records[1:])])

    table = list(csv.DictReader(io.StringIO(from_api.decode(), newline="")))
    assert {row["comment"] for row in table} >= {"CQ, CQ", "line\nbreak", "both\r\nends", ""}
    assert '\'=HYPERLINK("https://evil.example")' in {row["comment"] for row in table}
    assert {row["is_skimmer"] for row in table} == {"true", "false"}
    assert all(row["spot_time"].endswith(":00Z") and "T" in row["spot_time"] for row in table)
    assert any(row["received_at"].endswith(".123456Z") for row in table)
    assert b",," in from_api and b',"",' in from_api  # NULL empty, empty text quoted
    assert all(record.endswith(b"\r\n") for record in api_records)


def test_an_empty_selection_is_the_header_alone(awkward_dsn: str, tmp_path: Path) -> None:
    far = {"since": "2001-01-01T00:00:00Z", "until": "2001-01-02T00:00:00Z"}
    with login_role(awkward_dsn, "dxspots_reader") as reader, api_process(reader) as api:
        from_api = api.get(f"/v1/spots.csv?since={far['since']}&until={far['until']}").body
    target = tmp_path / "none.csv"
    result = run("export", "--since", far["since"], "--until", far["until"], "-o", str(target),
                 env={"DXSPOTS_DATABASE_URL": awkward_dsn})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == from_api == frame_csv(spots_frame([])).encode()  # type: ignore[union-attr]
    assert from_api.endswith(b",spotter_lon\r\n") and from_api.count(b"\n") == 1


@pytest.fixture(scope="module")
def conn(pg_server: str) -> Any:
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        yield conn


def one(conn: psycopg.Connection[Any], query: str, value: Any) -> str:
    row = conn.execute(query, (value,)).fetchone()
    assert row is not None
    return str(row[0])


def pg_float(conn: psycopg.Connection[Any], value: float, kind: str = "float8") -> str:
    return one(conn, f"SELECT %s::{kind}::text::float8::text", value)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(value=st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not abs(v) >= 1e15))
def test_doubles_are_written_as_postgresql_writes_them(
    conn: psycopg.Connection[Any], value: float
) -> None:
    assert float_text(value) == pg_float(conn, value)


@pytest.mark.parametrize(
    "value", [0.0, -0.0, 1.0, 14025.5, 1e15, 1234567890123456.0, 3777242871418584.5,
              9.999999999999998e15, 1e16, 1e-4, 9.9e-5, 1.5e-05, 0.1 + 0.2, 5e-324,
              999999999999999.9, 299792458.0123, -180.0, 1.7976931348623157e308]
)  # fmt: skip
def test_doubles_at_the_edges_of_postgresql_notation(
    conn: psycopg.Connection[Any], value: float
) -> None:
    assert float_text(value) == pg_float(conn, value)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(bits=st.integers(0, 2**32 - 1))
def test_reals_read_by_psycopg_are_written_as_copy_writes_them(
    conn: psycopg.Connection[Any], bits: int
) -> None:
    (value,) = struct.unpack("<f", struct.pack("<I", bits))
    if math.isnan(value):
        return
    text = one(conn, "SELECT %s::float4::text", repr(value))
    read = float(text)  # as psycopg reads a real: from its text
    # What Python writes for the double psycopg reads, COPY writes through csv_select.
    assert float_text(read) == pg_float(conn, value, "float4")


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                           timezones=st.just(UTC)))  # fmt: skip
def test_times_are_written_as_copy_writes_them(
    conn: psycopg.Connection[Any], moment: datetime
) -> None:
    select = csv_select("t", datetime).as_string(conn)
    assert time_text(moment) == one(
        conn, f"SELECT {select} FROM (SELECT %s::timestamptz AS t) x", moment
    )


def test_lines_quote_as_copy_quotes() -> None:
    assert quoted("") == '""' and quoted("a") == "a" and quoted('a"b') == '"a""b"'
    assert quoted("a\rb") == '"a\rb"' and quoted(" a ") == " a "
    lines = list(csv_lines(["a"], [str], [("\\.",), ("x",), (None,)]))
    assert lines == ["a\r\n", '"\\."\r\n', "x\r\n", "\r\n"]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_crlf_line_ends_whatever_the_chunks(size: int) -> None:
    data = b'h1,h2\n"a\nb",1\n"q""\n",2\nplain,3\n'
    crlf = CrlfLines()
    out = b"".join(crlf(data[i : i + size]) for i in range(0, len(data), size))
    assert out == b'h1,h2\r\n"a\nb",1\r\n"q""\n",2\r\nplain,3\r\n'

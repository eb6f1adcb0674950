"""Spots judged against an owner's log (dxspots/queries/needed.py) on a real PostgreSQL:
each kind in its order, the `needed` query and the `owner`/`needed` parameters of `spots`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from dxspots.db.logbook import refresh_slots, store_qsos
from dxspots.logbook import Qso
from dxspots.queries import ParameterError, fetch, plan
from dxspots.spot import Spot
from tests.spotset import store

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
OWNER = "DL9ZZ"


def qso(call: str, entity: str, band: str, mode: str, mode_class: str, confirmed: bool) -> Qso:
    return Qso(call, datetime(2025, 6, 1, tzinfo=UTC), band, mode, mode_class, entity, None,
               confirmed)  # fmt: skip


LOG = [
    qso("JA1AAA", "Japan", "20m", "CW", "CW", True),
    qso("JA1BBB", "Japan", "40m", "FT8", "DATA", False),
    qso("W1AW", "United States", "20m", "SSB", "PHONE", True),
]

# (DX call, entity, band, mode) -> what the spot is for DL9ZZ
CASES: list[tuple[str, str | None, str | None, str | None, str | None]] = [
    ("OH2BH", "Finland", "20m", "CW", "entity"),
    ("JA2XYZ", "Japan", "15m", "CW", "band"),
    ("JA3XYZ", "Japan", "20m", "SSB", "mode"),
    ("JA4XYZ", "Japan", "40m", "CW", "unconfirmed"),  # 40m worked (FT8), never confirmed
    ("JA5XYZ", "Japan", "20m", "FT8", "unconfirmed"),  # data worked, never confirmed
    ("JA6XYZ", "Japan", "20m", "CW", None),
    ("K1ZZ", "United States", "20m", "SSB", None),
    ("K2ZZ", "United States", "20m", None, None),  # no mode: its band is confirmed
    ("XX9XX", None, "20m", "CW", None),  # no entity: nothing to judge
]


def spot(number: int, call: str, entity: str | None, band: str | None, mode: str | None) -> Spot:
    moment = NOW - timedelta(minutes=number + 1)
    return Spot(
        spot_time=moment, freq_khz=14000.0 + number, dx_call=call, spotter="DK8NE",
        comment=f"test {number}", received_at=moment, raw=f"DX de DK8NE: {call}", source="dx",
        node="test", is_skimmer=False, mode=mode, band=band, spotter_base="DK8NE",
        dx_entity=entity, dx_continent=None, spotter_continent="EU",
    )  # fmt: skip


@pytest.fixture
def judged(db_dsn: str) -> str:
    spots = [spot(n, call, entity, band, mode) for n, (call, entity, band, mode, _) in
             enumerate(CASES)]  # fmt: skip
    assert store(db_dsn, spots) == len(spots)
    with psycopg.connect(db_dsn) as conn:
        assert store_qsos(conn, OWNER, LOG).new == 3
        assert refresh_slots(conn, OWNER) == 3
    return db_dsn


def answer(dsn: str, name: str, **raw: Any) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn:
        return fetch(conn, plan(name, raw, now=NOW)).items


def test_each_spot_is_judged_in_order(judged: str) -> None:
    rows = answer(judged, "spots", owner=OWNER.lower(), minutes=60)
    assert {row["dx_call"]: row["needed"] for row in rows} == {
        call: kind for call, _, _, _, kind in CASES
    }


def test_the_needed_filter_keeps_those_kinds(judged: str) -> None:
    rows = answer(judged, "spots", owner=OWNER, needed="band,unconfirmed", minutes=60)
    assert sorted(row["dx_call"] for row in rows) == ["JA2XYZ", "JA4XYZ", "JA5XYZ"]


def test_the_needed_query_lists_what_is_needed_entities_first(judged: str) -> None:
    rows = answer(judged, "needed", owner=OWNER)
    assert [(row["dx_call"], row["needed"], row["mode_class"]) for row in rows] == [
        ("OH2BH", "entity", "CW"),
        ("JA2XYZ", "band", "CW"),
        ("JA3XYZ", "mode", "PHONE"),
        ("JA4XYZ", "unconfirmed", "CW"),
        ("JA5XYZ", "unconfirmed", "DATA"),
    ]  # fmt: skip  (within a kind: by entity, then band in frequency order)
    assert rows[0]["spots"] == 1 and rows[0]["freq_khz"] == 14000.0
    only = answer(judged, "needed", owner=OWNER, needed="mode")
    assert [row["dx_call"] for row in only] == ["JA3XYZ"]


def test_another_owner_or_none_worked_needs_every_entity(judged: str) -> None:
    rows = answer(judged, "spots", owner="G4ABC", minutes=60)
    assert {row["needed"] for row in rows if row["dx_entity"]} == {"entity"}


def test_a_new_confirmation_changes_the_judgement(judged: str) -> None:
    with psycopg.connect(judged) as conn:
        store_qsos(conn, OWNER, [qso("JA1BBB", "Japan", "40m", "FT8", "DATA", True)])
        refresh_slots(conn, OWNER)
    rows = {row["dx_call"]: row["needed"] for row in answer(judged, "spots", owner=OWNER,
                                                            minutes=60)}  # fmt: skip
    assert rows["JA4XYZ"] is None and rows["JA5XYZ"] is None


def test_bad_parameters_are_named() -> None:
    with pytest.raises(ParameterError) as error:
        plan("spots", {"needed": "entity"})
    assert error.value.parameter == "needed"
    with pytest.raises(ParameterError) as error:
        plan("spots", {"owner": OWNER, "needed": "dxcc"})
    assert error.value.parameter == "needed"
    assert "entity, band, mode, unconfirmed" in str(error.value)
    with pytest.raises(ParameterError) as error:
        plan("needed", {})
    assert error.value.parameter == "owner"
    with pytest.raises(ParameterError) as error:
        plan("needed", {"owner": "not a call"})
    assert error.value.parameter == "owner"


def test_the_dx_board_marks_its_rows_by_their_latest_spot(judged: str) -> None:
    rows = answer(judged, "dx_board", owner=OWNER, minutes=60)
    assert {row["dx_call"]: row["needed"] for row in rows} == {
        call: kind for call, _, _, _, kind in CASES
    }
    assert "needed" not in answer(judged, "dx_board", minutes=60)[0]


def test_a_calls_history_is_judged_spot_by_spot_as_the_spots_are(judged: str) -> None:
    judged_spots = {row["id"]: row["needed"] for row in answer(judged, "spots", owner=OWNER,
                                                               minutes=60)}  # fmt: skip
    for call, _, _, _, kind in CASES:
        rows = answer(judged, "callsign", dx_call=call, owner=OWNER)
        assert rows and all(row["needed"] == kind == judged_spots[row["id"]] for row in rows)
    assert "needed" not in answer(judged, "callsign", dx_call=CASES[0][0])[0]


def test_log_owners_sums_each_log(judged: str) -> None:
    (row,) = answer(judged, "log_owners")
    assert (row["owner"], row["qsos"], row["confirmed"]) == (OWNER, 3, 2)
    assert (row["entities"], row["entities_confirmed"]) == (2, 2)


def test_a_map_path_is_its_most_wanted_spot(judged: str) -> None:
    with psycopg.connect(judged) as conn:  # the test spots are all 14 MHz from DK8NE: places
        conn.execute(
            "UPDATE spots SET spotter_lat = 51.0, spotter_lon = 10.0, dx_lat = 35.0,"
            " dx_lon = 139.0 WHERE dx_entity = 'Japan'"
        )
    rows = answer(judged, "map_paths", owner=OWNER, minutes=60)
    # The Japanese spots: 15m (band), 20m SSB (mode), 40m (unconfirmed), 20m FT8 and CW.
    by_band = {row["band"]: row["needed"] for row in rows}
    assert by_band == {"15m": "band", "20m": "mode", "40m": "unconfirmed"}
    assert "needed" not in answer(judged, "map_paths", minutes=60)[0]


def test_the_csv_has_the_needed_column_when_judged(judged: str) -> None:
    from dxspots.queries import copy_csv

    with psycopg.connect(judged) as conn:
        text = b"".join(copy_csv(conn, plan("spots", {"owner": OWNER, "minutes": 60},
                                             now=NOW, csv=True))).decode()  # fmt: skip
        plain = b"".join(copy_csv(conn, plan("spots", {"minutes": 60}, now=NOW, csv=True)))
    header, *lines = text.splitlines()
    assert header.endswith(",needed") and "needed" not in plain.decode().splitlines()[0]
    assert {line.rsplit(",", 1)[1] for line in lines} == {"entity", "band", "mode",
                                                          "unconfirmed", ""}  # fmt: skip

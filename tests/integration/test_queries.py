"""The catalogue against a real PostgreSQL: every query's answer checked against the rows.

Expected answers are computed in Python from all stored rows, so a wrong filter, window,
order or count in the SQL shows up as a difference.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, get_type_hints

import psycopg
import pytest
from psycopg.rows import dict_row

from dxspots.queries import (
    CATALOGUE,
    SpotFilters,
    copy_csv,
    fetch,
    matches,
    new_spots,
    plan,
    prepare_reader,
    read_params,
)
from dxspots.queries.rows import SpotRow
from dxspots.spot import Spot
from dxspots.spreadsheet import float_text, inert
from tests.conftest import login_role
from tests.spotset import REQUIRED, all_rows, make_spots, store

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def spots_dsn(db_dsn: str) -> str:
    assert store(db_dsn, make_spots(NOW)) == 243
    return db_dsn


@pytest.fixture
def reader(spots_dsn: str) -> Any:
    """A read-only login (member of dxspots_reader) set up as the API sets up its pool."""
    with login_role(spots_dsn, "dxspots_reader") as dsn, psycopg.connect(dsn) as conn:
        conn.autocommit = True
        assert prepare_reader(conn, 5)
        yield conn


def run(conn: psycopg.Connection[Any], name: str, **raw: Any) -> Any:
    return fetch(conn, plan(name, raw, now=NOW))


def in_window(rows: list[dict[str, Any]], since: datetime, until: datetime = NOW) -> list[Any]:
    return [row for row in rows if since <= row["spot_time"] < until]


FILTERS = [
    {},
    {"band": "20m"},
    {"band": "20m,40m", "mode": "CW"},
    {"mode": "ssb,ft8"},
    {"dx_call": "VP8PJ"},
    {"dx_prefix": "VP8"},
    {"dx_prefix": "3Y,JA"},
    {"dx_entity": "united states"},
    {"dx_continent": "SA,AF"},
    {"spotter": "KM3T"},
    {"spotter": "KM3T-2-#"},
    {"spotter_continent": "EU"},
    {"skimmer": "true"},
    {"skimmer": "false", "band": "15m"},
    {"node": "rbn"},
    {"dx_continent": "NA", "spotter_continent": "EU", "band": "20m"},
]


@pytest.mark.parametrize("raw", FILTERS)
def test_spots_filters_are_the_same_in_sql_and_python(
    reader: psycopg.Connection[Any], spots_dsn: str, raw: dict[str, str]
) -> None:
    rows = all_rows(spots_dsn)
    filters = read_params(SpotFilters, raw)
    expected = [r["id"] for r in in_window(rows, NOW - timedelta(days=1)) if matches(filters, r)]
    page = run(reader, "spots", **raw, limit=1000)
    assert [item["id"] for item in page.items] == expected
    assert page.next is None


def test_keyset_pages_walk_every_spot_once_in_order(
    reader: psycopg.Connection[Any], spots_dsn: str
) -> None:
    expected = [row["id"] for row in in_window(all_rows(spots_dsn), NOW - timedelta(days=30))]
    seen: list[int] = []
    cursor = None
    while True:
        page = run(reader, "spots", days=30, limit=7, cursor=cursor)
        seen += [item["id"] for item in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == expected
    assert len(expected) > 200


def test_band_activity_counts_spots_and_distinct_calls(
    reader: psycopg.Connection[Any], spots_dsn: str
) -> None:
    rows = in_window(all_rows(spots_dsn), NOW - timedelta(minutes=120))
    page = run(reader, "band_activity", minutes=120, bucket=30)
    got = {(i["bucket"], i["band"]): (i["spots"], i["dx_calls"]) for i in page.items}
    expected: dict[tuple[datetime, str], tuple[int, set[str]]] = {}
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    for row in rows:
        bucket = epoch + (row["spot_time"] - epoch) // timedelta(minutes=30) * timedelta(minutes=30)
        count, calls = expected.get((bucket, row["band"]), (0, set()))
        expected[(bucket, row["band"])] = (count + 1, calls | {row["dx_call"]})
    assert got == {key: (count, len(calls)) for key, (count, calls) in expected.items()}
    by_mode = run(reader, "band_activity", minutes=120, bucket=30, by="band_mode")
    assert sum(i["spots"] for i in by_mode.items) == len(rows)
    assert {i["mode"] for i in by_mode.items} == {r["mode"] for r in rows}


def test_heatmap_paths_and_tops_agree_with_the_rows(
    reader: psycopg.Connection[Any], spots_dsn: str
) -> None:
    rows = all_rows(spots_dsn)
    hour = timedelta(hours=1)
    end = NOW.replace(minute=0, second=0)  # whole UTC hours, 7 x 24 of them
    end += hour if end != NOW else timedelta(0)
    week = in_window(rows, end - timedelta(days=7), end)
    heat = run(reader, "band_hour_heatmap", days=7)
    assert Counter({(i["band"], i["hour"]): i["spots"] for i in heat.items}) == Counter(
        (r["band"], r["spot_time"].hour) for r in week
    )
    assert [i["band"] for i in heat.items][:1] == ["160m"]  # frequency order, not text
    for raw in (
        {"band": "20m,40m", "skimmer": "true", "spotter_continent": "EU,NA"},  # hours
        {"node": "rbn", "mode": "CW"},
        {"dx_prefix": "VP8"},
    ):  # from the spots
        filters = read_params(SpotFilters, raw)
        got = run(reader, "band_hour_heatmap", days=7, **raw)
        assert Counter({(i["band"], i["hour"]): i["spots"] for i in got.items}) == Counter(
            (r["band"], r["spot_time"].hour) for r in week if matches(filters, r)
        ), raw

    recent = in_window(rows, NOW - timedelta(minutes=30))
    paths = run(reader, "paths", minutes=30)
    assert Counter(
        {(i["spotter_continent"], i["dx_continent"], i["band"]): i["spots"] for i in paths.items}
    ) == Counter(
        (r["spotter_continent"], r["dx_continent"], r["band"])
        for r in recent
        if r["spotter_continent"] and r["dx_continent"]
    )

    hour = in_window(rows, NOW - timedelta(minutes=60))
    top = run(reader, "top_dx", minutes=60, limit=3)
    counts = Counter(r["dx_call"] for r in hour)
    assert [i["spots"] for i in top.items] == sorted(counts.values(), reverse=True)[:3]
    assert all(counts[i["dx_call"]] == i["spots"] for i in top.items)
    entities = run(reader, "top_dx", minutes=60, by="entity")
    assert {i["dx_entity"]: i["spots"] for i in entities.items} == Counter(
        r["dx_entity"] for r in hour if r["dx_entity"]
    )
    spotters = run(reader, "top_spotters", minutes=60, limit=100)
    assert {i["spotter"]: i["spots"] for i in spotters.items} == Counter(
        r["spotter_base"] for r in hour
    )


def test_callsign_history(reader: psycopg.Connection[Any], spots_dsn: str) -> None:
    mine = [r for r in all_rows(spots_dsn) if r["dx_call"] == "VP8PJ"]
    page = run(reader, "callsign", dx_call="vp8pj", limit=5)
    assert [i["id"] for i in page.items] == [r["id"] for r in mine[:5]]
    summary = page.extras["summary"]
    assert summary["spots"] == len(mine)
    assert summary["first_seen"] == min(r["spot_time"] for r in mine)
    assert summary["last_seen"] == max(r["spot_time"] for r in mine)
    assert {b["value"]: b["spots"] for b in page.extras["bands"]} == Counter(
        r["band"] for r in mine
    )
    rest = run(reader, "callsign", dx_call="VP8PJ", limit=1000, cursor=page.next)
    assert [i["id"] for i in page.items + rest.items] == [r["id"] for r in mine]
    nobody = run(reader, "callsign", dx_call="N0BODY")
    assert nobody.items == [] and nobody.extras["summary"]["spots"] == 0


def test_nodes_solar_and_summary(reader: psycopg.Connection[Any], spots_dsn: str) -> None:
    with psycopg.connect(spots_dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO node_status (node, host, port, logged_in, updated_at) VALUES"
            " ('rbn', '127.0.0.1', 7000, true, now()),"
            " ('old', 'x', 1, true, now() - '1h'::interval)"
        )
        admin.execute(
            "INSERT INTO solar_reports (kind, report_time, reporter, received_at, raw, sfi,"
            " k_index) VALUES ('wwv', %s, 'W0MU', now(), 'raw', 150, 2),"
            " ('wwv', %s, 'W0MU', now(), 'raw', 140, 3),"
            " ('wcy', %s, 'DK0WCY', now(), 'raw', 151, 1)",
            (NOW - timedelta(hours=1), NOW - timedelta(days=3), NOW - timedelta(hours=2)),
        )
    nodes = run(reader, "nodes")
    assert [n["node"] for n in nodes.items] == ["old", "rbn"]
    solar = run(reader, "solar")
    assert [(s["kind"], s["sfi"]) for s in solar.items] == [("wwv", 150), ("wcy", 151)]
    assert [(s["kind"], s["sfi"]) for s in solar.extras["latest"]] == [("wcy", 151), ("wwv", 150)]
    (summary,) = run(reader, "summary").items
    rows = all_rows(spots_dsn)
    assert summary["spots_last_hour"] == len(
        in_window(rows, NOW - timedelta(hours=1), NOW + timedelta(1))
    )
    assert summary["spots_last_day"] == len(
        in_window(rows, NOW - timedelta(days=1), NOW + timedelta(1))
    )
    assert summary["first_spot"] == min(r["spot_time"] for r in rows)
    assert summary["nodes"] == 2 and summary["nodes_logged_in"] == 1


@pytest.mark.parametrize("name", ["spots", "band_activity", "top_dx", "paths", "callsign"])
def test_csv_from_copy_has_the_rows_of_the_json(reader: psycopg.Connection[Any], name: str) -> None:
    raw = {"dx_call": "VP8PJ"} if name == "callsign" else {"minutes": "90"}
    page = fetch(reader, plan(name, raw, now=NOW, csv=False))
    text = b"".join(copy_csv(reader, plan(name, raw, now=NOW, csv=True))).decode()
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == len(page.items) > 0
    for item, row in zip(page.items, table, strict=True):
        assert set(row) == set(item)
        for key, value in item.items():
            assert row[key] == text_of(value), key


def text_of(value: Any) -> str:
    """What a CSV cell of ours holds for a value, once read back (docs/fields.md)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return inert(value) if isinstance(value, str) else str(value)


def test_the_reader_is_read_only_with_a_statement_timeout(reader: psycopg.Connection[Any]) -> None:
    assert reader.execute("SHOW statement_timeout").fetchone() == ("5s",)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        reader.execute("CREATE TEMP TABLE t (x int)")
    with pytest.raises(psycopg.errors.QueryCanceled):
        reader.execute("SET statement_timeout = 50")
        reader.execute("SELECT pg_sleep(1)")


def test_time_filters_read_only_the_months_in_the_window(
    reader: psycopg.Connection[Any],
) -> None:
    planned = plan("band_activity", {"minutes": "60"}, now=NOW)
    with reader.cursor() as cur:
        cur.execute(b"EXPLAIN " + planned.main.sql.as_bytes(reader), planned.main.values)
        text = "\n".join(row[0] for row in cur.fetchall())
    month = f"spots_{NOW:%Y_%m}"
    old = f"spots_{NOW - timedelta(days=40):%Y_%m}"
    assert month in text or f"spots_{NOW - timedelta(hours=1):%Y_%m}" in text
    assert old not in text


def test_new_spots_after_an_id_in_storage_order(
    reader: psycopg.Connection[Any], spots_dsn: str
) -> None:
    ids = sorted(r["id"] for r in all_rows(spots_dsn))
    statement = new_spots(ids[100], 50, read_params(SpotFilters, {"band": "20m"}))
    with reader.cursor(row_factory=dict_row) as cur:
        got = [r["id"] for r in cur.execute(statement.sql, statement.values)]
    rows = {r["id"]: r for r in all_rows(spots_dsn)}
    assert got == [i for i in ids if i > ids[100] and rows[i]["band"] == "20m"][:50]


def test_every_query_returns_exactly_its_row_type(reader: psycopg.Connection[Any]) -> None:
    for name, query in CATALOGUE.items():
        raw = REQUIRED.get(name, {})
        page = fetch(reader, plan(name, raw, now=NOW))
        for item in page.items:
            assert list(item) == list(get_type_hints(query.row)), name
        for part, (row, one) in query.extras.items():
            found = [page.extras[part]] if one else page.extras[part]
            for item in found:
                assert list(item) == list(get_type_hints(row)), (name, part)


def test_the_spot_row_is_a_stored_spot() -> None:
    assert list(get_type_hints(SpotRow)) == ["id", *Spot._fields]


def test_a_writer_login_takes_the_reader_role_and_one_that_may_not_keeps_its_own(
    spots_dsn: str,
) -> None:
    with psycopg.connect(spots_dsn, autocommit=True) as owner:  # a superuser here
        assert prepare_reader(owner, 5)
        assert owner.execute("SELECT current_user").fetchone() == ("dxspots_reader",)
        assert fetch(owner, plan("summary", {}, now=NOW)).items[0]["spots_last_day"] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            owner.execute("SET default_transaction_read_only = off")
            owner.execute("DELETE FROM spots")
    with login_role(spots_dsn, "dxspots_writer") as dsn, psycopg.connect(dsn) as writer:
        writer.autocommit = True
        assert not prepare_reader(writer, 5)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            writer.execute("DELETE FROM spots")


def test_the_hourly_counts_follow_new_spots_only(db_dsn: str) -> None:
    spots = make_spots(NOW)
    assert store(db_dsn, spots) == len(spots)
    assert store(db_dsn, spots[:100]) == 0  # duplicates: not counted again
    with psycopg.connect(db_dsn) as conn:
        by_hour = conn.execute(
            "SELECT hour, band, sum(spots) FROM spot_hours GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        expected = conn.execute(
            "SELECT date_trunc('hour', spot_time, 'UTC'), coalesce(band, ''), count(*)"
            " FROM spots GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    assert by_hour == expected


def test_summary_says_simulated_country_file_and_spots_without_entity(
    reader: psycopg.Connection[Any], spots_dsn: str
) -> None:
    def summary() -> dict[str, Any]:
        (row,) = run(reader, "summary").items
        return dict(row)

    day = in_window(all_rows(spots_dsn), NOW - timedelta(days=1), NOW + timedelta(1))
    first = summary()
    assert first["spots_without_entity_last_day"] == sum(r["dx_entity"] is None for r in day) > 0
    assert first["simulated"] is False and first["country_file_missing"] is False  # no rows yet

    def node(name: str, logged_in: bool, age: timedelta) -> None:
        with psycopg.connect(spots_dsn, autocommit=True) as admin:
            admin.execute("DELETE FROM node_status")
            admin.execute(
                "INSERT INTO node_status (node, host, port, logged_in, updated_at)"
                " VALUES (%s, '127.0.0.1', 7300, %s, %s)",
                (name, logged_in, NOW - age),
            )

    node("simulator", True, timedelta(seconds=5))
    assert summary()["simulated"] is True
    node("simulator", True, timedelta(seconds=61))  # its collector stopped reporting
    assert summary()["simulated"] is False
    node("simulator", False, timedelta(seconds=5))
    assert summary()["simulated"] is False
    node("rbn", True, timedelta(seconds=5))
    assert summary()["simulated"] is False

    def collectors(*rows: tuple[str, str | None, timedelta]) -> None:
        with psycopg.connect(spots_dsn, autocommit=True) as admin:
            admin.execute("DELETE FROM collector_status")
            for name, country_file, age in rows:
                admin.execute(
                    "INSERT INTO collector_status (collector, started_at, country_file,"
                    " updated_at) VALUES (%s, %s, %s, %s)",
                    (name, NOW - timedelta(hours=2), country_file, NOW - age),
                )

    collectors(("old", "VER20260101", timedelta(hours=1)), ("new", None, timedelta(seconds=3)))
    assert summary()["country_file_missing"] is True
    collectors(("old", None, timedelta(hours=1)), ("new", "VER20260101", timedelta(seconds=3)))
    assert summary()["country_file_missing"] is False

"""The call rollups (migration 0012, dxspots/db/rollups.py) against a real PostgreSQL: kept
by the write path, by `forget` and by re-enrichment equal to the same aggregation over the raw
spots, and every rollup-backed answer the same as the raw query's, also after a month's raw
partition is dropped (retention keeps the rollups)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from dxspots.db.forget import forget_node
from dxspots.db.rollups import CALL_DAY_COUNTS, DAY_ROLLUP_COUNTS, DAY_ROLLUPS
from dxspots.queries import fetch, plan
from dxspots.queries.filters import BAND_ORDER, Span, spot_conditions, where
from tests.spotset import DX, make_spots, store

NOW = datetime.now(UTC).replace(microsecond=0)
CALLS = [call for call, _, _ in DX] + ["N0BODY"]

CALL_DAYS = "SELECT * FROM call_days"
CALL_SPOTTERS = "SELECT * FROM call_spotters WHERE spots > 0"
RECOUNT_SPOTTERS = (
    "SELECT dx_call, coalesce(spotter_base, ''), count(*)::int FROM spots GROUP BY 1, 2"
)

# The callsign history as it was read from the raw spots before the rollups: the reference.
RAW_SUMMARY = (
    "SELECT %(dx_call)s::text AS dx_call,"
    " (array_agg(dx_entity ORDER BY spot_time DESC, dx_entity DESC))[1] AS dx_entity,"
    " (array_agg(dx_continent ORDER BY spot_time DESC, dx_entity DESC))[1] AS dx_continent,"
    " min(spot_time) AS first_seen, max(spot_time) AS last_seen, count(*) AS spots,"
    " count(DISTINCT spotter_base) AS spotters FROM spots WHERE dx_call = %(dx_call)s"
)
RAW_COUNTED = (
    "SELECT {col} AS value, count(*) AS spots, max(spot_time) AS last_spot FROM spots"
    " WHERE dx_call = %(dx_call)s GROUP BY {col} ORDER BY {order}"
)
RAW_EXTRAS = {
    "bands": ("band", "array_position(%(band_order)s::text[], band)"),
    "modes": ("mode", "spots DESC, value"),
    "spotter_continents": ("spotter_continent", "spots DESC, value"),
}


def rollups(conn: psycopg.Connection[Any]) -> list[set[Any]]:
    kept = [set(conn.execute(CALL_DAYS).fetchall()), set(conn.execute(CALL_SPOTTERS).fetchall())]
    return kept + [set(conn.execute(f"SELECT * FROM {table}").fetchall()) for table in DAY_ROLLUPS]


def recounted(conn: psycopg.Connection[Any]) -> list[set[Any]]:
    days = set(conn.execute(CALL_DAY_COUNTS.format("spots")).fetchall())  # type: ignore[arg-type]
    counted = [days, set(conn.execute(RECOUNT_SPOTTERS).fetchall())]
    for _, key in DAY_ROLLUPS.values():
        text = DAY_ROLLUP_COUNTS.format(key=key, source="spots")
        counted.append(set(conn.execute(text).fetchall()))  # type: ignore[arg-type]
    return counted


def history(conn: psycopg.Connection[Any], call: str) -> dict[str, Any]:
    """The callsign query's rollup-backed parts, as the catalogue answers them."""
    page = fetch(conn, plan("callsign", {"dx_call": call}, now=NOW))
    return {name: page.extras[name] for name in ("summary", *RAW_EXTRAS)}


def raw_history(conn: psycopg.Connection[Any], call: str) -> dict[str, Any]:
    values = {"dx_call": call, "band_order": BAND_ORDER}
    with conn.cursor(row_factory=dict_row) as cur:
        answer: dict[str, Any] = {"summary": cur.execute(RAW_SUMMARY, values).fetchone()}
        for name, (col, order) in RAW_EXTRAS.items():
            text = RAW_COUNTED.format(col=col, order=order)
            answer[name] = cur.execute(text, values).fetchall()  # type: ignore[arg-type]
    return answer


def assert_same_as_raw(dsn: str) -> dict[str, dict[str, Any]]:
    with psycopg.connect(dsn) as conn:
        assert rollups(conn) == recounted(conn)
        answers = {}
        for call in CALLS:
            answers[call] = history(conn, call)
            assert answers[call] == raw_history(conn, call), call
        return answers


@pytest.fixture
def spots_dsn(db_dsn: str) -> str:
    spots = make_spots(NOW)
    assert store(db_dsn, spots) == len(spots)
    assert store(db_dsn, spots[::5]) == 0  # copies count nowhere
    return db_dsn


def test_the_writer_keeps_the_rollups_equal_to_the_spots(spots_dsn: str) -> None:
    answers = assert_same_as_raw(spots_dsn)
    busy = answers["VP8PJ"]["summary"]
    assert busy["spots"] > 10 and busy["spotters"] > 1 and busy["dx_entity"] == "Falkland Islands"
    assert answers["N0BODY"]["summary"]["spots"] == 0
    assert answers["N0BODY"]["bands"] == []
    unknown = answers["ZL2AB"]  # stored as '' in the rollup, NULL in the answer
    assert unknown["summary"]["dx_entity"] is None
    assert None in {row["value"] for row in unknown["modes"]}


def test_forget_keeps_the_rollups_equal_to_what_is_left(spots_dsn: str) -> None:
    before = assert_same_as_raw(spots_dsn)
    with psycopg.connect(spots_dsn) as conn:
        assert forget_node(conn, "rbn")["spots"] > 0
    after = assert_same_as_raw(spots_dsn)
    assert after["VP8PJ"]["summary"]["spots"] < before["VP8PJ"]["summary"]["spots"]
    with psycopg.connect(spots_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM call_spotters WHERE spots <= 0").fetchone() == (
            0,
        )


def test_a_changed_entity_moves_the_days_counts(spots_dsn: str) -> None:
    """What re-enrichment does to a call's rows (tests/integration/test_reenrich.py runs the
    real thing): the recount of the touched days follows the rows."""
    from dxspots.db.rollups import recount_call_days

    with psycopg.connect(spots_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE spots SET dx_entity = 'New Zealand', dx_continent = 'OC'"
            " WHERE dx_call = 'ZL2AB' AND spot_time > %s",
            (NOW - timedelta(hours=1),),
        )
        recount_call_days(
            cur,
            "(SELECT date_trunc('day', spot_time, 'UTC') AS day, dx_call FROM spots"
            " WHERE dx_call = 'ZL2AB')",
        )
    answers = assert_same_as_raw(spots_dsn)
    assert answers["ZL2AB"]["summary"]["dx_entity"] == "New Zealand"


def test_dropped_raw_partitions_leave_the_rollup_answers_as_they_were(spots_dsn: str) -> None:
    before = assert_same_as_raw(spots_dsn)
    old = NOW - timedelta(days=40)
    with psycopg.connect(spots_dsn) as conn:
        dropped = conn.execute(
            "SELECT count(*) FROM spots WHERE spot_time < date_trunc('month', %s::timestamptz)",
            (NOW,),
        ).fetchone()
        assert dropped is not None and dropped[0] >= 1
        # Every month before this one goes, as retention drops them (whole partitions).
        months = conn.execute(
            "SELECT DISTINCT to_char(spot_time AT TIME ZONE 'UTC', 'YYYY_MM') FROM spots"
            " WHERE spot_time < date_trunc('month', %s::timestamptz, 'UTC')",
            (NOW,),
        ).fetchall()
        assert (old.strftime("%Y_%m"),) in months
        for (month,) in months:
            conn.execute(f"DROP TABLE spots_{month}")  # names made here, not by a client
        conn.commit()
        after = {call: history(conn, call) for call in CALLS}
        raw_after = {call: raw_history(conn, call) for call in CALLS}
    assert after == before
    assert raw_after != before  # the raw spots did lose those months


# The top lists, band activity and summary as single aggregations over the raw spots (the
# statements before the ranking was split from the distinct counts): the references for the
# catalogue's answers, over a spread of windows (whole, ragged, past) and filters.
_BANDS = (
    "coalesce((SELECT string_agg(b, ',' ORDER BY array_position(%(band_order)s::text[], b))"
    " FROM unnest(array_agg(DISTINCT band)) AS b), '') AS bands"
)
RAW_AGGREGATES = {
    "top_dx": "SELECT dx_call, max(dx_entity) AS dx_entity, max(dx_continent) AS dx_continent,"
    " count(*) AS spots, count(DISTINCT spotter_base) AS spotters,"
    f" count(DISTINCT dx_call) AS dx_calls, {_BANDS}, max(spot_time) AS last_spot"
    " FROM spots {where} GROUP BY dx_call ORDER BY spots DESC, dx_call LIMIT %(fetch)s",
    "top_dx by entity": "SELECT NULL::text AS dx_call, dx_entity,"
    " max(dx_continent) AS dx_continent, count(*) AS spots,"
    " count(DISTINCT spotter_base) AS spotters, count(DISTINCT dx_call) AS dx_calls,"
    f" {_BANDS}, max(spot_time) AS last_spot FROM spots {{where}} AND dx_entity IS NOT NULL"
    " GROUP BY dx_entity ORDER BY spots DESC, dx_entity LIMIT %(fetch)s",
    "top_spotters": "SELECT spotter_base AS spotter, max(spotter_entity) AS spotter_entity,"
    " max(spotter_continent) AS spotter_continent, bool_or(is_skimmer) AS is_skimmer,"
    f" count(*) AS spots, count(DISTINCT dx_call) AS dx_calls, {_BANDS},"
    " max(spot_time) AS last_spot FROM spots {where} GROUP BY spotter_base"
    " ORDER BY spots DESC, spotter_base LIMIT %(fetch)s",
    "band_activity": "SELECT date_bin(make_interval(mins => %(bucket)s), spot_time,"
    " %(origin)s) AS bucket, band, {mode} AS mode, count(*) AS spots,"
    " count(DISTINCT dx_call) AS dx_calls FROM spots {where} GROUP BY 1, 2, 3"
    " ORDER BY 1, array_position(%(band_order)s::text[], band), 3 LIMIT %(fetch)s",
}
RAW_SUMMARY_DAY = (
    "SELECT count(*) FILTER (WHERE spot_time >= %(hour)s) AS spots_last_hour,"
    " count(*) AS spots_last_day, count(DISTINCT dx_call) AS dx_calls_last_day,"
    " count(DISTINCT spotter_base) AS spotters_last_day,"
    " count(*) FILTER (WHERE dx_entity IS NULL) AS spots_without_entity_last_day"
    " FROM spots WHERE spot_time >= %(day)s"
)
WINDOWS: list[dict[str, Any]] = [
    {},
    {"minutes": 180},
    {"days": 7},
    {"days": 2},
    {"since": (NOW - timedelta(hours=2, minutes=7, seconds=30)).isoformat(),
     "until": (NOW - timedelta(minutes=13)).isoformat()},
    {"since": (NOW - timedelta(days=41)).isoformat(),
     "until": (NOW - timedelta(days=38)).isoformat()},
]  # fmt: skip
FILTERS: list[dict[str, Any]] = [
    {},
    {"limit": 2},
    {"band": "20m,40m"},
    {"mode": "CW", "skimmer": True},
    {"spotter_continent": "EU", "dx_continent": "SA,NA"},
    {"spotter": "KM3T", "node": "rbn"},
    {"dx_prefix": "VP8"},
    {"dx_entity": "united states"},
]
CASES = [
    (name, window | filters | extra)
    for name, extra in (
        ("top_dx", {}),
        ("top_dx by entity", {"by": "entity"}),
        ("top_spotters", {}),
        ("band_activity", {}),
        ("band_activity", {"by": "band_mode", "bucket": 10}),
    )
    for window in WINDOWS
    for filters in FILTERS
]


def assert_aggregates_as_raw(dsn: str) -> int:
    """Every case's answer equals its raw aggregation; return how many had rows."""
    with_rows = 0
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        for name, case in CASES:
            planned = plan(name.split()[0], case, now=NOW)
            bound = planned.main.values  # the window the plan resolved, the same filters
            span = Span(bound["since"], bound["until"], True)
            conditions = where(spot_conditions(planned.params, span, {})).as_string(conn)
            mode = "mode" if case.get("by") == "band_mode" else "NULL::text"
            text = RAW_AGGREGATES[name].format(where=conditions, mode=mode)
            raw = cur.execute(text, bound).fetchall()  # type: ignore[arg-type]
            assert fetch(conn, planned).items == raw, (name, case)
            with_rows += bool(raw)
        # The summary at several moments: now, at a whole hour, a day on less 90 minutes (its
        # last day starts among the recent spots: calls before and after the cut), earlier.
        later = NOW + timedelta(days=1, minutes=-90, seconds=7)
        for now in (NOW, NOW.replace(minute=0, second=0), later, NOW - timedelta(hours=17)):
            summary = fetch(conn, plan("summary", {}, now=now)).items[0]
            moments = {"day": now - timedelta(days=1), "hour": now - timedelta(hours=1)}
            raw_day = cur.execute(RAW_SUMMARY_DAY, moments).fetchone()
            assert raw_day is not None and raw_day["spots_last_day"] > 0
            assert {k: summary[k] for k in raw_day} == raw_day, now
    return with_rows


def test_top_lists_band_activity_and_summary_as_the_raw_aggregation(spots_dsn: str) -> None:
    assert assert_aggregates_as_raw(spots_dsn) > len(CASES) // 2  # most cases have rows
    with psycopg.connect(spots_dsn) as conn:
        answer = fetch(conn, plan("top_dx", {"days": 7}, now=NOW)).items
    assert answer[0]["spots"] > answer[-1]["spots"] and answer[0]["spotters"] > 1
    with psycopg.connect(spots_dsn) as conn:
        assert forget_node(conn, "rbn")["spots"] > 0
    assert_aggregates_as_raw(spots_dsn)

"""band_normal, dx_board, map_paths and messages against a real PostgreSQL.

Each answer is checked against the same aggregation done in Python over every stored row,
so a wrong window, filter, grouping, order or count in the SQL shows up as a difference.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from dxspots.bands import BAND_NAMES
from dxspots.db.writer import SpotWriter
from dxspots.queries import SpotFilters, fetch, matches, plan, prepare_reader, read_params
from dxspots.queries.live import band_normal_slots
from tests.conftest import login_role
from tests.liveset import HISTORY_DAYS, history, messages, place
from tests.spotset import all_rows, make_spots, store

NOW = datetime.now(UTC).replace(microsecond=0)
BAND_INDEX = {name: i for i, name in enumerate(BAND_NAMES)}


def reader_of(dsn: str) -> Any:
    """A read-only login (member of dxspots_reader) set up as the API sets up its pool."""
    with login_role(dsn, "dxspots_reader") as login, psycopg.connect(login) as conn:
        conn.autocommit = True
        assert prepare_reader(conn, 5)
        yield conn


def run(conn: psycopg.Connection[Any], name: str, **raw: Any) -> Any:
    return fetch(conn, plan(name, raw, now=NOW))


# band_normal ----------------------------------------------------------------------------


@pytest.fixture
def history_reader(db_dsn: str) -> Any:
    spots = history(NOW)
    assert store(db_dsn, spots) == len(spots)
    yield from reader_of(db_dsn)


def expected_normal(rows: list[dict[str, Any]], raw: dict[str, Any], days: int) -> list[Any]:
    filters = read_params(SpotFilters, {k: v for k, v in raw.items()})
    slots = band_normal_slots(NOW, days)
    start = min(r["spot_time"] for r in rows).replace(minute=0, second=0)
    present = sum(slot >= start for slot in slots)
    counts: dict[str | None, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        slot = row["spot_time"].replace(minute=0, second=0)
        if slot in slots and matches(filters, row):
            counts[row["band"]][slot] += 1
    out = [
        (band, sum(by_slot.values()) / present / 4, max(by_slot.values()) / 4, present)
        for band, by_slot in counts.items()
    ]
    return sorted(out, key=lambda item: BAND_INDEX.get(item[0] or "", 999))


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"band": "20m,40m"},
        {"mode": "CW"},
        {"skimmer": "true", "spotter_continent": "EU"},
        {"dx_continent": "SA,AS", "skimmer": "false"},
    ],
)
@pytest.mark.parametrize("days", [7, 14, 31])
def test_band_normal_is_the_same_hour_over_the_days_before(
    history_reader: psycopg.Connection[Any], db_dsn: str, raw: dict[str, Any], days: int
) -> None:
    rows = all_rows(db_dsn)
    got = run(history_reader, "band_normal", days=days, **raw).items
    expected = expected_normal(rows, raw, days)
    assert [(i["band"], i["days"]) for i in got] == [(e[0], e[3]) for e in expected]
    for item, (_, normal, peak, _) in zip(got, expected, strict=True):
        assert item["normal"] == pytest.approx(normal) and item["peak"] == pytest.approx(peak)
    assert got, raw
    # A database younger than the days asked: only the days it has count.
    assert {i["days"] for i in got} == {min(days, HISTORY_DAYS)}


def test_band_normal_judges_the_hour_of_at(
    history_reader: psycopg.Connection[Any], db_dsn: str
) -> None:
    at = NOW - timedelta(hours=1)
    got = fetch(history_reader, plan("band_normal", {"at": at.isoformat()}, now=NOW))
    assert got.items != []
    rows = all_rows(db_dsn)
    slots = band_normal_slots(at, 14)
    twenty = [r for r in rows if r["band"] == "20m" and r["spot_time"].replace(minute=0) in slots]
    (item,) = [i for i in got.items if i["band"] == "20m"]
    assert item["normal"] == pytest.approx(len(twenty) / 14 / 4)
    assert not plan("band_normal", {"at": at.isoformat()}, now=NOW).live


def test_band_normal_of_an_empty_database_has_no_rows(db_dsn: str) -> None:
    for conn in reader_of(db_dsn):
        assert run(conn, "band_normal").items == []


# dx_board and map_paths ---------------------------------------------------------------


@pytest.fixture
def placed_dsn(db_dsn: str) -> str:
    """The spot set, with SNRs on some spots and coordinates on most."""
    assert store(db_dsn, make_spots(NOW)) == 243
    place(db_dsn)
    return db_dsn


@pytest.fixture
def placed_reader(placed_dsn: str) -> Any:
    yield from reader_of(placed_dsn)


def in_window(rows: list[dict[str, Any]], minutes: int) -> list[dict[str, Any]]:
    return [r for r in rows if NOW - timedelta(minutes=minutes) <= r["spot_time"] < NOW]


BOARD_FILTERS = [{}, {"band": "20m"}, {"skimmer": "false"}, {"dx_continent": "SA"},
                 {"spotter": "KM3T", "mode": "CW,FT8"}]  # fmt: skip


@pytest.mark.parametrize("raw", BOARD_FILTERS)
def test_dx_board_has_one_row_per_call_and_band(
    placed_reader: psycopg.Connection[Any], placed_dsn: str, raw: dict[str, Any]
) -> None:
    filters = read_params(SpotFilters, raw)
    rows = [r for r in in_window(all_rows(placed_dsn), 90) if matches(filters, r)]
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:  # newest first, as stored rows come
        groups[(row["dx_call"], row["band"])].append(row)
    expected = []
    for (call, band), spots in groups.items():
        latest = max(spots, key=lambda r: (r["spot_time"], r["id"]))
        snrs = [r["snr_db"] for r in spots if r["snr_db"] is not None]
        expected.append({
            "dx_call": call, "band": band, "freq_khz": latest["freq_khz"],
            "mode": latest["mode"], "dx_entity": latest["dx_entity"],
            "dx_continent": latest["dx_continent"], "spots": len(spots),
            "spotters": len({r["spotter_base"] for r in spots}),
            "first_seen": min(r["spot_time"] for r in spots),
            "last_seen": latest["spot_time"], "best_snr": max(snrs, default=None),
            "latest_comment": latest["comment"], "latest_spotter": latest["spotter"],
            "is_skimmer_only": all(r["is_skimmer"] for r in spots),
        })  # fmt: skip
    expected.sort(key=lambda e: (-e["last_seen"].timestamp(), e["dx_call"], e["band"] or ""))
    got = run(placed_reader, "dx_board", minutes=90, limit=1000, **raw).items
    assert got == expected
    assert got, raw
    few = run(placed_reader, "dx_board", minutes=90, limit=3, **raw).items
    assert few == expected[:3]


def test_dx_board_marks_calls_only_skimmers_heard(placed_reader: psycopg.Connection[Any]) -> None:
    items = run(placed_reader, "dx_board", minutes=180, limit=1000).items
    assert {i["is_skimmer_only"] for i in items} == {True, False}
    assert all(i["best_snr"] is None or -10 <= i["best_snr"] < 30 for i in items)


def rounded(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("raw", [{}, {"band": "20m,40m"}, {"skimmer": "true"}])
def test_map_paths_group_by_band_and_places(
    placed_reader: psycopg.Connection[Any], placed_dsn: str, raw: dict[str, Any]
) -> None:
    filters = read_params(SpotFilters, raw)
    rows = [r for r in in_window(all_rows(placed_dsn), 120) if matches(filters, r)]
    ends = ("spotter_lat", "spotter_lon", "dx_lat", "dx_lon")
    placed = [r for r in rows if all(r[e] is not None for e in ends)]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in placed:
        groups[(row["band"], *(rounded(row[e]) for e in ends))].append(row)
    expected = []
    for key, spots in groups.items():
        latest = max(spots, key=lambda r: (r["spot_time"], r["id"]))
        expected.append({
            "band": key[0], **dict(zip(ends, key[1:], strict=True)), "spots": len(spots),
            "dx_calls": len({r["dx_call"] for r in spots}), "dx_call": latest["dx_call"],
            "spotter": latest["spotter"],
        })  # fmt: skip
    expected.sort(key=lambda e: (-e["spots"], BAND_INDEX[e["band"]], *(e[n] for n in ends)))
    page = run(placed_reader, "map_paths", minutes=120, **raw)
    assert page.items == expected
    assert page.extras["totals"] == {"spots": len(rows), "left_out": len(rows) - len(placed)}
    assert 0 < len(placed) < len(rows)
    assert run(placed_reader, "map_paths", minutes=120, limit=2, **raw).items == expected[:2]


# messages -------------------------------------------------------------------------------


@pytest.fixture
def messages_dsn(db_dsn: str) -> str:
    with psycopg.connect(db_dsn) as conn:
        assert SpotWriter(conn).write(messages(NOW)).announcements_new == 156
    return db_dsn


def stored_messages(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        return conn.execute(
            "SELECT kind, sender, recipient, text, coalesce(sent_time, sent_minute) AS sent_time,"
            " received_at, node, sent_minute FROM announcements"
        ).fetchall()


@pytest.mark.parametrize(
    ("raw", "kinds", "sender", "hours"),
    [
        ({}, {"all", "local", "talk", "wx"}, None, 24),
        ({"kind": "announcement"}, {"all", "local"}, None, 24),
        ({"kind": "talk,WX", "days": "2"}, {"talk", "wx"}, None, 48),
        ({"sender": "g4abc", "minutes": "600"}, {"all", "local", "talk", "wx"}, "G4ABC", 10),
    ],
)
def test_messages_newest_first_filtered_and_paged(
    messages_dsn: str, raw: dict[str, Any], kinds: set[str], sender: str | None, hours: int
) -> None:
    since = NOW - timedelta(hours=hours)
    wanted = [
        m for m in stored_messages(messages_dsn)
        if m["kind"] in kinds and sender in (None, m["sender"]) and since <= m["sent_time"] < NOW
    ]  # fmt: skip
    wanted.sort(key=lambda m: (m["sent_minute"], m["received_at"]), reverse=True)
    for conn in reader_of(messages_dsn):
        page = run(conn, "messages", limit=1000, **raw)
        assert page.next is None
        assert [(m["sent_time"], m["received_at"]) for m in page.items] == [
            (m["sent_time"], m["received_at"]) for m in wanted
        ]
        assert sorted(map(repr, page.items)) == sorted(
            repr({k: v for k, v in m.items() if k != "sent_minute"}) for m in wanted
        )
        assert len(wanted) > 5
        walked: list[dict[str, Any]] = []
        cursor = None
        while True:
            part = run(conn, "messages", limit=4, cursor=cursor, **raw)
            walked += part.items
            if part.next is None:
                break
            cursor = part.next
        assert walked == page.items  # every message once, in the same order

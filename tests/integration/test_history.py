"""The history generator (bench/history.py): realistic traffic through the real write path.

One history of ~30,000 spots over the 17 days before 1 December 2026 (an ordinary weekend,
21-22 November, and the CQ WW CW weekend, 28-29 November) is loaded once into a database of
this module's own, through `SpotWriter`, and every test reads what was stored.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from bench.history import History, batches, load, scale_for
from bench.traffic import REGIONS, SKIMMER_SHARE
from tests.conftest import throwaway_database

END = datetime(2026, 12, 1, tzinfo=UTC)
DAYS = 17
SPOTS = 30_000


@pytest.fixture(scope="module")
def history() -> History:
    return History(days=DAYS, end=END, scale=scale_for(SPOTS, DAYS, END), seed=7)


@pytest.fixture(scope="module")
def loaded(pg_server: str, template_db: str, history: History) -> Iterator[tuple[str, int, int]]:
    """The DSN of a database holding the history, with the spots made and stored."""
    with throwaway_database(pg_server, template_db) as dsn:
        made, stored, _, wal = load(dsn, history)
        # The write-ahead log the load wrote (what a replica would receive): more than the
        # spots' own bytes, as every spot is in the table, its indexes and the rollups.
        assert wal > stored * 100
        yield dsn, made, stored


def rows(dsn: str, query: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


def test_every_spot_made_is_stored_and_counted(loaded: tuple[str, int, int]) -> None:
    dsn, made, stored = loaded
    assert SPOTS * 0.95 < made < SPOTS * 1.05
    assert stored == made
    assert rows(dsn, "SELECT count(*) FROM spots") == [(made,)]
    # The write path's hourly rollup counted each one.
    assert rows(dsn, "SELECT sum(spots) FROM spot_hours") == [(made,)]


def test_the_same_seed_makes_the_same_spots() -> None:
    def make(seed: int) -> list[object]:
        made = History(days=2, end=END, scale=0.002, seed=seed)
        return [spot for batch in batches(made, 1000) for spot in batch]

    first = make(3)
    assert len(first) > 500
    assert make(3) == first
    assert make(4) != first


def test_high_bands_follow_daylight_and_low_bands_darkness(
    loaded: tuple[str, int, int], history: History
) -> None:
    assert REGIONS[0].name == "EU"  # its skimmers and users are groups 0 and 1
    pop = history.population
    spotters = [pop.spotters[i] for group in (0, 1) for i in pop.spotter_groups[group][0]]

    def count(band: str, hours: tuple[int, ...]) -> int:
        found = rows(
            loaded[0],
            "SELECT count(*) FROM spots WHERE band = %s AND spotter = ANY(%s)"
            " AND extract(hour FROM spot_time AT TIME ZONE 'UTC') = ANY(%s)",
            band, spotters, list(hours),
        )  # fmt: skip
        return int(str(found[0][0]))

    noon, midnight = (10, 11, 12), (22, 23, 0)  # around local noon and midnight in Europe
    assert count("10m", noon) > 5 * max(1, count("10m", midnight))
    assert count("80m", midnight) > 3 * max(1, count("80m", noon))


def test_a_contest_weekend_is_several_times_an_ordinary_one(loaded: tuple[str, int, int]) -> None:
    def weekend(first: str, last: str) -> int:
        found = rows(
            loaded[0], "SELECT count(*) FROM spots WHERE spot_time >= %s AND spot_time < %s",
            datetime.fromisoformat(first), datetime.fromisoformat(last),
        )  # fmt: skip
        return int(str(found[0][0]))

    ordinary = weekend("2026-11-21T00:00Z", "2026-11-23T00:00Z")
    cq_ww_cw = weekend("2026-11-28T00:00Z", "2026-11-30T00:00Z")
    assert ordinary > 300
    assert cq_ww_cw > 5 * ordinary
    cw = rows(
        loaded[0],
        "SELECT avg((mode = 'CW')::int) FROM spots WHERE spot_time >= '2026-11-28T00:00Z'"
        " AND spot_time < '2026-11-30T00:00Z'",
    )
    assert float(cw[0][0]) > 0.9  # type: ignore[arg-type]


def test_skimmers_make_about_68_percent_of_an_ordinary_week(loaded: tuple[str, int, int]) -> None:
    found = rows(
        loaded[0],
        "SELECT avg(is_skimmer::int), bool_and(is_skimmer = (spotter LIKE '%%-#'))"
        " FROM spots WHERE spot_time < '2026-11-28T00:00Z'",
    )
    share, consistent = found[0]
    assert abs(float(share) - SKIMMER_SHARE) < 0.03  # type: ignore[arg-type]
    assert consistent is True


def test_a_few_calls_are_very_busy_and_most_are_rare(loaded: tuple[str, int, int]) -> None:
    counts = [int(n) for (n,) in rows(loaded[0], "SELECT count(*) FROM spots GROUP BY dx_call")]  # type: ignore[call-overload]
    assert max(counts) > 30 * statistics.median(counts)
    assert max(counts) < 0.05 * sum(counts)
    assert len(counts) > 5_000


def test_a_dxpedition_is_on_the_air_for_two_weeks(
    loaded: tuple[str, int, int], history: History
) -> None:
    (trip,) = history.population.expeditions[:1]
    call = history.population.dx_calls[trip.index]
    found = rows(
        loaded[0],
        "SELECT count(*), min(spot_time), max(spot_time) FROM spots WHERE dx_call = %s",
        call,
    )
    count, first, last = found[0]
    assert int(str(count)) > 20  # 1.2 % of the spots while on the air: a busy call
    assert isinstance(first, datetime) and isinstance(last, datetime)
    assert trip.start <= first and last < trip.end


def test_spots_have_modes_by_segment_and_skimmer_readings(loaded: tuple[str, int, int]) -> None:
    found = rows(
        loaded[0],
        "SELECT bool_and(band IS NOT NULL), bool_and(snr_db IS NOT NULL) FILTER (WHERE is_skimmer),"
        " bool_and(wpm BETWEEN 12 AND 45) FILTER (WHERE is_skimmer AND mode = 'CW'),"
        " count(DISTINCT mode), count(DISTINCT spotter) FILTER (WHERE spotter LIKE '%%-_-#')"
        " FROM spots",
    )
    in_band, snr, wpm, modes, ssid_skimmers = found[0]
    assert (in_band, snr, wpm) == (True, True, True)
    assert int(modes) >= 4  # type: ignore[call-overload]
    assert int(ssid_skimmers) > 10  # type: ignore[call-overload]

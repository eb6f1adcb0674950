"""Re-enrichment of stored spots without an entity (dxspots/db/reenrich.py, migration 0011),
against a real PostgreSQL: spots stored with no country file get the fields the write path
would have given them, the hourly counts by continent match the rows again, an interrupted
run continues where it stopped, and a new country file starts over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from dxspots.cty import CountryFile
from dxspots.db.reenrich import ENTITY_FIELDS, ReenrichError, pending, reenrich_spots
from dxspots.db.rollups import CALL_DAY_COUNTS
from dxspots.db.writer import HOUR_COUNTS, SpotWriter
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import Spot
from tests.conftest import FIXTURES

START = datetime(2026, 10, 31, 20, 0, tzinfo=UTC)  # two months, so two partitions
CALLS = ("DL1ABC", "EA5XYZ", "JA1ZZZ", "K1ABC", "OH0X", "VE3ABC", "XX9NOPE", "IT9AAA", "UA9XX")
SPOTTERS = ("DK8NE-#", "W3LPL-2-#", "G4ABC", "JH1XYZ-5", "OH2BH", "ZZ0ZZ")


def country_file() -> CountryFile:
    return CountryFile.load(FIXTURES / "cty_small.dat", FIXTURES / "cty_small.csv")


def lines() -> list[Spot]:
    """Human and skimmer spots over eight hours; some calls no country file knows."""
    spots = []
    for i in range(120):
        at = START + timedelta(minutes=4 * i)
        call, spotter = CALLS[i % len(CALLS)], SPOTTERS[i % len(SPOTTERS)]
        comment = "CW 12 dB 24 WPM CQ" if spotter.endswith("-#") else f"tnx qso {i}"
        line = f"DX de {spotter + ':':<9}{7000.0 + i:>9.1f}  {call:<12} {comment:<30} {at:%H%M}Z"
        record = parse_line(line, at + timedelta(seconds=5), "node")
        assert isinstance(record, Spot), line
        spots.append(record)
    return spots


def store(dsn: str, spots: list[Spot], enricher: Enricher) -> None:
    with psycopg.connect(dsn) as conn:
        SpotWriter(conn).write([enricher.enrich(s) for s in spots])


def hour_counts(dsn: str) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    """`spot_hours` as stored, and as counted again from the rows."""
    with psycopg.connect(dsn) as conn:
        kept = set(conn.execute("SELECT * FROM spot_hours").fetchall())
        counted = set(conn.execute(HOUR_COUNTS.format("spots")).fetchall())  # type: ignore[arg-type]
    return kept, counted


def call_days(dsn: str) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    """`call_days` as stored, and as counted again from the rows."""
    with psycopg.connect(dsn) as conn:
        kept = set(conn.execute("SELECT * FROM call_days").fetchall())
        counted = set(conn.execute(CALL_DAY_COUNTS.format("spots")).fetchall())  # type: ignore[arg-type]
    return kept, counted


def entities(dsn: str) -> dict[tuple[object, ...], tuple[object, ...]]:
    columns = ", ".join(ENTITY_FIELDS)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            f"SELECT spot_time, dx_call, spotter, {columns} FROM spots"  # fixed names
        ).fetchall()
    return {row[:3]: tuple(row[3:]) for row in rows}


def expected(spots: list[Spot]) -> dict[tuple[object, ...], tuple[object, ...]]:
    """What the write path stores with the country file: the same spots, enriched then."""
    enrich = Enricher(country_file()).enrich
    first = Spot._fields.index("dx_entity")
    return {
        (s.spot_time, s.dx_call, s.spotter): tuple(
            round(v, 2) if isinstance(v, float) else v for v in enrich(s)[first:]
        )
        for s in spots
    }


def rounded(found: dict[tuple[object, ...], tuple[object, ...]]) -> dict[object, object]:
    return {
        key: tuple(round(v, 2) if isinstance(v, float) else v for v in values)
        for key, values in found.items()
    }


def test_spots_stored_without_a_country_file_get_the_write_paths_entities(db_dsn: str) -> None:
    spots = lines()
    store(db_dsn, spots, Enricher(None))
    kept, counted = hour_counts(db_dsn)
    assert kept == counted and {row[3] for row in kept} == {""}  # no continent known yet

    with psycopg.connect(db_dsn) as conn:
        assert pending(conn, "v1")
        done = reenrich_spots(conn, Enricher(country_file()), "v1", batch_rows=7)
        assert not pending(conn, "v1") and pending(conn, "v2")
    assert done.finished and not done.resumed
    assert done.examined == len(spots)  # every one lacked an entity, each looked at once
    assert rounded(entities(db_dsn)) == expected(spots)
    found = expected(spots).values()
    assert done.enriched == sum(1 for v in found if v[0] is not None or v[7] is not None)
    kept, counted = hour_counts(db_dsn)
    assert kept == counted  # the counts by continent moved with the spots
    assert {row[3] for row in kept} >= {"EU", "NA", "AS"} and all(row[6] > 0 for row in kept)
    days, recounted = call_days(db_dsn)
    assert days == recounted  # and the calls' days by continent and entity
    assert {row[6] for row in days} > {""} and all(row[7] > 0 for row in days)


def test_an_interrupted_run_continues_and_a_new_file_starts_over(db_dsn: str) -> None:
    spots = lines()
    store(db_dsn, spots, Enricher(None))

    class Interrupted(Exception):
        pass

    def stop_after_three(progress: object) -> None:
        calls.append(progress)
        if len(calls) == 3:
            raise Interrupted

    calls: list[object] = []
    with psycopg.connect(db_dsn) as conn, pytest.raises(Interrupted):
        reenrich_spots(conn, Enricher(country_file()), "v1", batch_rows=10,
                       report=stop_after_three)  # fmt: skip
    with psycopg.connect(db_dsn) as conn:
        examined, finished = conn.execute(
            "SELECT examined, finished_at FROM reenrich_progress"
        ).fetchone()  # type: ignore[misc]
        assert examined == 30 and finished is None  # three batches committed
        assert pending(conn, "v1")
        done = reenrich_spots(conn, Enricher(country_file()), "v1", batch_rows=10)
    assert done.resumed and done.examined == len(spots)  # the first 30 not looked at again
    assert rounded(entities(db_dsn)) == expected(spots)
    kept, counted = hour_counts(db_dsn)
    assert kept == counted

    with psycopg.connect(db_dsn) as conn:  # another file: from the oldest spot again
        unknown = conn.execute(
            "SELECT count(*) FROM spots WHERE dx_entity IS NULL OR spotter_entity IS NULL"
        ).fetchone()[0]  # type: ignore[index]
        conn.commit()
        again = reenrich_spots(conn, Enricher(country_file()), "v2", batch_rows=50)
    assert not again.resumed
    assert 0 < again.examined == unknown < len(spots)
    assert again.enriched == 0  # nothing new to find: nothing rewritten
    assert hour_counts(db_dsn)[0] == kept


def test_a_side_already_known_is_kept_and_no_file_is_an_error(db_dsn: str) -> None:
    spots = lines()
    store(db_dsn, spots, Enricher(country_file()))
    before = entities(db_dsn)
    with psycopg.connect(db_dsn) as conn:
        with pytest.raises(ReenrichError, match="no country file"):
            reenrich_spots(conn, Enricher(None), "none")
        conn.rollback()
        # A file that knows England only: G4ABC's side is filled in, and the DX side of
        # those spots, which this file does not know, keeps what the other file gave it.
        england = CountryFile.from_text("England: 14: 27: EU: 52.77: 1.47: 0.0: G:\n  G,M;\n")
        done = reenrich_spots(conn, Enricher(england), "england", batch_rows=5)
    after = entities(db_dsn)
    g4abc = [key for key in before if key[2] == "G4ABC"]
    assert g4abc and done.enriched == len(g4abc)
    for key, values in after.items():
        if key[2] == "G4ABC":
            assert values[7] == "England" and values[9] == "EU"
            assert values[:7] == before[key][:7] and values[0] is not None
        else:
            assert values == before[key]
    kept, counted = hour_counts(db_dsn)
    assert kept == counted


def test_a_second_run_waits_for_the_first_then_catches_what_came_meanwhile(
    db_dsn: str,
) -> None:
    """`dxspots cty update` re-enriches while the collector, not yet on the new file, stores
    spots without entities; the collector's own run, once it takes the file, waits for the
    first and then fills those in too (it starts again after a finished run)."""
    import threading

    from dxspots.db.reenrich import REENRICH_LOCK

    spots = lines()
    store(db_dsn, spots[:60], Enricher(None))
    enricher = Enricher(country_file())
    with psycopg.connect(db_dsn) as first:
        reenrich_spots(first, enricher, "v1")
    store(db_dsn, spots[60:], Enricher(None))  # the collector, still without the file
    finished: list[int] = []
    with psycopg.connect(db_dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (REENRICH_LOCK,))  # a run going on

        def second() -> None:
            with psycopg.connect(db_dsn) as conn:
                finished.append(reenrich_spots(conn, enricher, "v1").enriched)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(1.5)
        assert thread.is_alive() and not finished  # it waits for the run going on
        holder.execute("SELECT pg_advisory_unlock(%s)", (REENRICH_LOCK,))
        thread.join(30)
    assert finished and finished[0] > 0
    assert rounded(entities(db_dsn)) == expected(spots)
    kept, counted = hour_counts(db_dsn)
    assert kept == counted

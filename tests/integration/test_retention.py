"""Retention on the real database: months past the cut-off go to Parquet files and are
dropped whole; newer rows and every rollup stay as they were; an interrupted run is finished
by the next; an archive imported back restores the same rows without counting them twice."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest
from psycopg.sql import SQL

from collector.app import Collector
from collector.spool import Spool
from dxspots.cli import retention_run
from dxspots.db import retention
from dxspots.db.archive import ArchiveFileError, load_parquet
from dxspots.db.archive_files import database_identity, write_file
from dxspots.db.export import COLUMNS, export_spots
from dxspots.db.retention import Month, RetentionError, apply_retention
from dxspots.db.writer import SpotWriter
from dxspots.enrich import Enricher
from dxspots.importer import ImportSummary, import_file
from dxspots.queries import Statement
from dxspots.settings import NodeConfig, Settings
from dxspots.spot import Spot
from tests.conftest import throwaway_database
from tests.spotset import BANDS, DX, MODES, SPOTTERS

START = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 3, 11, tzinfo=UTC)  # 10 days of retention: January and February go
DAYS = 10
HOURS = (
    "SELECT hour, band, mode, spotter_continent, dx_continent, is_skimmer, spots"
    " FROM spot_hours ORDER BY 1, 2, 3, 4, 5, 6"
)
RECOUNT = (
    "SELECT date_trunc('hour', spot_time, 'UTC'), coalesce(band, ''), coalesce(mode, ''),"
    " coalesce(spotter_continent, ''), coalesce(dx_continent, ''), is_skimmer, count(*)::int"
    " FROM spots GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
)
CALL_DAYS = "SELECT * FROM call_days ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
CALL_SPOTTERS = "SELECT * FROM call_spotters ORDER BY 1, 2"
ROWS = "SELECT * FROM spots ORDER BY spot_time, id"


def four_months(count: int = 1200, seed: int = 3) -> list[Spot]:
    """Spots from January to April 2025, a few an hour, varied as the query tests' are."""
    rng = random.Random(seed)
    spots = []
    for i in range(count):
        moment = START + timedelta(minutes=rng.randrange(120 * 24 * 60))
        band, base = BANDS[rng.randrange(len(BANDS))]
        call, entity, continent = DX[rng.randrange(len(DX))]
        spotter, spotter_base, spotter_continent, skimmer = SPOTTERS[rng.randrange(len(SPOTTERS))]
        fields: dict[str, Any] = {
            "spot_time": moment, "freq_khz": base + i + 0.1 * (i % 10), "dx_call": call,
            "spotter": spotter, "comment": f"test {i} \x1b[0m <b>&", "received_at": moment,
            "raw": f"DX de {spotter}: {call} {i}", "source": "rbn" if skimmer else "dx",
            "node": "rbn", "is_skimmer": skimmer, "mode": MODES[i % len(MODES)], "band": band,
            "spotter_base": spotter_base, "dx_entity": entity, "dx_continent": continent,
            "spotter_continent": spotter_continent, "snr_db": i % 40 if skimmer else None,
        }  # fmt: skip
        spots.append(Spot(**fields))
    return spots


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[Any]]:
    """Every rollup's rows, in order."""
    return {
        name: conn.execute(query).fetchall()
        for name, query in (
            ("hours", HOURS), ("days", CALL_DAYS), ("spotters", CALL_SPOTTERS),
            ("dx_days", "SELECT * FROM dx_days ORDER BY 1, 2"),
            ("spotter_days", "SELECT * FROM spotter_days ORDER BY 1, 2"),
        )
    }  # fmt: skip


@pytest.fixture
def stored(db_dsn: str) -> list[Spot]:
    spots = four_months()
    with psycopg.connect(db_dsn) as conn:
        assert SpotWriter(conn).write(spots).spots_new == len(spots)
    return spots


def in_month(spots: list[Spot], month: int) -> int:
    return sum(1 for spot in spots if spot.spot_time.month == month)


def test_months_past_the_cutoff_are_archived_then_dropped_and_the_rollups_kept(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    with psycopg.connect(db_dsn) as conn:
        rollups = snapshot(conn)
        newer = conn.execute(
            "SELECT * FROM spots WHERE spot_time >= '2025-03-01Z' ORDER BY spot_time, id"
        ).fetchall()

        result = apply_retention(conn, DAYS, tmp_path, now=NOW)

        assert [(m.month.table, m.dropped) for m in result.months] == [
            ("spots_2025_01", True),
            ("spots_2025_02", True),
        ]
        for month in (1, 2):
            frame = pd.read_parquet(tmp_path / f"spots-2025-0{month}.parquet")
            assert list(frame.columns) == list(COLUMNS)
            assert len(frame) == in_month(stored, month) > 0
            assert str(frame["spot_time"].dtype) == "datetime64[us, UTC]"
            assert frame["spot_time"].dt.month.eq(month).all()
            assert frame["comment"].str.contains("\x1b[0m <b>&", regex=False).all()
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "spots-2025-01.parquet",
            "spots-2025-02.parquet",
        ]
        gone = conn.execute("SELECT to_regclass('spots_2025_01'), to_regclass('spots_2025_02')")
        assert gone.fetchone() == (None, None)
        assert conn.execute(ROWS).fetchall() == newer  # March and April untouched
        assert snapshot(conn) == rollups  # the dropped months still counted
        archived = conn.execute("SELECT month, spots, files FROM spot_archives ORDER BY 1")
        assert archived.fetchall() == [
            (START, in_month(stored, 1), ["spots-2025-01.parquet"]),
            (datetime(2025, 2, 1, tzinfo=UTC), in_month(stored, 2), ["spots-2025-02.parquet"]),
        ]
        # A second run has nothing to do.
        assert apply_retention(conn, DAYS, tmp_path, now=NOW).months == []


def test_a_run_stopped_between_archive_and_drop_is_finished_by_the_next(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    def crash(month: Month) -> None:
        if month.table == "spots_2025_02":
            raise KeyboardInterrupt  # the power goes between the file and the drop

    with psycopg.connect(db_dsn) as conn:
        rollups = snapshot(conn)
        with pytest.raises(KeyboardInterrupt):
            apply_retention(conn, DAYS, tmp_path, now=NOW, before_drop=crash)
        conn.rollback()
        kept = conn.execute("SELECT count(*) FROM spots_2025_02").fetchone()
        assert kept == (in_month(stored, 2),)  # archived, not dropped
        feb = tmp_path / "spots-2025-02.parquet"
        written = feb.stat().st_mtime_ns
        (tmp_path / "spots-2025-03.parquet.tmp").write_bytes(b"half a file")  # not ours
        leftover = tmp_path / ".spots-2025-02.k2j4x.parquet.tmp"  # ours (mkstemp's name)
        leftover.write_bytes(b"half a file")

        result = apply_retention(conn, DAYS, tmp_path, now=NOW)

        [month] = result.months
        assert month.dropped and month.written == [] and month.rows == in_month(stored, 2)
        assert feb.stat().st_mtime_ns == written  # checked, not written again
        assert not leftover.exists()
        assert (tmp_path / "spots-2025-03.parquet.tmp").exists()
        assert len(pd.read_parquet(feb)) == in_month(stored, 2)
        assert conn.execute("SELECT to_regclass('spots_2025_02')").fetchone() == (None,)
        assert snapshot(conn) == rollups


def test_an_unreadable_archive_file_stops_that_month_from_being_dropped(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    (tmp_path / "spots-2025-01.parquet").write_bytes(b"PAR1 not really")
    with psycopg.connect(db_dsn) as conn, pytest.raises(RetentionError) as caught:
        apply_retention(conn, DAYS, tmp_path, now=NOW)
    assert "spots-2025-01.parquet: not a readable spots archive" in str(caught.value)
    with psycopg.connect(db_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM spots_2025_01").fetchone() == (
            in_month(stored, 1),
        )


def test_spots_that_came_after_the_archive_go_to_a_further_file(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    with psycopg.connect(db_dsn) as conn:
        apply_retention(conn, DAYS, tmp_path, now=NOW)
        late = Spot(START + timedelta(days=3), 14001.0, "VP8PJ", "G4ABC", "late", NOW, "x", "dx")
        assert SpotWriter(conn).write([late]).spots_new == 1  # a late back-fill: January again
        conn.autocommit = False

        [month] = apply_retention(conn, DAYS, tmp_path, now=NOW).months

        assert month.written == [tmp_path / "spots-2025-01.2.parquet"] and month.dropped
        assert list(pd.read_parquet(month.written[0])["comment"]) == ["late"]
        archived = conn.execute("SELECT spots, files FROM spot_archives WHERE month = %s", (START,))
        assert archived.fetchone() == (
            in_month(stored, 1) + 1,
            ["spots-2025-01.2.parquet", "spots-2025-01.parquet"],
        )


def test_an_archive_imported_back_restores_the_rows_and_counts_them_once(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    with psycopg.connect(db_dsn) as conn:
        rows = conn.execute(ROWS).fetchall()
        rollups = snapshot(conn)
        apply_retention(conn, DAYS, tmp_path, now=NOW)
        writer = SpotWriter(conn)
        for _ in range(2):  # the second time adds nothing
            for month in (1, 2):
                load_parquet(tmp_path / f"spots-2025-0{month}.parquet", writer)

        assert conn.execute(ROWS).fetchall() == rows  # ids included
        assert conn.execute(HOURS).fetchall() == conn.execute(RECOUNT).fetchall()
        assert snapshot(conn) == rollups
        # The restored month is archived again without a new file: its rows are all there.
        [jan, feb] = apply_retention(conn, DAYS, tmp_path, now=NOW).months
        assert jan.dropped and feb.dropped and jan.written == feb.written == []
        assert snapshot(conn) == rollups


def test_an_export_of_months_never_archived_is_counted_as_new_spots(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    with psycopg.connect(db_dsn) as conn:
        apply_retention(conn, DAYS, tmp_path, now=NOW)
    with psycopg.connect(db_dsn) as conn:  # a second database: empty but for the schema
        conn.execute(
            "TRUNCATE spots, spot_hours, call_days, call_spotters, dx_days, spotter_days,"
            " spot_archives"
        )
        conn.commit()
        summary = load_parquet(tmp_path / "spots-2025-01.parquet", SpotWriter(conn))
        assert summary.stored == in_month(stored, 1) and summary.restored == 0
        assert conn.execute(HOURS).fetchall() == conn.execute(RECOUNT).fetchall()


def test_a_parquet_file_that_is_not_of_spots_is_refused_by_name(
    db_dsn: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.parquet"
    pd.DataFrame({"id": [1], "spot_time": ["soon"]}).to_parquet(other)
    with psycopg.connect(db_dsn) as conn, pytest.raises(ArchiveFileError) as caught:
        load_parquet(other, SpotWriter(conn))
    assert "other.parquet: column 'spot_time' is large_string, expected timestamp" in str(
        caught.value
    )


def test_the_collector_runs_retention_in_a_thread_and_logs_a_failure_then_retries(
    db_dsn: str, stored: list[Spot], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The housekeeping task starts a run after its delay and again at each period; a run
    that fails (the archive folder cannot be made) is logged, and the next one archives."""
    blocked = tmp_path / "archive"
    blocked.write_text("a file where the folder should be")
    days = (datetime.now(UTC) - datetime(2025, 3, 6, tzinfo=UTC)).days  # Jan, Feb past it
    settings = Settings(retention_days=days, archive_dir=blocked, data_dir=tmp_path)
    collector = Collector(
        [NodeConfig(name="n", host="127.0.0.1", port=7300)], "DL1ABC",
        lambda: psycopg.connect(db_dsn), Enricher(None), Spool(tmp_path / "spool.jsonl"),
        housekeeping=lambda: retention_run(db_dsn, settings),
        housekeeping_delay=0.01, housekeeping_seconds=0.5,
    )  # fmt: skip

    async def run_for(seconds: float) -> bool:
        task = asyncio.create_task(collector._housekeeping())
        ticks = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:  # the loop keeps turning while a run goes on
            await asyncio.sleep(0.01)
            ticks += 1
            if "retention (" in caplog.text:
                break
        task.cancel()
        return ticks > 5

    caplog.set_level(logging.INFO, logger="collector.app")
    assert asyncio.run(run_for(0.3))
    assert "housekeeping failed (tried again in 0 s): RetentionError: DXSPOTS_ARCHIVE_DIR" in (
        caplog.text
    )
    blocked.unlink()
    assert asyncio.run(run_for(10))
    assert "retention (" in caplog.text and "2025-01 (" in caplog.text
    assert "2025-02 (" in caplog.text and "dropped" in caplog.text
    assert sorted(p.name for p in blocked.iterdir()) == [
        "spots-2025-01.parquet",
        "spots-2025-02.parquet",
    ]


def test_the_commands_archive_then_import_back(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    """`dxspots archive` and `dxspots import FILE.parquet` as a user runs them."""
    from tests.integration.test_cli import run

    env = {
        "DXSPOTS_DATABASE_URL": db_dsn, "DXSPOTS_DATA_DIR": str(tmp_path / "data"),
        "DXSPOTS_ARCHIVE_DIR": str(tmp_path / "archive"), "DXSPOTS_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    with psycopg.connect(db_dsn) as conn:
        rows = conn.execute(ROWS).fetchall()
        rollups = snapshot(conn)
    days = (datetime.now(UTC) - datetime(2025, 5, 1, tzinfo=UTC)).days  # every month stored
    archived = run("archive", "--days", str(days), env=env)
    assert archived.returncode == 0, archived.stderr
    files = sorted((tmp_path / "archive").glob("spots-*.parquet"))
    assert [f.name for f in files] == [f"spots-2025-0{m}.parquet" for m in (1, 2, 3, 4)]
    with psycopg.connect(db_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM spots").fetchone() == (0,)
    loaded = run("import", *map(str, files), env=env)
    assert loaded.returncode == 0, loaded.stderr
    with psycopg.connect(db_dsn) as conn:
        assert conn.execute(ROWS).fetchall() == rows  # identical, ids included
        assert snapshot(conn) == rollups  # counted once


# Review fixes (issue 15): each test below failed before its fix.


def spot_at(moment: datetime, call: str = "K1ABC", comment: str = "cq", **more: Any) -> Spot:
    """One plain human spot at `moment`."""
    fields: dict[str, Any] = {
        "spot_time": moment, "freq_khz": 14025.0, "dx_call": call, "spotter": "DL1AB",
        "comment": comment, "received_at": moment, "raw": f"DX de DL1AB: {call} {comment}",
        "source": "dx", "node": "n", "band": "20m", "mode": "CW", "spotter_base": "DL1AB",
    } | more  # fmt: skip
    return Spot(**fields)


JAN5 = datetime(2025, 1, 5, 10, 0, tzinfo=UTC)


def test_a_file_of_another_database_in_the_folder_stops_the_drop_by_name(
    pg_server: str, template_db: str, tmp_path: Path
) -> None:
    """Ids are per database: another database's file must not vouch for this one's rows."""
    old = [spot_at(JAN5 + timedelta(minutes=i), f"K{i}OLD") for i in range(3)]
    new = [spot_at(JAN5 + timedelta(minutes=i), f"K{i}NEW") for i in range(5)]
    with (
        throwaway_database(pg_server, template_db) as one,
        throwaway_database(pg_server, template_db) as two,
    ):
        with psycopg.connect(one) as conn:
            SpotWriter(conn).write(old)
            assert apply_retention(conn, DAYS, tmp_path, now=NOW).months[0].dropped
        with psycopg.connect(two) as conn, pytest.raises(RetentionError) as caught:
            SpotWriter(conn).write(new)
            apply_retention(conn, DAYS, tmp_path, now=NOW)
        assert "spots-2025-01.parquet: archived from another database" in str(caught.value)
        with psycopg.connect(two) as conn:
            kept = conn.execute("SELECT dx_call FROM spots_2025_01 ORDER BY 1").fetchall()
            assert kept == sorted((s.dx_call,) for s in new)  # nothing lost
            assert conn.execute("SELECT count(*) FROM spot_archives").fetchone() == (0,)


def test_a_file_naming_no_database_is_refused_by_name(db_dsn: str, tmp_path: Path) -> None:
    """An export put in the folder under an archive's name is not an archive."""
    with psycopg.connect(db_dsn) as conn:
        SpotWriter(conn).write([spot_at(JAN5)])
        conn.commit()
        with (tmp_path / "spots-2025-01.parquet").open("wb") as out:
            export_spots(conn, Statement(SQL("SELECT * FROM spots"), {}), out, "parquet")
        with pytest.raises(RetentionError) as caught:
            apply_retention(conn, DAYS, tmp_path, now=NOW)
        assert "spots-2025-01.parquet: names no database in its metadata" in str(caught.value)
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM spots_2025_01").fetchone() == (1,)


def test_rows_are_checked_by_their_whole_key_not_their_id(
    pg_server: str, template_db: str, tmp_path: Path
) -> None:
    """A copy of a database that already archived (same identity) holding other spots under
    the archived ids: they are archived in a further file before the drop, not lost."""
    with throwaway_database(pg_server, template_db) as one:
        with psycopg.connect(one) as conn:
            SpotWriter(conn).write(
                [spot_at(JAN5 + timedelta(minutes=i), f"K{i}OLD") for i in range(3)]
            )
            apply_retention(conn, DAYS, tmp_path, now=NOW)
            ids = [r[0] for r in pd.read_parquet(tmp_path / "spots-2025-01.parquet")[["id"]].values]
        name = f"dxspots_clone_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_server, autocommit=True) as admin:
            database = psycopg.conninfo.conninfo_to_dict(one)["dbname"]
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {database}")
        try:
            clone = psycopg.conninfo.make_conninfo(one, dbname=name)
            with psycopg.connect(clone) as conn:
                SpotWriter(conn).write(
                    [spot_at(JAN5 + timedelta(minutes=i), f"K{i}NEW") for i in range(3)]
                )
                conn.execute("UPDATE spots SET id = id - %s", (3,))  # the archived ids again
                assert sorted(r[0] for r in conn.execute("SELECT id FROM spots")) == sorted(ids)
                conn.commit()
                [month] = apply_retention(conn, DAYS, tmp_path, now=NOW).months
                assert month.dropped and month.written == [tmp_path / "spots-2025-01.2.parquet"]
                assert sorted(pd.read_parquet(month.written[0])["dx_call"]) == [
                    "K0NEW",
                    "K1NEW",
                    "K2NEW",
                ]
        finally:
            with psycopg.connect(pg_server, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_drop_waits_a_bounded_time_for_a_long_reader_then_keeps_the_month(
    db_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export's open transaction on spots: the drop gives up after its lock timeout (so
    other readers wait at most that long behind it), tries again, then keeps the month; the
    next run, with the reader gone, drops it without writing the file again."""
    monkeypatch.setattr(retention, "LOCK_TIMEOUT_S", 0.3)
    monkeypatch.setattr(retention, "DROP_PAUSE_S", 0.2)
    with psycopg.connect(db_dsn) as conn:
        SpotWriter(conn).write([spot_at(JAN5), spot_at(datetime(2025, 3, 10, tzinfo=UTC))])
    march = "SELECT count(*) FROM spots WHERE spot_time > '2025-03-01Z'"
    with psycopg.connect(db_dsn) as export, psycopg.connect(db_dsn, autocommit=True) as api:
        export.execute(march).fetchone()  # its transaction stays open
        api.execute("SET lock_timeout = '5s'")
        outcome: list[retention.RetentionResult] = []

        def run() -> None:
            with psycopg.connect(db_dsn) as conn:
                outcome.append(apply_retention(conn, DAYS, tmp_path, now=NOW))

        thread = threading.Thread(target=run)
        thread.start()
        slowest = 0.0
        while thread.is_alive():
            began = time.monotonic()
            assert api.execute(march).fetchone() == (1,)
            slowest = max(slowest, time.monotonic() - began)
            time.sleep(0.02)
        thread.join()
        [month] = outcome[0].months
        assert not month.dropped and "spots stayed in use" in month.kept
        assert month.written == [tmp_path / "spots-2025-01.parquet"]
        assert slowest < 1.5  # behind a drop's wait of 0.3 s at most, never for good
        export.rollback()
    with psycopg.connect(db_dsn) as conn:
        [month] = apply_retention(conn, DAYS, tmp_path, now=NOW).months
        assert month.dropped and month.written == [] and month.kept == ""


def test_a_second_run_at_once_says_another_is_going_and_does_nothing(
    db_dsn: str, stored: list[Spot], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with psycopg.connect(db_dsn, autocommit=True) as other, psycopg.connect(db_dsn) as conn:
        other.execute("SELECT pg_advisory_lock(%s)", (retention.RETENTION_LOCK,))
        with pytest.raises(retention.RetentionBusyError) as caught:
            apply_retention(conn, DAYS, tmp_path, now=NOW)
        assert "another retention run is going" in str(caught.value)
        assert list(tmp_path.iterdir()) == []
        days = (datetime.now(UTC) - datetime(2025, 3, 6, tzinfo=UTC)).days
        settings = Settings(retention_days=days, archive_dir=tmp_path, data_dir=tmp_path)
        collector = Collector(
            [NodeConfig(name="n", host="127.0.0.1", port=7300)], "DL1ABC",
            lambda: psycopg.connect(db_dsn), Enricher(None), Spool(tmp_path / "spool.jsonl"),
            housekeeping=lambda: retention_run(db_dsn, settings),
        )  # fmt: skip
        caplog.set_level(logging.INFO, logger="collector.app")
        collector.housekeep()
        assert "housekeeping skipped: another retention run is going" in caplog.text
        assert "housekeeping failed" not in caplog.text
        other.execute("SELECT pg_advisory_unlock(%s)", (retention.RETENTION_LOCK,))
        assert len(apply_retention(conn, DAYS, tmp_path, now=NOW).months) == 2


def test_a_new_archive_file_never_replaces_one_that_appeared_meanwhile(
    db_dsn: str, tmp_path: Path
) -> None:
    with psycopg.connect(db_dsn) as conn:
        SpotWriter(conn).write([spot_at(JAN5)])
        conn.commit()
        taken = tmp_path / "spots-2025-01.parquet"
        taken.write_bytes(b"someone else's")
        identity = str(database_identity(conn, create=True))
        query = SQL("SELECT * FROM spots").format()
        target, rows = write_file(conn, query, tmp_path, "spots-2025-01", identity)
        assert (target.name, rows) == ("spots-2025-01.2.parquet", 1)
        assert taken.read_bytes() == b"someone else's"
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_restore_gives_each_spot_its_own_id_when_two_differ_only_in_comment(
    db_dsn: str, tmp_path: Path
) -> None:
    with psycopg.connect(db_dsn) as conn:
        writer = SpotWriter(conn)
        writer.write([spot_at(JAN5, comment="cq test up 2")])
        writer.write([spot_at(JAN5, comment="QSX 14030 now listening")])
        before = conn.execute("SELECT id, comment FROM spots ORDER BY id").fetchall()
        apply_retention(conn, DAYS, tmp_path, now=NOW)
        summary = load_parquet(tmp_path / "spots-2025-01.parquet", SpotWriter(conn))
        assert summary.restored == 2
        assert conn.execute("SELECT id, comment FROM spots ORDER BY id").fetchall() == before


def test_a_restored_month_dropped_again_counts_its_spots_once(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    with psycopg.connect(db_dsn) as conn:
        apply_retention(conn, DAYS, tmp_path, now=NOW)
        load_parquet(tmp_path / "spots-2025-01.parquet", SpotWriter(conn))
        apply_retention(conn, DAYS, tmp_path, now=NOW)
        archived = conn.execute("SELECT spots FROM spot_archives WHERE month = %s", (START,))
        assert archived.fetchone() == (in_month(stored, 1),)


def test_an_import_into_an_archived_month_leaves_out_archived_spots_and_counts_new_ones(
    db_dsn: str, tmp_path: Path
) -> None:
    """A log read again after its month was archived: the spots already archived are
    duplicates, not new rows counted a second time; a spot never stored is new."""
    archive = tmp_path / "archive"
    line = "2025-01-05T10:00:{}Z DX de DL1AB:    14025.0  {}        cq                  1000Z\n"
    log_file = tmp_path / "cluster.log"
    log_file.write_text(line.format(30, "K1ABC"))
    with psycopg.connect(db_dsn) as conn:
        first = ImportSummary()
        import_file(
            log_file, SpotWriter(conn), Enricher(None), default_received=NOW, node="n",
            progress=lambda size: None, summary=first, archive_dir=archive,
        )  # fmt: skip
        assert first.spots_new == 1
        hours = conn.execute("SELECT sum(spots) FROM spot_hours").fetchone()
        assert hours == (1,)
        conn.commit()
        log_file.write_text(line.format(30, "K1ABC") + line.format(40, "K2NEW"))
        apply_retention(conn, DAYS, archive, now=NOW)
        again = ImportSummary()
        import_file(
            log_file, SpotWriter(conn), Enricher(None), default_received=NOW, node="n",
            progress=lambda size: None, summary=again, archive_dir=archive,
        )  # fmt: skip
        assert (again.spots, again.spots_new, again.duplicates) == (2, 1, 1)
        assert conn.execute("SELECT dx_call FROM spots").fetchall() == [("K2NEW",)]
        assert conn.execute("SELECT sum(spots) FROM spot_hours").fetchone() == (hours[0] + 1,)
        conn.commit()
        with pytest.raises(ArchiveFileError) as caught:  # without the archive: said, not guessed
            import_file(
                log_file, SpotWriter(conn), Enricher(None), default_received=NOW, node="n",
                progress=lambda size: None, summary=ImportSummary(),
            )  # fmt: skip
        assert "spots-2025-01.parquet are needed in the archive folder" in str(caught.value)


def test_a_parquet_file_not_of_this_archive_is_not_restored_uncounted(
    db_dsn: str, tmp_path: Path
) -> None:
    """An export (no database named) loaded into an archived month: its row that is the
    archived row is restored (uncounted), its spot never archived is new and counted."""
    archive = tmp_path / "archive"
    export = tmp_path / "export.parquet"
    with psycopg.connect(db_dsn) as conn:
        SpotWriter(conn).write([spot_at(JAN5), spot_at(JAN5, call="K2NEW")])
        with export.open("wb") as out:
            export_spots(conn, Statement(SQL("SELECT * FROM spots"), {}), out, "parquet")
        conn.execute("DELETE FROM spots WHERE dx_call = 'K2NEW'")
        conn.commit()
        apply_retention(conn, DAYS, archive, now=NOW)
        hours = conn.execute("SELECT sum(spots) FROM spot_hours").fetchone()
        conn.commit()
        summary = load_parquet(export, SpotWriter(conn), archive_dir=archive)
        assert (summary.rows, summary.stored, summary.restored) == (2, 2, 1)
        calls = conn.execute("SELECT dx_call FROM spots ORDER BY 1").fetchall()
        assert calls == [("K1ABC",), ("K2NEW",)]
        assert conn.execute("SELECT sum(spots) FROM spot_hours").fetchone() == (hours[0] + 1,)


def test_a_collector_leaves_late_spots_of_an_archived_month_out_and_stores_the_rest(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    """A back-fill after retention: the collector's writer (skip_archived) stores the live
    spot and leaves the archived month's late one out, counted, with the rollups untouched;
    a writer that wrote into the month before it was dropped makes its partition again
    rather than refusing the whole batch."""
    january = next(s for s in stored if s.spot_time.month == 1)
    late = january._replace(dx_call="LATE1", spot_time=january.spot_time + timedelta(seconds=1))
    live = january._replace(dx_call="LIVE1", spot_time=datetime.now(UTC).replace(microsecond=0))
    with psycopg.connect(db_dsn) as early:
        before = SpotWriter(early)  # has written January: it knew the month's partition
        assert before.write([january._replace(dx_call="EARLY1")]).spots_new == 1
        with psycopg.connect(db_dsn) as conn:
            apply_retention(conn, DAYS, tmp_path, now=NOW)
            conn.commit()
            collector = SpotWriter(conn, skip_archived=True)
            result = collector.write([late, live])
            assert (result.spots_new, result.spots_archived) == (1, 1)
            assert conn.execute("SELECT to_regclass('spots_2025_01')").fetchone() == (None,)
            hours = conn.execute(
                "SELECT sum(spots) FROM spot_hours WHERE hour < '2025-02-01'"
            ).fetchone()
            assert hours == (in_month(stored, 1) + 1,)  # January as archived, nothing added
        # The writer that knew January: a late spot of it makes the partition again.
        assert before.write([late._replace(dx_call="LATE2")]).spots_new == 1


def test_forgetting_a_node_keeps_the_counts_of_archived_spots(
    db_dsn: str, stored: list[Spot], tmp_path: Path
) -> None:
    """A node's spots imported into an archived month, then the node forgotten: its spots'
    counts are taken off and the archived month's counts stay (a recount from the few raw
    rows there would have wiped them)."""
    from dxspots.db.forget import forget_node

    january = next(s for s in stored if s.spot_time.month == 1)
    with psycopg.connect(db_dsn) as conn:
        apply_retention(conn, DAYS, tmp_path, now=NOW)
        conn.commit()
    with psycopg.connect(db_dsn, autocommit=True) as look:
        archived = snapshot(look)
        extra = january._replace(dx_call="OTHER1", node="other", freq_khz=january.freq_khz + 3)
        with psycopg.connect(db_dsn) as conn:
            assert SpotWriter(conn).write([extra]).spots_new == 1  # counted as a new spot
        assert snapshot(look) != archived
        with psycopg.connect(db_dsn, autocommit=True) as conn:
            assert forget_node(conn, "other")["spots"] == 1
        assert snapshot(look) == archived

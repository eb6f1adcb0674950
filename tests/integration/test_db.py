"""Migrations, the batch writer, dedupe, partitions and roles, against a real PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from dxspots.db.migrate import available_migrations, migrate, migration_status
from dxspots.db.writer import SpotWriter
from dxspots.parse import parse_line
from dxspots.spot import Other, Spot
from tests.conftest import login_role

RECEIVED = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def make_spot(
    minute: int = 0,
    *,
    freq: float = 14025.0,
    call: str = "DL1ABC",
    spotter: str = "K1ABC",
    when: datetime | None = None,
    node: str = "a",
) -> Spot:
    moment = when or datetime(2026, 11, 27, 8, minute, tzinfo=UTC)
    return Spot(
        moment, freq, call, spotter, "cq", RECEIVED, f"DX de {spotter}: {freq} {call}", "dx", node
    )


def count(dsn: str, table: str = "spots") -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        return int(row[0])


def test_migrate_from_empty_is_idempotent(empty_db_dsn: str) -> None:
    with psycopg.connect(empty_db_dsn) as conn:
        applied = migrate(conn)
        assert [m.version for m in applied] == [m.version for m in available_migrations()]
        assert migrate(conn) == []
        states = migration_status(conn)
        assert all(state.applied_at is not None and not state.changed for state in states)


def test_status_before_migrating_lists_all_pending(empty_db_dsn: str) -> None:
    with psycopg.connect(empty_db_dsn) as conn:
        assert all(state.applied_at is None for state in migration_status(conn))


def test_writer_counts_new_and_duplicate_spots(db_dsn: str) -> None:
    writer = SpotWriter(psycopg.connect(db_dsn))
    batch = [make_spot(m) for m in range(10)]
    first = writer.write(batch)
    assert (first.spots_new, first.spots_duplicate) == (10, 0)
    # The same spots from another node, with the frequency printed to two decimals.
    again = [make_spot(m, freq=14025.04, node="b") for m in range(10)] + [make_spot(11)]
    second = writer.write(again)
    assert (second.spots_new, second.spots_duplicate) == (1, 10)
    assert count(db_dsn) == 11


def test_duplicates_within_one_batch_land_once(db_dsn: str) -> None:
    writer = SpotWriter(psycopg.connect(db_dsn))
    # 14025.04 is 14025.0 at the node's 0.1 kHz; 14025.9 is another spot (migration 0010).
    batch = [make_spot(1), make_spot(1), make_spot(1, freq=14025.04), make_spot(1, freq=14025.9)]
    result = writer.write(batch)
    assert (result.spots_new, result.spots_duplicate) == (2, 2)


def test_different_band_or_spotter_is_a_different_spot(db_dsn: str) -> None:
    writer = SpotWriter(psycopg.connect(db_dsn))
    result = writer.write([make_spot(1), make_spot(1, freq=7025.0), make_spot(1, spotter="G4XYZ")])
    assert result.spots_new == 3


def test_partitions_are_created_for_any_month(db_dsn: str) -> None:
    writer = SpotWriter(psycopg.connect(db_dsn))
    old = datetime(2001, 12, 14, 15, 0, tzinfo=UTC)
    ahead = datetime(2027, 6, 1, 0, 0, tzinfo=UTC)
    result = writer.write(
        [make_spot(when=old), make_spot(when=ahead), make_spot(when=ahead - timedelta(minutes=1))]
    )
    assert result.spots_new == 3
    with psycopg.connect(db_dsn) as conn:
        rows = conn.execute(
            "SELECT tableoid::regclass::text, count(*) FROM spots GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert rows == [("spots_2001_12", 1), ("spots_2027_05", 1), ("spots_2027_06", 1)]


def test_failed_batch_rolls_back_and_writer_recovers(db_dsn: str) -> None:
    conn = psycopg.connect(db_dsn)
    writer = SpotWriter(conn)
    bad = make_spot(when=datetime(2031, 1, 1, tzinfo=UTC))._replace(dx_call=None)  # NOT NULL
    with pytest.raises(psycopg.errors.NotNullViolation):
        writer.write([make_spot(1), bad])
    assert count(db_dsn) == 0
    # The rolled-back partition and staging table are made again on the next batch.
    assert (
        writer.write([make_spot(1), make_spot(when=datetime(2031, 1, 1, tzinfo=UTC))]).spots_new
        == 2
    )


def test_reports_announcements_and_rejects_are_kept_and_deduped(db_dsn: str) -> None:
    lines = [
        "WWV de VE7CC <09>:   SFI=113, A=18, K=2, Minor w/G1 -> No Storms",
        "WCY de DK0WCY-1 <22> : K=9 expK=0 A=139 R=156 SFI=223 SA=maj GMF=sev Au=aurora",
        "To ALL de EA8CEN-9: carnaval de tenerife",
        "DX de DH1TW:        23.0  DS1TW                                       1505Z",
        "login: ",
    ]
    writer = SpotWriter(psycopg.connect(db_dsn))
    first = writer.write([parse_line(line, RECEIVED, "n1") for line in lines])
    assert (first.reports_new, first.announcements_new, first.rejected) == (2, 1, 1)
    # The same lines through another node a second later: nothing new.
    later = RECEIVED + timedelta(seconds=1)
    second = writer.write([parse_line(line, later, "n2") for line in lines])
    assert (second.reports_new, second.announcements_new) == (0, 0)
    assert count(db_dsn, "solar_reports") == 2 and count(db_dsn, "announcements") == 1
    with psycopg.connect(db_dsn) as conn:
        rejects = conn.execute(
            "SELECT reason, raw FROM rejected_lines ORDER BY received_at"
        ).fetchall()
    assert rejects == [("bad frequency", lines[3])] * 2  # one per node: each is what it received


def test_other_lines_that_are_not_malformed_are_not_stored(db_dsn: str) -> None:
    writer = SpotWriter(psycopg.connect(db_dsn))
    result = writer.write([Other("dxspider >", RECEIVED), Other("", RECEIVED, "empty")])
    assert result.rejected == 0 and count(db_dsn, "rejected_lines") == 0


@contextlib.contextmanager
def member_of(db_dsn: str, group: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """Connect as a new login role that is a member of `group`; drop the role after."""
    with login_role(db_dsn, group) as dsn, psycopg.connect(dsn) as conn:
        yield conn


def test_reader_role_can_select_but_not_write(db_dsn: str) -> None:
    SpotWriter(psycopg.connect(db_dsn)).write([make_spot(1)])
    with member_of(db_dsn, "dxspots_reader") as reader:
        assert reader.execute("SELECT count(*) FROM spots").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("INSERT INTO rejected_lines VALUES (now(), 'x', 'y', 'z')")


def test_writer_role_can_write_and_create_partitions(db_dsn: str) -> None:
    with member_of(db_dsn, "dxspots_writer") as conn:
        result = SpotWriter(conn).write([make_spot(when=datetime(2035, 3, 1, tzinfo=UTC))])
    assert result.spots_new == 1


def test_frequencies_that_round_to_the_same_tenth_are_one_spot(db_dsn: str) -> None:
    writer = SpotWriter(psycopg.connect(db_dsn))
    result = writer.write([make_spot(1, freq=14025.96), make_spot(1, freq=14026.0, node="b")])
    assert (result.spots_new, result.spots_duplicate) == (1, 1)


def test_very_long_rejected_lines_and_announcements_are_kept(db_dsn: str) -> None:
    import random

    noise = "".join(
        random.Random(1).choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(4000)
    )
    lines = ["DX de " + noise, "To ALL de DL1ABC: " + noise]
    result = SpotWriter(psycopg.connect(db_dsn)).write(
        [parse_line(line, RECEIVED) for line in lines]
    )
    assert (result.rejected, result.announcements_new) == (1, 1)
    with psycopg.connect(db_dsn) as conn:
        row = conn.execute("SELECT length(raw) FROM rejected_lines").fetchone()
    assert row == (len(lines[0]),)


def test_reader_cannot_create_partitions(db_dsn: str) -> None:
    with (
        member_of(db_dsn, "dxspots_reader") as reader,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        reader.execute("SELECT dxspots_ensure_partition('1999-03-01')")


def test_detached_month_is_a_clear_error(db_dsn: str) -> None:
    old = datetime(2001, 5, 14, 15, 0, tzinfo=UTC)
    writer = SpotWriter(psycopg.connect(db_dsn))
    writer.write([make_spot(when=old)])
    with psycopg.connect(db_dsn, autocommit=True) as admin:
        admin.execute("ALTER TABLE spots DETACH PARTITION spots_2001_05")
    with pytest.raises(
        psycopg.errors.RaiseException, match="spots_2001_05 exists but is not a partition"
    ):
        SpotWriter(psycopg.connect(db_dsn)).write([make_spot(when=old, call="K2XYZ")])

"""What is one spot and what is a correction (migration 0010, docs/database.md), against a real
PostgreSQL: copies relayed by several nodes or re-read by back-fill with the comment cut to the
node's column land once; a frequency moved by 0.1 kHz or new text is a spot of its own; the
writer's counts, `spot_hours` and the live stream's notifications agree with the rows.

Lines are printed the way DXSpider 1.57 prints them: `DX de` lines, and `sh/dx` rows as its
`Spot::formatl` does (the comment cut to 80 columns less the rest of the row: 29 characters
for a six-character spotter, 30 for a five-character one).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

import dxspots.db.migrate as migrate_module
from dxspots.db.migrate import available_migrations, migrate
from dxspots.db.writer import HOUR_COUNTS, SPOTS_CHANNEL, SpotWriter, WriteResult
from dxspots.parse import parse_line
from dxspots.spot import Spot
from tests.conftest import shared_file

SPOT_AT = datetime(2026, 11, 27, 9, 13, tzinfo=UTC)
LIVE_AT = SPOT_AT + timedelta(seconds=20)
BACKFILL_AT = SPOT_AT + timedelta(minutes=30)
LONG = "Worked him on CW tnx for the nice QSO 73 hpe cuagn"


def dx_de(spotter: str, freq: float, call: str, comment: str, at: datetime = SPOT_AT) -> str:
    """A `DX de` line as a DXSpider node sends it live."""
    return f"DX de {spotter + ':':<9}{freq:>9.1f}  {call:<12} {comment:<30} {at:%H%M}Z"


def sh_dx(spotter: str, freq: float, call: str, comment: str, at: datetime = SPOT_AT) -> str:
    """A row of DXSpider's `sh/dx` answer (Spot::formatl at the default 80 columns)."""
    head = f"{freq:9.1f} {call:<11} {at.day:2d}-{at:%b-%Y} {at:%H%M}Z"
    width = 80 - len(f"<{spotter}>") - len(head) - 4
    return f"{head} {comment[:width]:<{width}}<{spotter}>"


def spot(line: str, node: str = "a", at: datetime = LIVE_AT) -> Spot:
    record = parse_line(line, at, node)
    assert isinstance(record, Spot), line
    return record


@pytest.fixture
def writer(db_dsn: str) -> Iterator[SpotWriter]:
    with psycopg.connect(db_dsn) as conn:
        yield SpotWriter(conn)


def rows(dsn: str) -> list[tuple[float, str, str]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(  # type: ignore[return-value]
            "SELECT freq_khz, comment, node FROM spots ORDER BY id"
        ).fetchall()


def assert_counts_agree(dsn: str, results: list[WriteResult], sent: int) -> None:
    """The writer's counts, the rows and the hourly roll-up say the same."""
    new = sum(r.spots_new for r in results)
    assert new + sum(r.spots_duplicate for r in results) == sent
    with psycopg.connect(dsn) as conn:
        stored = conn.execute("SELECT count(*) FROM spots").fetchone()
        hours = conn.execute("SELECT sum(spots) FROM spot_hours").fetchone()
        recounted = conn.execute(
            "SELECT * FROM spot_hours EXCEPT ALL (" + HOUR_COUNTS.format("spots") + ")"
        ).fetchall()
    assert stored == (new,) and hours == (new,)
    assert recounted == []


def test_the_same_spot_relayed_by_two_nodes_lands_once(db_dsn: str, writer: SpotWriter) -> None:
    line = dx_de("DL1ABC", 14025.0, "UA0ZZZ", "tnx QSO 73")
    relayed = dx_de("DL1ABC", 14025.04, "UA0ZZZ", "TNX QSO, 73!")  # another node's print
    results = [
        writer.write([spot(line), spot(line, "b")]),
        writer.write([spot(relayed, "c")]),
    ]
    assert [(r.spots_new, r.spots_duplicate) for r in results] == [(1, 1), (0, 1)]
    assert rows(db_dsn) == [(14025.0, "tnx QSO 73", "a")]  # the first copy's
    assert_counts_agree(db_dsn, results, 3)


@pytest.mark.parametrize(("spotter", "cut"), [("DL1ABC", 29), ("K1ABC", 30)])
def test_a_backfilled_copy_cut_by_the_node_lands_once(
    db_dsn: str, writer: SpotWriter, spotter: str, cut: int
) -> None:
    live = spot(dx_de(spotter, 14025.0, "UA0ZZZ", LONG))
    backfilled = spot(sh_dx(spotter, 14025.0, "UA0ZZZ", LONG), at=BACKFILL_AT)
    assert live.comment == LONG and backfilled.comment == LONG[:cut].rstrip()
    results = [writer.write([live]), writer.write([backfilled])]
    assert [r.spots_new for r in results] == [1, 0]
    assert [comment for _, comment, _ in rows(db_dsn)] == [LONG]  # not overwritten
    assert_counts_agree(db_dsn, results, 2)


def test_in_one_batch_the_whole_text_is_kept_over_the_cut_one(
    db_dsn: str, writer: SpotWriter
) -> None:
    backfilled = spot(sh_dx("DL1ABC", 14025.0, "UA0ZZZ", LONG), at=BACKFILL_AT)
    relayed = spot(dx_de("DL1ABC", 14025.0, "UA0ZZZ", LONG), "b")
    result = writer.write([backfilled, relayed])
    assert (result.spots_new, result.spots_duplicate) == (1, 1)
    assert rows(db_dsn) == [(14025.0, LONG, "b")]


def test_a_cut_copy_stored_first_keeps_its_row(db_dsn: str, writer: SpotWriter) -> None:
    """The first copy wins across batches: the whole text arriving later is a duplicate."""
    backfilled = spot(sh_dx("DL1ABC", 14025.0, "UA0ZZZ", LONG), at=BACKFILL_AT)
    results = [
        writer.write([backfilled]),
        writer.write([spot(dx_de("DL1ABC", 14025.0, "UA0ZZZ", LONG))]),
    ]
    assert [r.spots_new for r in results] == [1, 0]
    assert [comment for _, comment, _ in rows(db_dsn)] == [LONG[:29].rstrip()]


def test_a_frequency_moved_by_a_tenth_within_the_khz_is_a_second_spot(
    db_dsn: str, writer: SpotWriter
) -> None:
    first = spot(dx_de("DL1ABC", 14025.0, "UA0ZZZ", "up 2"))
    moved = spot(dx_de("DL1ABC", 14025.1, "UA0ZZZ", "up 2"))
    results = [
        writer.write([first]),
        writer.write([moved, spot(dx_de("DL1ABC", 14025.1, "UA0ZZZ", "up 2"), "b")]),
    ]
    assert [(r.spots_new, r.spots_duplicate) for r in results] == [(1, 0), (1, 1)]
    assert [freq for freq, _, _ in rows(db_dsn)] == [14025.0, 14025.1]
    assert_counts_agree(db_dsn, results, 3)


def test_a_text_correction_is_a_second_spot_and_backfill_adds_neither_again(
    db_dsn: str, writer: SpotWriter
) -> None:
    original = "pse QSX 14195 listening"
    corrected = "pse QSX 14185 listening EU"
    shorter = "up 2"  # the start of "up 20", but too short to be a node's cut
    results = [
        writer.write([spot(dx_de("DL1ABC", 14025.0, "UA0ZZZ", t)) for t in (original, shorter)]),
        writer.write([spot(dx_de("DL1ABC", 14025.0, "UA0ZZZ", t)) for t in (corrected, "up 20")]),
        # Back-fill re-reads all four, newest first; another node relays them too.
        writer.write(
            [
                spot(sh_dx("DL1ABC", 14025.0, "UA0ZZZ", t), at=BACKFILL_AT)
                for t in ("up 20", corrected, shorter, original)
            ]
            + [spot(dx_de("DL1ABC", 14025.0, "UA0ZZZ", t), "b") for t in (original, corrected)]
        ),
    ]
    assert [r.spots_new for r in results] == [2, 2, 0]
    assert sorted(comment for _, comment, _ in rows(db_dsn)) == sorted(
        [original, corrected, shorter, "up 20"]
    )
    assert_counts_agree(db_dsn, results, 10)


def test_accents_spacing_and_case_do_not_make_a_correction(db_dsn: str, writer: SpotWriter) -> None:
    # The same text through a node that sent UTF-8 (read as Latin-1) and one that did not.
    result = writer.write(
        [
            spot(dx_de("DL1ABC", 7018.3, "OH6BG", "tnx Jürgen 73")),
            spot(dx_de("DL1ABC", 7018.3, "OH6BG", "tnx JÃ¼rgen  73"), "b"),
            spot(dx_de("DL1ABC", 7018.3, "OH6BG", "TNX JRGEN 73"), "c"),
        ]
    )
    assert (result.spots_new, result.spots_duplicate) == (1, 2)


def test_a_skimmer_spot_printed_differently_by_two_nodes_is_one(
    db_dsn: str, writer: SpotWriter
) -> None:
    raw = spot("DX de DK8NE-#:   7018.3  RW1M         CW    23 dB  22 WPM  CQ      0913Z", "rbn")
    curated = spot("DX de DK8NE-#:   7018.3  RW1M         CW  23dB Q:9* Z:20              0913Z")
    assert raw.comment != curated.comment
    result = writer.write([raw, curated])
    assert (result.spots_new, result.spots_duplicate) == (1, 1)


def test_only_batches_with_new_spots_notify(db_dsn: str) -> None:
    listener = psycopg.connect(db_dsn, autocommit=True)
    listener.execute(f"LISTEN {SPOTS_CHANNEL}")
    with psycopg.connect(db_dsn) as conn:
        writer = SpotWriter(conn, notify=True)
        writer.write([spot(dx_de("DL1ABC", 14025.0, "UA0ZZZ", LONG))])
        assert len(list(listener.notifies(timeout=1, stop_after=1))) == 1
        writer.write([spot(sh_dx("DL1ABC", 14025.0, "UA0ZZZ", LONG), at=BACKFILL_AT)])
        assert list(listener.notifies(timeout=0.5)) == []  # a cut copy: nothing new
        corrected = writer.write([spot(dx_de("DL1ABC", 14025.0, "UA0ZZZ", "QSX 14195"))])
        assert corrected.spots_new == 1
        assert len(list(listener.notifies(timeout=1, stop_after=1))) == 1
    listener.close()


def test_real_line_relayed_and_backfilled_lands_once(db_dsn: str, writer: SpotWriter) -> None:
    path = shared_file("lines", "dh1tw-dx-cluster-parser.txt")
    line = next(
        text
        for text in path.read_text(encoding="latin-1").splitlines()
        if text.startswith("DX de DL6NAA:")
    )
    live = spot(line)
    assert len(live.comment) == 30
    backfilled = spot(
        sh_dx(live.spotter, live.freq_khz, live.dx_call, live.comment, live.spot_time),
        at=BACKFILL_AT,
    )
    # A 10 GHz frequency takes a column more: sh/dx has room for 28 characters of it.
    assert backfilled.comment == live.comment[:28].rstrip() != live.comment
    results = [writer.write([live, spot(line, "b")]), writer.write([backfilled])]
    assert [r.spots_new for r in results] == [1, 0]
    assert [comment for _, comment, _ in rows(db_dsn)] == [live.comment]


# -- the migration on a table filled under the old key ---------------------------------------

VERSION = next(m.version for m in available_migrations() if m.name == "spot_corrections")
OLD_ROWS = [
    # (minute, freq, call, spotter, comment): distinct under (minute, call, spotter, whole kHz)
    (datetime(2026, 10, 31, 23, 59, tzinfo=UTC), 14025.96, "UA0ZZZ", "DL1ABC", LONG),
    (datetime(2026, 10, 31, 23, 59, tzinfo=UTC), 14024.9, "UA0ZZZ", "DL1ABC", "up 2"),
    (datetime(2026, 11, 1, 0, 0, tzinfo=UTC), 7018.3, "RW1M", "DK8NE-#", "CW 23 dB 22 WPM CQ"),
    (datetime(2026, 11, 1, 0, 0, tzinfo=UTC), 7018.3, "RW1M", "DL1ABC", "tnx"),
    (datetime(2026, 11, 1, 0, 0, tzinfo=UTC), 7019.3, "RW1M", "DL1ABC", "tnx"),
]


def test_migration_keeps_every_row_made_under_the_old_key(
    empty_db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = available_migrations()
    with psycopg.connect(empty_db_dsn) as conn:
        monkeypatch.setattr(
            migrate_module,
            "available_migrations",
            lambda: [m for m in every if m.version < VERSION],
        )
        migrate(conn)
        with conn.transaction():
            for minute, freq, call, spotter, comment in OLD_ROWS:
                conn.execute("SELECT dxspots_ensure_partition(%s)", (minute,))
                conn.execute(
                    "INSERT INTO spots (spot_time, freq_khz, dx_call, spotter, comment,"
                    " received_at, raw, source) VALUES (%s, %s, %s, %s, %s, %s, 'x', 'dx')"
                    " ON CONFLICT DO NOTHING",
                    (minute, freq, call, spotter, comment, minute),
                )
        monkeypatch.undo()
        assert [m.version for m in migrate(conn)] == [
            m.version for m in every if m.version >= VERSION
        ]
        conn.autocommit = True
        assert conn.execute("SELECT count(*) FROM spots").fetchone() == (len(OLD_ROWS),)
        assert conn.execute(
            "SELECT count(*) FROM pg_constraint WHERE conname = 'spots_dedupe'"
        ).fetchone() == (0,)
        # The unique index is on the table and, valid, on each of its months.
        partitions = conn.execute(
            "SELECT count(*) FROM pg_partition_tree('spots') WHERE isleaf"
        ).fetchone()
        indexed = conn.execute(
            "SELECT count(*) FROM pg_partition_tree('spots_dedupe_key') t"
            " JOIN pg_index i ON i.indexrelid = t.relid WHERE t.isleaf AND i.indisunique"
            " AND i.indisvalid"
        ).fetchone()
        assert partitions == indexed and partitions is not None and partitions[0] >= 3
        with pytest.raises(psycopg.errors.UniqueViolation):
            minute, freq, call, spotter, comment = OLD_ROWS[0]
            conn.execute(
                "INSERT INTO spots (spot_time, freq_khz, dx_call, spotter, comment, received_at,"
                " raw, source) VALUES (%s, 14026.0, %s, %s, %s, now(), 'y', 'dx')",
                (minute, call, spotter, comment),
            )
    # The old rows again through the writer: the same spots, cut or not; a tenth away is new.
    again = [
        Spot(minute, freq, call, spotter, comment, minute, "z", "dx", "b")
        for minute, freq, call, spotter, comment in OLD_ROWS
    ]
    minute, _, call, spotter, _ = OLD_ROWS[0]
    again.append(Spot(minute, 14026.0, call, spotter, LONG[:29], minute, "z", "shdx", "b"))
    again.append(Spot(minute, 14026.1, call, spotter, LONG, minute, "z", "dx", "b"))
    with psycopg.connect(empty_db_dsn) as conn:
        result = SpotWriter(conn).write(again)
    assert (result.spots_new, result.spots_duplicate) == (1, len(OLD_ROWS) + 1)

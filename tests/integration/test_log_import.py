"""`dxspots log import` as a user runs it: ADIF files written here (a logger's export, a LoTW
report, a Club Log export, broken records), a real process, a real database."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import FIXTURES, REPO
from tests.integration.test_cli import run

LOGGER = """Exported by a logger
<ADIF_VER:5>3.1.4 <PROGRAMID:6>Logger <EOH>
<CALL:5>VP8PJ <QSO_DATE:8>20251231 <TIME_ON:4>2359 <BAND:3>20M <MODE:2>CW <EOR>
<CALL:6>DL1ABC <QSO_DATE:8>20260101 <TIME_ON:6>000512 <BAND:3>40M <MODE:3>SSB <SUBMODE:3>USB <EOR>
<call:4>K1ZZ <qso_date:8>20260102 <time_on:4>1200 <freq:5>7.074 <mode:4>MFSK <submode:3>FT4 <eor>
<CALL:6>JA1XYZ <QSO_DATE:8>20260102 <BAND:3>15M <MODE:3>FT8 <QSL_RCVD:1>Y <EOR>
<CALL:6>JA1XYZ <QSO_DATE:7>2026010 <BAND:3>15M <MODE:3>FT8 <EOR>
<CALL:x>OK1A <QSO_DATE:8>20260102 <BAND:3>20M <MODE:2>CW <EOR>
"""
# LoTW's report of two of those QSOs, now confirmed: its time to the minute, MODE FT4.
LOTW = """ARRL Logbook of the World Status Report
<PROGRAMID:4>LoTW
<eoh>
<CALL:4>K1ZZ <BAND:3>40M <MODE:3>FT4 <QSO_DATE:8>20260102 <TIME_ON:6>120000 <QSL_RCVD:1>Y
<DXCC:3>291 <APP_LoTW_MODEGROUP:4>DATA <eor>
<CALL:6>DL1ABC <BAND:3>40M <MODE:3>SSB <QSO_DATE:8>20260101 <TIME_ON:4>0005
<LOTW_QSL_RCVD:1>Y <DXCC:3>230 <eor>
<APP_LoTW_EOF>
"""


@pytest.fixture
def env(db_dsn: str, tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(FIXTURES / "cty_small.dat", data / "cty.dat")
    shutil.copy(FIXTURES / "cty_small.csv", data / "cty.csv")  # the ADIF numbers
    return {"DXSPOTS_DATABASE_URL": db_dsn, "DXSPOTS_DATA_DIR": str(data)}


def qsos(dsn: str, owner: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT call, to_char(qso_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), band,"
            " mode_class, mode, dx_entity, dxcc, confirmed FROM log_qsos WHERE owner = %s"
            " ORDER BY qso_time, call",
            (owner,),
        ).fetchall()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_log_is_stored_and_its_bad_records_named(env: dict[str, str], tmp_path: Path) -> None:
    result = run("log", "import", str(write(tmp_path, "mine.adi", LOGGER)), "--owner", "dl9zz",
                 env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "QSOs read: 4" in result.stdout and "bad records (not stored, listed above): 2" in (
        result.stdout
    )
    assert "mine.adi:7: no usable QSO_DATE/TIME_ON ('2026010')" in result.stderr
    assert "mine.adi:8: bad length in <CALL:x>" in result.stderr
    assert "owner: DL9ZZ" in result.stdout
    assert qsos(env["DXSPOTS_DATABASE_URL"], "DL9ZZ") == [
        ("VP8PJ", "2025-12-31 23:59", "20m", "CW", "CW", None, None, False),
        ("DL1ABC", "2026-01-01 00:05", "40m", "PHONE", "USB", "Fed. Rep. of Germany", None, False),
        ("JA1XYZ", "2026-01-02 00:00", "15m", "DATA", "FT8", "Japan", None, True),
        ("K1ZZ", "2026-01-02 12:00", "40m", "DATA", "FT4", "United States", None, False),
    ]  # VP8 is not in the small country file: no entity


def test_import_again_adds_nothing_and_lotw_confirms(env: dict[str, str], tmp_path: Path) -> None:
    mine = write(tmp_path, "mine.adi", LOGGER)
    assert run("log", "import", str(mine), "--owner", "DL9ZZ", env=env).returncode == 0
    again = run("log", "import", str(mine), "--owner", "DL9ZZ", env=env)
    assert "stored: 0 new, 0 changed (a confirmation or an entity), 4 already there" in again.stdout
    lotw = run("log", "import", str(write(tmp_path, "lotwreport.adi", LOTW)), "--owner", "DL9ZZ",
               env=env)  # fmt: skip
    assert lotw.returncode == 0, lotw.stderr
    assert "stored: 0 new, 2 changed" in lotw.stdout and "bad records" in lotw.stdout
    rows = {row[0]: row for row in qsos(env["DXSPOTS_DATABASE_URL"], "DL9ZZ")}
    assert len(rows) == 4 and rows["K1ZZ"][-1] and rows["DL1ABC"][-1]  # now confirmed
    assert rows["K1ZZ"][6] == 291 and rows["DL1ABC"][6] == 230
    # The logger's export again, which says nothing of LoTW: the confirmations stay.
    assert run("log", "import", str(mine), "--owner", "DL9ZZ", env=env).returncode == 0
    assert {row[0]: row[-1] for row in qsos(env["DXSPOTS_DATABASE_URL"], "DL9ZZ")} == {
        "VP8PJ": False, "DL1ABC": True, "JA1XYZ": True, "K1ZZ": True,
    }  # fmt: skip


def test_owners_are_held_apart(env: dict[str, str], tmp_path: Path) -> None:
    mine = write(tmp_path, "mine.adi", LOGGER)
    assert run("log", "import", str(mine), "--owner", "DL9ZZ", env=env).returncode == 0
    other = run("log", "import", str(write(tmp_path, "lotw.adi", LOTW)), env=env | {
        "DXSPOTS_CALLSIGN": "g4abc"})  # the owner defaults to the callsign  # fmt: skip
    assert other.returncode == 0 and "stored: 2 new" in other.stdout
    assert len(qsos(env["DXSPOTS_DATABASE_URL"], "DL9ZZ")) == 4
    assert [row[0] for row in qsos(env["DXSPOTS_DATABASE_URL"], "G4ABC")] == ["DL1ABC", "K1ZZ"]


def test_an_adx_log_and_clear_errors(env: dict[str, str], tmp_path: Path) -> None:
    adx = write(tmp_path, "log.adx", """<?xml version="1.0"?>
<ADX><HEADER><ADIF_VER>3.1.4</ADIF_VER></HEADER><RECORDS>
<RECORD><CALL>OH2BH</CALL><QSO_DATE>20260105</QSO_DATE><BAND>10M</BAND><MODE>CW</MODE>
<LOTW_QSL_RCVD>Y</LOTW_QSL_RCVD></RECORD>
</RECORDS></ADX>""")  # fmt: skip
    result = run("log", "import", str(adx), "--owner", "DL9ZZ", env=env)
    assert result.returncode == 0, result.stderr
    assert qsos(env["DXSPOTS_DATABASE_URL"], "DL9ZZ") == [
        ("OH2BH", "2026-01-05 00:00", "10m", "CW", "CW", "Finland", None, True)
    ]
    missing = run("log", "import", str(tmp_path / "nope.adi"), "--owner", "X", env=env)
    assert missing.returncode == 1 and "nope.adi" in missing.stderr
    assert "Traceback" not in missing.stderr
    no_owner = run("log", "import", str(adx), env=env)
    assert no_owner.returncode == 1 and "--owner" in no_owner.stderr


def test_again_without_a_country_file_changes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    mine = write(tmp_path, "mine.adi", LOGGER)
    assert run("log", "import", str(mine), "--owner", "DL9ZZ", env=env).returncode == 0
    bare = tmp_path / "bare"
    bare.mkdir()
    again = run("log", "import", str(mine), "--owner", "DL9ZZ",
                env=env | {"DXSPOTS_DATA_DIR": str(bare)})  # fmt: skip
    assert "stored: 0 new, 0 changed (a confirmation or an entity), 4 already there" in again.stdout
    assert "No country file" in again.stderr
    rows = {row[0]: row[5] for row in qsos(env["DXSPOTS_DATABASE_URL"], "DL9ZZ")}
    assert rows["DL1ABC"] == "Fed. Rep. of Germany"  # the entity known before stays


def test_an_owner_the_api_would_refuse_is_refused_here(env: dict[str, str], tmp_path: Path) -> None:
    mine = write(tmp_path, "mine.adi", LOGGER)
    result = run("log", "import", str(mine), "--owner", "CLUB LOG", env=env)
    assert result.returncode == 1 and "--owner: 'CLUB LOG' is not a call" in result.stderr


def test_an_import_stopped_midway_leaves_the_marks_true_to_what_was_stored(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Ctrl-C after the first batches: what was stored stays, and `log_slots` (the marks)
    counts exactly that, not the log before the import."""
    prefixes = ("DL", "JA", "K", "KL7", "W")  # entities the small country file knows
    records = [
        f"<CALL:{len(c)}>{c} <QSO_DATE:8>2026{1 + n % 12:02d}{1 + n % 28:02d} <TIME_ON:4>"
        f"{n % 24:02d}{n % 60:02d} <BAND:3>{('20M', '40M', '15M')[n % 3]} <MODE:2>"
        f"{('CW', 'FM')[n % 2]} <EOR>\n"
        for n in range(200_000)
        for c in [f"{prefixes[n % 5]}{n % 10}{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}"]
    ]  # fmt: skip
    path = write(tmp_path, "big.adi", "<EOH>\n" + "".join(records))
    dsn = env["DXSPOTS_DATABASE_URL"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dxspots.cli", "log", "import", str(path), "--owner", "DL9ZZ"],
        env=base | env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # As from a terminal: a job started in the background by a shell (CI's, say) inherits
        # SIGINT ignored, and Python then keeps it ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )  # fmt: skip
    deadline = time.monotonic() + 60
    with psycopg.connect(dsn, autocommit=True) as conn:
        while not conn.execute("SELECT count(*) FROM log_qsos").fetchone()[0]:  # type: ignore[index]
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    with psycopg.connect(dsn) as conn:
        stored = conn.execute("SELECT count(*) FROM log_qsos").fetchone()[0]  # type: ignore[index]
        expected = conn.execute(
            "SELECT dx_entity, band, mode_class, count(*), bool_or(confirmed) FROM log_qsos"
            " WHERE owner = 'DL9ZZ' AND dx_entity IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ).fetchall()
        slots = conn.execute(
            "SELECT dx_entity, band, mode_class, qsos, confirmed FROM log_slots"
            " WHERE owner = 'DL9ZZ' ORDER BY 1, 2, 3"
        ).fetchall()
    assert 0 < stored < 200_000  # stopped midway, what was stored kept
    assert slots == expected and slots

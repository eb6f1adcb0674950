"""The `dxspots` command as a user runs it: a real process, a real database."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from tests.conftest import FIXTURES, REPO, shared_file
from tests.e2e.test_up import OFFLINE, bare_spots, country_files

__all__ = ["country_files"]  # the fixture, shared with tests/e2e/test_up.py

LOG = """\
2026-11-27T09:13:05Z DX de KM3T-2-#:  14100.0  CS3B           CW    24 dB  22 WPM  NCDXF B 0913Z
2026-11-27T09:13:06Z DX de CT3FW:     21004.8  HC2AO        599 TKS(CW)QSL READ,QRZ.COM    0913Z
2026-11-27T09:13:07Z WWV de VE7CC <09>:   SFI=113, A=18, K=2, Minor w/G1 -> No Storms
2026-11-27T09:13:08Z To ALL de EA8CEN-9: carnaval de tenerife
2026-11-27T09:13:09Z DX de DH1TW:        23.0  DS1TW                                       0913Z
2026-11-27T09:13:10Z dxspider >
  14025.0 UA0ZZZ      27-Nov-2026 0901Z back-filled  <DL1ABC>
"""


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    return subprocess.run(
        [sys.executable, "-m", "dxspots.cli", *args],
        capture_output=True,
        text=True,
        env=base | (env or {}),
        input=stdin,
        cwd=cwd or REPO,
        timeout=120,
        check=False,
    )


@pytest.fixture
def cty_env() -> dict[str, str]:
    return {"DXSPOTS_CTY_PATH": str(FIXTURES / "cty_small.dat")}


def test_parse_jsonl_one_record_per_line_in_order(cty_env: dict[str, str]) -> None:
    result = run("parse", "-", "--received-at", "2026-11-27T09:30:00Z", env=cty_env, stdin=LOG)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["line"] for row in rows] == list(range(1, 8))
    assert [row["kind"] for row in rows] == ["other"] * 6 + ["spot"]  # prefixes are import's job
    shdx = rows[-1]
    assert (shdx["dx_call"], shdx["spotter"], shdx["spot_time"]) == (
        "UA0ZZZ",
        "DL1ABC",
        "2026-11-27T09:01:00Z",
    )
    assert shdx["band"] == "20m" and shdx["freq_khz"] == 14025.0


def test_parse_fields_of_a_spot(cty_env: dict[str, str]) -> None:
    line = "DX de KM3T-2-#:  14100.0  CS3B           CW    24 dB  22 WPM  NCDXF B 2259Z\n"
    result = run("parse", "--received-at", "2026-11-27T23:00:00Z", env=cty_env, stdin=line)
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (row["kind"], row["mode"], row["snr_db"], row["wpm"], row["spot_type"]) == (
        "spot",
        "CW",
        24,
        22,
        "NCDXF B",
    )
    assert row["is_skimmer"] is True and row["spot_time"] == "2026-11-27T22:59:00Z"
    assert row["spotter_base"] == "KM3T"


def test_parse_csv_has_a_header_and_a_row_per_line(cty_env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "log.txt"
    source.write_bytes(
        "DX de F5LEN:  7083.0  OP17A   Spécial      0859Z\nlogin: \n".encode("latin-1")
    )
    result = run(
        "parse",
        str(source),
        "--format",
        "csv",
        "--received-at",
        "2026-11-27T09:30:00Z",
        env=cty_env,
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["line"], r["kind"]) for r in rows] == [("1", "spot"), ("2", "other")]
    assert rows[0]["comment"] == "Spécial" and rows[0]["band"] == "40m"


def test_parse_without_country_file_warns_once_and_runs(tmp_path: Path) -> None:
    result = run("parse", stdin=LOG, env={"DXSPOTS_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert result.stderr.count("no country file") == 1
    assert "dxspots cty update" in result.stderr


def test_parse_missing_file_is_a_clear_error() -> None:
    result = run("parse", "/nonexistent.log")
    assert result.returncode == 1 and "no such file: /nonexistent.log" in result.stderr


def test_parse_announcement_says_which_kind(cty_env: dict[str, str]) -> None:
    result = run("parse", env=cty_env, stdin="To LOCAL de IW5CLM: off\nWX de VA3SAE: sunny\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["kind"], r["message_kind"]) for r in rows] == [
        ("announcement", "local"),
        ("announcement", "wx"),
    ]


def test_misspelt_setting_is_warned_about() -> None:
    result = run("parse", stdin="", env={"DXSPOTS_DATABSE_URL": "postgresql://x"})
    assert result.returncode == 0
    assert "DXSPOTS_DATABSE_URL is not a dxspots setting" in result.stderr


def test_bad_setting_stops_with_a_message_naming_it() -> None:
    result = run("parse", stdin="", env={"DXSPOTS_LOG_LEVEL": "LOUD"})
    assert result.returncode == 2
    assert "DXSPOTS_LOG_LEVEL" in result.stderr and "Traceback" not in result.stderr


def test_missing_cty_path_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    result = run("parse", stdin="", env={"DXSPOTS_CTY_PATH": str(tmp_path / "nope.dat")})
    assert result.returncode == 1 and "DXSPOTS_CTY_PATH" in result.stderr


def test_unreachable_database_is_a_clear_error() -> None:
    result = run("db", "status", env={"DXSPOTS_DATABASE_URL": "postgresql://x:y@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert "cannot connect to the database" in result.stderr and "Traceback" not in result.stderr


def test_db_migrate_and_status(empty_db_dsn: str) -> None:
    env = {"DXSPOTS_DATABASE_URL": empty_db_dsn}
    pending = run("db", "status", env=env)
    assert pending.returncode == 1 and "pending" in pending.stdout
    first = run("db", "migrate", env=env)
    assert first.returncode == 0 and "applied 0001_spots" in first.stdout
    again = run("db", "migrate", env=env)
    assert again.returncode == 0 and "up to date" in again.stdout
    status = run("db", "status", env=env)
    assert status.returncode == 0 and "pending" not in status.stdout


def spot_count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM spots").fetchone()
        return int(row[0]) if row else 0


def test_import_log_twice_doubles_nothing(
    db_dsn: str, cty_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "node.log"
    log.write_text(LOG)
    env = cty_env | {"DXSPOTS_DATABASE_URL": db_dsn}
    first = run("import", str(log), env=env)
    assert first.returncode == 0, first.stderr
    assert "lines read: 7" in first.stdout and "spots: 3 (3 new, 0 duplicates)" in first.stdout
    assert "rejected (kept in rejected_lines): 1" in first.stdout
    second = run("import", str(log), env=env)
    assert "spots: 3 (0 new, 3 duplicates)" in second.stdout
    assert spot_count(db_dsn) == 3
    with psycopg.connect(db_dsn) as conn:
        row = conn.execute(
            "SELECT received_at, node, band, dx_entity FROM spots WHERE dx_call = 'CS3B'"
        ).fetchone()
    assert row is not None
    assert row[0].isoformat() == "2026-11-27T09:13:05+00:00" and row[1] == "node.log"
    assert row[2] == "20m"


def test_import_rbn_archive_zip_and_plain(
    db_dsn: str, cty_env: dict[str, str], tmp_path: Path
) -> None:
    header = "callsign,de_pfx,de_cont,freq,band,dx,dx_pfx,dx_cont,mode,db,date,speed,tx_mode\n"
    rows = (
        "K1TTT,K,NA,7032.5,40m,W3AAX,K,NA,CQ,14,2019-07-20 14:24:57,17,CW\n"
        "DK8NE,DL,EU,14080.0,20m,OH2BH,OH,EU,CQ,9,2019-07-20 14:25:01,45,RTTY\n"
        "broken,row\n"
    )
    archive = tmp_path / "20190720.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("20190720.csv", header + rows)
    plain = tmp_path / "20190720.csv"
    plain.write_text(header + rows)
    env = cty_env | {"DXSPOTS_DATABASE_URL": db_dsn}
    result = run("import", str(archive), str(plain), env=env)
    assert result.returncode == 0, result.stderr
    assert "spots: 4 (2 new, 2 duplicates)" in result.stdout
    assert "rejected (kept in rejected_lines): 2" in result.stdout
    with psycopg.connect(db_dsn) as conn:
        spots = conn.execute(
            "SELECT spotter, spot_time, mode, wpm, bps, snr_db, spot_type, source, is_skimmer"
            " FROM spots ORDER BY freq_khz"
        ).fetchall()
    assert spots[0][0] == "K1TTT-#" and spots[0][1].isoformat() == "2019-07-20T14:24:00+00:00"
    assert spots[0][2:] == ("CW", 17, None, 14, "CQ", "rbn-archive", True)
    assert spots[1][2:5] == ("RTTY", None, 45)
    # Again: nothing new, and the broken row (one per file) is not stored a second time.
    again = run("import", str(archive), env=env)
    assert "spots: 2 (0 new, 2 duplicates)" in again.stdout
    with psycopg.connect(db_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM rejected_lines").fetchone() == (2,)


def test_import_log_with_offsets_and_lone_carriage_returns(
    db_dsn: str, cty_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "cr.log"
    log.write_bytes(
        b"2026-11-27T10:13:05+01:00 DX de W4LT:  14204.0  EA3HSO  tnx\r QSO   0913Z\n"
        b"2026-11-27 09:14:00 DX de K1ABC:  7025.0  DL1ABC  cq   0914Z\n"
    )
    result = run("import", str(log), env=cty_env | {"DXSPOTS_DATABASE_URL": db_dsn})
    assert "spots: 2 (2 new, 0 duplicates)" in result.stdout, result.stdout + result.stderr
    assert "no timestamp" not in result.stderr
    with psycopg.connect(db_dsn) as conn:
        rows = conn.execute("SELECT comment, received_at FROM spots ORDER BY freq_khz").fetchall()
    assert rows[1][0] == "tnx QSO" and rows[1][1].isoformat() == "2026-11-27T09:13:05+00:00"


def test_import_warns_when_lines_have_no_timestamp(
    db_dsn: str, cty_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "plain.log"
    log.write_text("DX de K1ABC:  7025.0  DL1ABC  cq   0914Z\n")
    result = run("import", str(log), env=cty_env | {"DXSPOTS_DATABASE_URL": db_dsn})
    assert "1 log lines had no timestamp" in result.stderr
    assert "modification time" in result.stderr


def test_import_dxspider_debug_log_uses_its_timestamps(
    db_dsn: str, cty_env: dict[str, str]
) -> None:
    path = shared_file("lines", "dxspider-rbn-debuglog.txt")
    result = run("import", str(path), env=cty_env | {"DXSPOTS_DATABASE_URL": db_dsn})
    assert result.returncode == 0, result.stderr
    with psycopg.connect(db_dsn) as conn:
        first = conn.execute(
            "SELECT min(received_at), min(spot_time), count(*) FROM spots"
        ).fetchone()
    assert first is not None
    assert first[0].isoformat() == "2020-07-05T22:59:31+00:00"
    assert first[1].isoformat() == "2020-07-05T22:59:00+00:00"


def test_import_missing_file_is_a_clear_error(db_dsn: str) -> None:
    result = run("import", "/nonexistent.log", env={"DXSPOTS_DATABASE_URL": db_dsn})
    assert result.returncode == 1 and "no such file: /nonexistent.log" in result.stderr


def test_export_csv_and_jsonl_by_window_and_band(
    db_dsn: str, cty_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "node.log"
    log.write_text(LOG)
    env = cty_env | {"DXSPOTS_DATABASE_URL": db_dsn}
    assert run("import", str(log), env=env).returncode == 0
    window = ["--since", "2026-11-27T09:00:00Z", "--until", "2026-11-27T10:00:00Z"]
    out = tmp_path / "spots.csv"
    result = run("export", *window, "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert "exported 3 spots" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["dx_call"] for r in rows] == ["UA0ZZZ", "CS3B", "HC2AO"]  # by spot time
    assert rows[1]["spot_time"] == "2026-11-27T09:13:00Z" and rows[1]["band"] == "20m"
    assert set(rows[0]) - {"id"} == set(
        json.loads(run("parse", stdin=LOG, env=cty_env).stdout.splitlines()[-1])
    ) - {"line", "kind"}
    parquet = tmp_path / "spots.parquet"
    assert run("export", *window, "--band", "15m", "-o", str(parquet), env=env).returncode == 0
    table = pd.read_parquet(parquet)
    assert list(table["dx_call"]) == ["HC2AO"]
    assert str(table["spot_time"].dtype) == "datetime64[us, UTC]"
    assert list(table.columns) == list(rows[0])
    jsonl = run("export", *window, "--band", "15m", "--format", "jsonl", env=env)
    (row,) = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert (row["dx_call"], row["spot_time"], row["band"]) == (
        "HC2AO",
        "2026-11-27T09:13:00Z",
        "15m",
    )
    empty = run(
        "export", "--since", "2020-01-01T00:00:00Z", "--until", "2020-01-02T00:00:00Z", env=env
    )
    assert empty.stdout.splitlines()[0].startswith("id,spot_time,freq_khz,dx_call")
    assert "exported 0 spots" in empty.stderr
    # --days, and a read-only login alone (no writer DSN, no local server to start)
    only_reader = {k: v for k, v in env.items() if k != "DXSPOTS_DATABASE_URL"}
    only_reader["DXSPOTS_READ_DATABASE_URL"] = db_dsn
    days = run("export", "--days", "366", "--band", "20m,15m", env=only_reader)
    assert days.returncode == 0, days.stderr
    wanted = [r["dx_call"] for r in rows if r["band"] in ("20m", "15m")]
    assert [r["dx_call"] for r in csv.DictReader(io.StringIO(days.stdout))] == wanted
    bad = run("export", "--band", "21m", env=env)
    assert bad.returncode == 1 and "--band: unknown band '21m'" in bad.stderr


def test_export_refuses_an_empty_window(db_dsn: str) -> None:
    result = run(
        "export", "--since", "2026-11-27T10:00:00Z", "--until", "2026-11-27T09:00:00Z",
        env={"DXSPOTS_DATABASE_URL": db_dsn},
    )  # fmt: skip
    assert (
        result.returncode == 1 and "--since: the window must end after it starts" in result.stderr
    )


def test_cty_update_downloads_then_reenriches_and_reenrich_resumes_or_restarts(
    db_dsn: str, tmp_path: Path, country_files: str
) -> None:
    """`cty update` puts the files in the data directory and gives the spots stored without
    one their entities; `cty reenrich` after a finished run looks again from the oldest."""
    stored = bare_spots(db_dsn)
    env = {
        "DXSPOTS_DATABASE_URL": db_dsn, "DXSPOTS_DATA_DIR": str(tmp_path),
        "DXSPOTS_CTY_URL": country_files,
    }  # fmt: skip
    update = run("cty", "update", env=env)
    assert update.returncode == 0, update.stderr
    assert re.search(r"country file version \d{8}: \d{3} entities", update.stdout)
    assert f"re-enriched {stored} of {stored} spots without an entity" in update.stdout
    with psycopg.connect(db_dsn) as conn:
        left = conn.execute("SELECT count(*) FROM spots WHERE dx_entity IS NULL").fetchone()
    assert left == (0,)
    again = run("cty", "reenrich", env=env)
    assert again.returncode == 0, again.stderr
    assert "re-enriched 0 of 0 spots without an entity" in again.stdout

    offline = run("cty", "update", env=env | {"DXSPOTS_CTY_URL": OFFLINE})
    assert offline.returncode == 1
    assert "country file update failed, previous files kept" in offline.stderr
    assert (tmp_path / "cty.dat").is_file() and "re-enrich" not in offline.stdout
    none = run("cty", "reenrich", env=env | {"DXSPOTS_DATA_DIR": str(tmp_path / "empty")})
    assert none.returncode == 0 and "no country file to re-enrich with" in none.stdout


@pytest.mark.parametrize(
    ("command", "setting"), [("api", "DXSPOTS_API_PORT"), ("dashboard", "DXSPOTS_DASHBOARD_PORT")]
)
def test_a_busy_port_is_named_with_its_setting(command: str, setting: str, db_dsn: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(command, "--port", str(port), env={"DXSPOTS_DATABASE_URL": db_dsn})
    assert result.returncode == 1
    assert f"{setting}: port {port} on 127.0.0.1 is in use" in result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr

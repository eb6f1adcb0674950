"""`dxspots export` as a user meets it: its output file's folder and name, and the progress
bar on a terminal (a real pseudo-terminal, a real database)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from dxspots.db.writer import SpotWriter
from dxspots.spot import Spot
from tests.conftest import REPO
from tests.integration.test_cli import run


def store_spots(dsn: str, count: int) -> None:
    """`count` distinct spots over the last 20 hours."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    spots = [
        Spot(
            spot_time=now - timedelta(minutes=i % 1200),
            freq_khz=14000.0 + (i // 1200) * 0.5,
            dx_call=f"K{i % 10}AB",
            spotter="DK8NE-#",
            comment="",
            received_at=now,
            raw="DX de",
            source="rbn",
            band="20m",
        )
        for i in range(count)
    ]
    with psycopg.connect(dsn) as conn:
        assert SpotWriter(conn).write(spots).spots_new == count


def test_export_into_a_missing_folder_names_the_folder(db_dsn: str, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "dir" / "x.csv"
    result = run(  # a relative name: the path of a test's folder holds the masked password
        "export", "-o", "missing/dir/x.csv", env={"DXSPOTS_DATABASE_URL": db_dsn}, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "-o: the folder missing/dir does not exist" in result.stderr
    assert "unexpected error" not in result.stderr and "Traceback" not in result.stderr
    assert not target.parent.exists()


def test_export_to_an_unknown_file_type_lists_the_formats(db_dsn: str, tmp_path: Path) -> None:
    env = {"DXSPOTS_DATABASE_URL": db_dsn}
    for name in ("x.xlsx", "spots"):
        result = run("export", "-o", str(tmp_path / name), env=env)
        assert result.returncode == 1, result.stderr
        assert "give --format csv, parquet or jsonl" in result.stderr
        assert ".csv, .parquet or .jsonl" in result.stderr
        assert not (tmp_path / name).exists()
    # --format says what the name does not
    forced = run("export", "--format", "csv", "-o", str(tmp_path / "x.txt"), env=env)
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "x.txt").read_text().startswith("id,spot_time,")


def test_export_progress_bar_reaches_100_percent(db_dsn: str, tmp_path: Path) -> None:
    """On a terminal the bar is drawn (10,000 spots or more) and ends at the whole count."""
    store_spots(db_dsn, 12_345)
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # 120 columns
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dxspots.cli", "export", "--days", "1", "-o",
         str(tmp_path / "x.csv")],
        env=env | {"DXSPOTS_DATABASE_URL": db_dsn}, cwd=REPO,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=child,
    )  # fmt: skip
    os.close(child)
    drawn = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other end closed
                break
            if not chunk:
                break
            drawn += chunk
        elif process.poll() is not None:
            break
    os.close(main)
    assert process.wait(30) == 0, drawn.decode(errors="replace")
    text = drawn.decode(errors="replace")
    states = re.findall(r"export:\s+(\d+)%\|[^|]*\|\s*([\d.k]+)/([\d.k]+)", text)
    assert states, text
    assert states[-1][0] == "100", text  # the last drawing is the whole
    assert "exported 12345 spots" in text
    assert sum(1 for _ in (tmp_path / "x.csv").open()) == 12_345 + 1

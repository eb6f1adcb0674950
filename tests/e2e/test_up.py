"""`dxspots up --simulate`: the whole system on one machine, as a newcomer starts it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dxspots.db.localserver import LocalServer
from tests.conftest import REPO
from tests.e2e.apiprocess import free_port


def answer(url: str) -> tuple[int, bytes] | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as reply:
            return reply.status, reply.read()
    except OSError:
        return None


def wait_for(check, seconds: float, what: str, log: Path):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} did not happen:\n{log.read_text()[-4000:]}"
        time.sleep(0.5)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data directory the `postgres` user can reach (as root the local server runs as it)."""
    path = Path(tempfile.mkdtemp(prefix="dxspots-up-"))
    path.chmod(0o755)
    yield path
    server = LocalServer(path / "postgres")
    if server.running():
        server.stop()
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("own_database", [False, True], ids=["configured-db", "own-db"])
def test_up_runs_collector_api_and_dashboard_and_stops_them(
    db_dsn: str, data_dir: Path, tmp_path: Path, own_database: bool
) -> None:
    """With a configured database, and as `make run` on a fresh machine: no database set, so
    `up` runs its own PostgreSQL in the data directory, keeps it there and stops it."""
    api, dashboard = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")} | {
        "DXSPOTS_DATA_DIR": str(data_dir),
        "DXSPOTS_API_PORT": str(api),
        "DXSPOTS_DASHBOARD_PORT": str(dashboard),
        "DXSPOTS_METRICS_PORT": "0",
    }
    if not own_database:
        env["DXSPOTS_DATABASE_URL"] = db_dsn
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "up"], env=env, cwd=REPO,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{api}"
        wait_for(lambda: answer(f"{base}/readyz"), 90, "the API answering", log)
        wait_for(
            lambda: answer(f"http://127.0.0.1:{dashboard}/_stcore/health"), 90,
            "the dashboard answering", log,
        )  # fmt: skip

        def spots_arrived() -> bool:
            reply = answer(f"{base}/v1/summary")
            return bool(reply and json.loads(reply[1])["items"][0]["spots_last_hour"] > 0)

        wait_for(spots_arrived, 90, "spots arriving from the simulated node", log)

        def nodes() -> list[tuple[str, bool]]:  # written every 10 s, answered from a 5 s cache
            reply = answer(f"{base}/v1/nodes")
            items = json.loads(reply[1])["items"] if reply else []
            return [(n["node"], n["logged_in"]) for n in items]

        assert wait_for(nodes, 40, "the node status", log) == [("simulator", True)]
        text = log.read_text()
        assert "SIMULATED SPOTS" in text and f"127.0.0.1:{dashboard}" in text
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
    assert code == 0, log.read_text()[-4000:]
    assert "dxspots up: stopped" in log.read_text()
    assert answer(f"http://127.0.0.1:{api}/healthz") is None  # the children are gone too
    server = LocalServer(data_dir / "postgres")
    assert not server.running()
    if own_database:  # the spots are kept in the data directory for the next run
        assert "a local server in" in log.read_text()
        with server.session() as dsn, psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT count(*) FROM spots").fetchone()[0] > 0  # type: ignore[index]

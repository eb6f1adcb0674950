"""Where the tests' PostgreSQL comes from (tests/pgserver.py): each path, run for real.

The session's own database shows the planned path; a pytest run with the engine out of reach
falls back to the local server and says so in its header; told the engine is required, the
same run fails instead; containers of a killed run are removed by the next.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest

from tests import pgserver
from tests.conftest import PLAN, REPO

GONE_ENGINE = "unix:///nonexistent/docker.sock"
ONE_DB_TEST = "tests/integration/test_db.py::test_writer_counts_new_and_duplicate_spots"


def sub_pytest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_TEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=REPO, env=clean | env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


def test_the_session_database_is_where_the_header_says(
    pytestconfig: pytest.Config, pg_server: str
) -> None:
    plan = pytestconfig.stash[PLAN]
    if plan.kind != "docker":
        pytest.skip(f"this session's database is not a container: {plan.describe()}")
    info = psycopg.conninfo.conninfo_to_dict(pg_server)
    assert info["host"] == "127.0.0.1"
    ours = subprocess.run(
        ["docker", "ps", "--filter", f"label={pgserver.LABEL}={os.getpid()}", "--quiet"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert len(ours) == 1
    inspect = ["docker", "inspect", "--format", "{{json .NetworkSettings.Ports}}", ours[0]]
    ports = json.loads(subprocess.run(inspect, capture_output=True, text=True, check=True).stdout)
    assert ports["5432/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": str(info["port"])}]
    with psycopg.connect(pg_server) as conn:
        assert conn.execute("SELECT current_setting('fsync')").fetchone() == ("off",)


def test_without_an_engine_the_run_falls_back_to_the_local_server() -> None:
    run = sub_pytest({"DOCKER_HOST": GONE_ENGINE}, ONE_DB_TEST)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "database: local throwaway server" in run.stdout
    assert "no Docker engine answers" in run.stdout
    assert "1 passed" in run.stdout


def test_told_the_engine_is_required_the_run_fails_instead() -> None:
    run = sub_pytest({"DOCKER_HOST": GONE_ENGINE, "DXSPOTS_TEST_DOCKER": "required"}, ONE_DB_TEST)
    assert run.returncode != 0
    assert "DXSPOTS_TEST_DOCKER=required, but no Docker engine answers" in run.stderr
    assert "passed" not in run.stdout


def test_plan_follows_the_settings() -> None:
    assert pgserver.plan({"DXSPOTS_TEST_DATABASE_URL": "postgresql://x"}).kind == "dsn"
    off = pgserver.plan({"DXSPOTS_TEST_DOCKER": "off"})
    assert off.kind == "local"
    assert "DXSPOTS_TEST_DOCKER=off" in off.describe()
    with pytest.raises(pgserver.EngineRequired, match="auto, required, off"):
        pgserver.plan({"DXSPOTS_TEST_DOCKER": "sometimes"})


@pytest.mark.usefixtures("docker_engine")
def test_an_image_the_engine_lacks_is_named_and_the_run_falls_back() -> None:
    env = {"DXSPOTS_TEST_POSTGRES_IMAGE": "dxspots-no-such-image:0"}
    assert pgserver.plan(env).kind == "local"
    assert "dxspots-no-such-image:0" in pgserver.plan(env).why
    with pytest.raises(pgserver.EngineRequired, match="dxspots-no-such-image:0"):
        pgserver.plan(env | {"DXSPOTS_TEST_DOCKER": "required"})


@pytest.mark.usefixtures("docker_engine")
def test_containers_of_a_killed_run_are_removed() -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    alive = str(os.getpid())
    made = {}
    for pid in (dead, alive):
        made[pid] = subprocess.run(
            ["docker", "create", "--label", f"{pgserver.LABEL}={pid}", "debian:bookworm", "true"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    try:
        pgserver.remove_leftovers()
        listed = subprocess.run(
            ["docker", "ps", "--all", "--no-trunc", "--quiet"],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        assert made[dead] not in listed
        assert made[alive] in listed
    finally:
        remove = ["docker", "rm", "--force", *made.values()]
        subprocess.run(remove, capture_output=True, check=False)


WITH_ENGINE = REPO / "deploy" / "docker" / "with-engine"


def test_with_engine_refuses_a_mode_it_does_not_know() -> None:
    env = {**os.environ, "DXSPOTS_TEST_DOCKER": "sometimes"}
    run = subprocess.run([str(WITH_ENGINE), "true"], env=env, capture_output=True, text=True,
                         timeout=30, check=False)  # fmt: skip
    assert run.returncode == 2
    assert "DXSPOTS_TEST_DOCKER must be auto, required or off, not 'sometimes'" in run.stderr


def test_with_engine_off_runs_the_command_and_nothing_else() -> None:
    env = {**os.environ, "DXSPOTS_TEST_DOCKER": "off", "DOCKER_HOST": GONE_ENGINE}
    run = subprocess.run([str(WITH_ENGINE), "sh", "-c", "echo ran; exit 7"], env=env,
                         capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert (run.returncode, run.stdout, run.stderr) == (7, "ran\n", "")

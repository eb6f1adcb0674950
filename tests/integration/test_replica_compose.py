"""compose.yaml's `replica` profile, checked without running the stack (tests/containers/ runs
the stack; the replica profile is not run there yet): the merged configuration `docker-compose
config` prints, and the primary's replication init script run for real on a local server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
import yaml

from dxspots.db.localserver import SERVER_USER
from tests.conftest import REPO
from tests.replicas import primary_and_replica

INIT = REPO / "deploy" / "docker" / "initdb" / "20-replication.sh"
START = REPO / "deploy" / "docker" / "replica" / "start.sh"


def compose_config(tmp_path: Path, **variables: str) -> dict[str, object]:
    command = shutil.which("docker-compose")
    if command is None:
        pytest.skip("no docker-compose command")
    # A folder without .env, so that only the variables given here count.
    env = {"PATH": os.environ["PATH"], "POSTGRES_PASSWORD": "pw1", "READER_PASSWORD": "pw2"}
    done = subprocess.run(
        [command, "--project-directory", str(tmp_path), "-f", str(REPO / "compose.yaml"),
         "--profile", "replica", "config"],
        env=env | variables, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)  # type: ignore[no-any-return]


def read_url(config: dict[str, object], service: str) -> str:
    services = config["services"]
    assert isinstance(services, dict)
    return str(services[service]["environment"]["DXSPOTS_READ_DATABASE_URL"])


def test_the_web_side_reads_from_the_replica_when_told(tmp_path: Path) -> None:
    config = compose_config(tmp_path, REPLICATION_PASSWORD="pw3", READ_HOST="replica")
    services = config["services"]
    assert isinstance(services, dict)
    replica, primary = services["replica"], services["postgres"]
    assert replica["image"] == primary["image"]  # one PostgreSQL version on both sides
    assert replica["environment"] == {"PRIMARY_HOST": "postgres", "REPLICATION_PASSWORD": "pw3"}
    assert primary["environment"]["REPLICATION_PASSWORD"] == "pw3"
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    for port in replica["ports"]:  # 1.29 prints strings, v2 mappings
        assert (port.get("host_ip") if isinstance(port, dict) else port).startswith("127.0.0.1")
    mounted = {
        Path(volume["source"] if isinstance(volume, dict) else volume.split(":")[0]).name
        for volume in replica["volumes"]
    }
    assert "start.sh" in mounted
    for service in ("api", "dashboard"):
        assert "@replica:5432/" in read_url(config, service)
        assert "DXSPOTS_DATABASE_URL" not in services[service]["environment"]
    # The collector and the migrations write: always the primary.
    for service in ("collector", "migrate"):
        url = services[service]["environment"]["DXSPOTS_DATABASE_URL"]
        assert "@postgres:5432/" in url


def test_without_read_host_the_web_side_reads_from_the_primary(tmp_path: Path) -> None:
    config = compose_config(tmp_path)
    for service in ("api", "dashboard"):
        assert "@postgres:5432/" in read_url(config, service)


def test_the_scripts_parse() -> None:
    for script in (INIT, START):
        assert os.access(script, os.X_OK), script
        done = subprocess.run(
            ["sh", "-n", str(script)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr


def test_the_init_script_makes_the_replication_login_once() -> None:
    """Run as the image runs it (the server's user, psql on its socket), twice."""
    psql = Path("/usr/lib/postgresql/15/bin/psql")
    if not psql.exists():
        pytest.skip("no psql at /usr/lib/postgresql/15/bin")
    with primary_and_replica() as pair:
        env = {
            "PATH": f"{psql.parent}:{os.environ['PATH']}", "POSTGRES_USER": "dxspots",
            "POSTGRES_DB": "dxspots", "PGDATA": str(pair.primary.pgdata),
            "PGHOST": "127.0.0.1", "PGPORT": str(pair.primary.port),
            "PGPASSWORD": pair.primary.password_path.read_text().strip(),
            "REPLICATION_PASSWORD": "it's a 'quoted' secret",
        }  # fmt: skip
        user = SERVER_USER if os.geteuid() == 0 else None
        for _ in range(2):
            done = subprocess.run(
                ["sh", str(INIT)], env=env, user=user, cwd="/", capture_output=True, text=True,
                timeout=60, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        hba = (pair.primary.pgdata / "pg_hba.conf").read_text().splitlines()
        line = "host replication dxspots_replicator all scram-sha-256"
        assert hba.count(line) == 1
        login = psycopg.conninfo.make_conninfo(
            pair.primary.dsn, user="dxspots_replicator", password=env["REPLICATION_PASSWORD"],
            replication="database",
        )  # fmt: skip
        with psycopg.connect(login, autocommit=True) as conn:
            row = conn.execute("IDENTIFY_SYSTEM").fetchone()
            assert row is not None  # a replication connection, as pg_basebackup opens
        # Without the password it does nothing, and says so.
        done = subprocess.run(
            ["sh", str(INIT)], env=env | {"REPLICATION_PASSWORD": ""}, user=user, cwd="/",
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0 and "no REPLICATION_PASSWORD" in done.stdout

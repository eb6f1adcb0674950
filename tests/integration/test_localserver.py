"""The local PostgreSQL server that `dxspots up` and the commands share."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dxspots.db.localserver import LocalServer
from tests.conftest import REPO


@pytest.fixture
def root() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="dxspots-ls-"))
    path.chmod(0o755)  # as root, the server runs as 'postgres' and must reach it
    yield path
    server = LocalServer(path)
    if server.running():
        server.stop()
    shutil.rmtree(path, ignore_errors=True)


def test_last_session_out_stops_the_server(root: Path) -> None:
    server = LocalServer(root, options={"fsync": "off"})
    first = server.session()
    dsn = first.__enter__()
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("dxspots",)
    with LocalServer(root).session() as second_dsn:
        assert second_dsn == dsn
        first.__exit__(None, None, None)  # the first user leaves while the second is in
        with psycopg.connect(second_dsn) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not server.running()


def test_restart_keeps_data_port_and_password(root: Path) -> None:
    with LocalServer(root).session() as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
    assert (root / "password").stat().st_mode & 0o077 == 0
    with LocalServer(root).session() as again, psycopg.connect(again) as conn:
        assert again == dsn
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)


def test_binaries_follow_the_cluster_that_exists(tmp_path: Path) -> None:
    from dxspots.db.localserver import LocalServerError, find_pg_bin

    newest = find_pg_bin()
    assert (newest / "initdb").exists() and (newest / "pg_ctl").exists()
    made_by = tmp_path / "pgdata"
    made_by.mkdir()
    (made_by / "PG_VERSION").write_text("99\n")
    tmp_path.chmod(0o755)
    with pytest.raises(LocalServerError, match="made by PostgreSQL 99"):
        _ = LocalServer(tmp_path).bin_dir


def server_uid(pgdata: Path) -> int:
    """The user id the running postmaster has (its pid is postmaster.pid's first line)."""
    pid = (pgdata / "postmaster.pid").read_text().split()[0]
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


@pytest.mark.skipif(os.geteuid() != 0, reason="the root case; the suite runs unprivileged")
def test_as_root_the_server_runs_as_postgres(root: Path) -> None:
    postgres = pwd.getpwnam("postgres").pw_uid
    with LocalServer(root).session() as dsn, psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert server_uid(root / "pgdata") == postgres
        assert (root / "pgdata").stat().st_uid == postgres
        assert (root / "password").stat().st_uid == 0  # our own files stay ours


NOBODY = "nobody"


@pytest.mark.skipif(os.geteuid() != 0, reason="the suite runs unprivileged: every test here is it")
def test_as_an_ordinary_user_nothing_changes_hands() -> None:
    """`dxspots db migrate` run by an ordinary user (here `nobody`, by runuser): the server
    runs as that user, in its data directory, with nothing of root's or postgres's."""
    python, runuser = Path("/usr/bin/python3"), shutil.which("runuser")
    if not python.exists() or runuser is None:
        pytest.skip("needs /usr/bin/python3 and runuser")
    site = sysconfig.get_paths()["purelib"]  # this venv's packages, run by the machine's 3.11
    nobody = pwd.getpwnam(NOBODY)
    readable = subprocess.run(
        [runuser, "-u", NOBODY, "--", "test", "-r", str(REPO / "pyproject.toml")], check=False
    )
    if readable.returncode != 0 or not os.access(site, os.R_OK):
        pytest.skip(f"this checkout is not readable by {NOBODY}")
    data = Path(tempfile.mkdtemp(prefix="dxspots-user-"))
    os.chown(data, nobody.pw_uid, nobody.pw_gid)
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(data), "PYTHONPATH": f"{REPO}:{site}",
        "DXSPOTS_DATA_DIR": str(data),
    }  # fmt: skip
    try:
        done = subprocess.run(
            [runuser, "-u", NOBODY, "--", str(python), "-m", "dxspots.cli", "db", "migrate"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "database is up to date" in done.stdout
        owners = {p.stat().st_uid for p in (data / "postgres").iterdir()}
        assert owners == {nobody.pw_uid}
        assert not LocalServer(data / "postgres").running()  # the last one out stopped it
    finally:
        shutil.rmtree(data, ignore_errors=True)

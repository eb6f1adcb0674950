"""The local PostgreSQL server that `dxspots up` and the commands share."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dxspots.db.localserver import LocalServer


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

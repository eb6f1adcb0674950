"""Shared fixtures: a real PostgreSQL for every test that asks for one, and paths to data.

The server is, in order of preference: the DSN in DXSPOTS_TEST_DATABASE_URL; a container
started with testcontainers when a Docker engine answers; a throwaway local server run by
`dxspots.db.localserver` in a temporary folder (tests/pgserver.py; the pytest header says
which one ran, and DXSPOTS_TEST_DOCKER=required makes a missing engine an error). Each test
gets its own database, cloned from a migrated template, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dxspots.db.localserver import LocalServer
from dxspots.db.migrate import migrate
from tests import pgserver

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLAN = pytest.StashKey[pgserver.Plan]()


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test when it is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (../shared/data is optional)")
    return path


def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[PLAN] = pgserver.plan()
    except pgserver.EngineRequired as error:
        raise pytest.UsageError(str(error)) from None


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[PLAN].describe()


SYSTEMD_SUITE = "tests/containers/test_systemd_boot.py"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say whether the collector ran under real systemd in this run (issue 17), and if not,
    why: the suite needs a Docker engine, and is skipped without one."""
    outcomes: dict[str, list[Any]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "nodeid", "").startswith(SYSTEMD_SUITE):
                outcomes.setdefault(outcome, []).append(report)
    if not outcomes:
        return
    counts = ", ".join(f"{len(reports)} {outcome}" for outcome, reports in outcomes.items())
    line = f"systemd: {SYSTEMD_SUITE}: {counts}"
    if set(outcomes) == {"passed"}:
        line += " (the collector's package run by systemd 252 as PID 1)"
    elif "skipped" in outcomes:
        reason = outcomes["skipped"][0].longrepr
        why = str(reason[-1] if isinstance(reason, tuple) else reason).removeprefix("Skipped: ")
        line += f" ({why})"
    terminalreporter.write_sep("-", line)


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """A DSN for a superuser connection to a running PostgreSQL server (see tests/pgserver.py)."""
    plan = pytestconfig.stash[PLAN]
    if plan.kind == "dsn":
        yield os.environ["DXSPOTS_TEST_DATABASE_URL"]
    elif plan.kind == "docker":
        with pgserver.container_dsn(plan.image) as dsn:
            yield dsn
    else:
        with pgserver.local_dsn() as dsn:
            yield dsn


@pytest.fixture(scope="session")
def collector_debs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The collector's package as `make deb` builds it, and an upgrade (tests/debpackage.py)."""
    from tests.debpackage import build_debs

    return build_debs(tmp_path_factory.mktemp("debs"))


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """A Docker engine that answers: skip without one, or fail when DXSPOTS_TEST_DOCKER=required."""
    problem = pgserver.engine_problem()
    if problem is None:
        return
    if pgserver.docker_mode(os.environ) == "required":
        pytest.fail(f"DXSPOTS_TEST_DOCKER=required, but {problem}")
    pytest.skip(f"needs a Docker engine: {problem}")


def _with_db(dsn: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def template_db(pg_server: str) -> str:
    """The name of a migrated database that test databases are cloned from."""
    name = f"dxspots_template_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(_with_db(pg_server, name)) as conn:
        migrate(conn)
    return name


@contextlib.contextmanager
def throwaway_database(pg_server: str, template: str | None = None) -> Iterator[str]:
    """Create a database (a copy of `template`, if given), yield its DSN, then drop it."""
    name = f"dxspots_test_{uuid.uuid4().hex[:12]}"
    clone = f" TEMPLATE {template}" if template else ""
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}{clone}")
    try:
        yield _with_db(pg_server, name)
    finally:
        with (
            psycopg.connect(pg_server, autocommit=True) as admin,
            contextlib.suppress(psycopg.Error),
        ):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def login_role(db_dsn: str, group: str) -> Iterator[str]:
    """Create a login role that is a member of `group`, yield its DSN, then drop it."""
    login = f"dxspots_login_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(db_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {login} LOGIN PASSWORD 'pw' IN ROLE {group}")
    try:
        info = psycopg.conninfo.conninfo_to_dict(db_dsn) | {"user": login, "password": "pw"}
        yield psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    finally:
        with psycopg.connect(db_dsn, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {login}")
            admin.execute(f"DROP ROLE {login}")


@pytest.fixture
def db_dsn(pg_server: str, template_db: str) -> Iterator[str]:
    """A DSN for a fresh, migrated database of this test's own."""
    with throwaway_database(pg_server, template_db) as dsn:
        yield dsn


@pytest.fixture
def empty_db_dsn(pg_server: str) -> Iterator[str]:
    """A DSN for a fresh database with no schema at all."""
    with throwaway_database(pg_server) as dsn:
        yield dsn


@pytest.fixture
def own_server() -> Iterator[LocalServer]:
    """A server of this test's own, to stop and start."""
    root = Path(tempfile.mkdtemp(prefix="dxspots-pipeline-"))
    root.chmod(0o755)
    server = LocalServer(root, options={"fsync": "off"})
    server.start()
    with psycopg.connect(server.dsn) as conn:
        migrate(conn)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop in a thread, for simulated nodes and proxies beside the code under test."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)

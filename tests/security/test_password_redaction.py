"""The database password never reaches a log or a message (issue 11, finding 10).

libpq echoes what it cannot parse in a DSN (a bad escape in the password, a stray word, the
whole URI), and the echo went to the terminal (`dxspots db status`), to the API's log at
every retry of its pool, to the dashboard's log; `dxspots up` printed the local server's
password at every start. Each test here runs the real process with a DSN that carries a known
password, lets it fail as it would, and looks for the password in all it wrote.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from dxspots.redact import MASK
from tests.conftest import REPO
from tests.e2e.apiprocess import api_process, free_port
from tests.e2e.test_up import answer, data_dir, up_env
from tests.integration.test_cli import run

__all__ = ["data_dir"]  # the fixture, shared with test_up

SECRET = "S3cr3tPw9x"
ECHOED = {  # malformed DSNs whose refusal by libpq quotes (part of) the password
    "bad escape in a URI password": f"postgresql://dxspots:{SECRET}%zz@127.0.0.1:1/dxspots",
    "postgres:// with %00": f"postgres://dxspots:{SECRET}%00@127.0.0.1:1/dxspots",
    "bad escape in ?password=": f"postgresql://dxspots@127.0.0.1:1/dxspots?password={SECRET}%2",
    "the whole URI echoed": f"postgresql://dxspots:{SECRET}@[127.0.0.1:1/dxspots",
    "spaces in a URI password": f"postgresql://dxspots:pass word {SECRET}@127.0.0.1:1/dxspots",
    "a password as a query key": f"postgresql://u:{SECRET}@127.0.0.1:1/dxspots?{SECRET}=1",
    "a stray conninfo word": f"host=127.0.0.1 port=1 password=pass word{SECRET} dbname=dxspots",
    "the password alone": f"host=127.0.0.1 port=1 {SECRET}",
}
QUOTED = f"host=127.0.0.1 port=1 password='it\\'s {SECRET}' dbname=dxspots bogus=1"
REFUSED = f"postgresql://dxspots:{SECRET}@127.0.0.1:1/dxspots"  # well formed, nobody listens


def assert_no_password(text: str) -> None:
    assert SECRET not in text, text[-4000:]
    assert SECRET.lower() not in text.lower()


@pytest.mark.parametrize("dsn", list(ECHOED.values()), ids=list(ECHOED))
def test_db_status_with_a_malformed_dsn_prints_no_password(dsn: str) -> None:
    result = run("db", "status", env={"DXSPOTS_DATABASE_URL": dsn, "DXSPOTS_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 1 and "cannot connect to the database" in result.stderr
    assert MASK in result.stderr  # libpq did quote it, and the quote was masked
    assert_no_password(result.stdout + result.stderr)


@pytest.mark.parametrize("dsn", [QUOTED, REFUSED], ids=["quoted password", "refused"])
@pytest.mark.parametrize("command", [["db", "migrate"], ["export"], ["dashboard"]])
def test_other_commands_print_no_password(command: list[str], dsn: str) -> None:
    variable = "DXSPOTS_READ_DATABASE_URL" if command == ["export"] else "DXSPOTS_DATABASE_URL"
    result = run(*command, env={variable: dsn, "DXSPOTS_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 1 and "cannot connect to the database" in result.stderr
    assert_no_password(result.stdout + result.stderr)


def wait_for(check: Callable[[], bool], seconds: float, what: str, log: Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen:\n{log()[-4000:]}"
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("dsn", "workers"),
    [(ECHOED["bad escape in a URI password"], "1"), (ECHOED["the whole URI echoed"], "2"),
     (REFUSED, "1")],
    ids=["malformed", "malformed, two workers", "refused"],
)  # fmt: skip
def test_api_pool_retries_log_no_password(dsn: str, workers: str) -> None:
    """The pool retries in the background, the stream listener too, and a request waits for
    the pool and gives up: every one of them logs the driver's words."""
    with api_process(dsn, api_workers=workers, api_pool_timeout="0.5") as api:
        reply = api.get("/v1/spots")
        assert reply.status == 503
        assert_no_password(reply.body.decode())
        wait_for(
            lambda: api.log_text().count("error connecting") >= 3 * int(workers), 60,
            "the pool retrying", api.log_text,
        )  # fmt: skip
    text = api.log_text()
    assert_no_password(text)
    if dsn != REFUSED:  # libpq quoted the password, and the quote was masked
        assert MASK in text


def test_collector_log_holds_no_password(tmp_path: Path) -> None:
    """The collector tries the database at start and again for every batch and node status."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    env |= {
        "DXSPOTS_DATABASE_URL": ECHOED["bad escape in a URI password"],
        "DXSPOTS_NODES": f"127.0.0.1:{free_port()}",  # nobody there: it keeps retrying
        "DXSPOTS_CALLSIGN": "DL1ABC",
        "DXSPOTS_METRICS_PORT": "0",
        "DXSPOTS_DATA_DIR": str(tmp_path / "data"),
        "DXSPOTS_LOG_LEVEL": "DEBUG",
    }
    log_path = tmp_path / "collect.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "collect"], env=env, cwd=REPO,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def log_text() -> str:
        return log_path.read_text(errors="replace")

    try:
        wait_for(lambda: "database unavailable at start" in log_text(), 60, "the start", log_text)
        # ... and a node status write (every 10 s), which fails with the driver's text.
        wait_for(lambda: "node status not written" in log_text(), 60, "a status", log_text)
    finally:
        process.terminate()
        process.wait(30)
    text = log_text()
    assert_no_password(text)
    assert "node status not written" in text and MASK in text


def test_dashboard_log_and_page_hold_no_password(tmp_path: Path) -> None:
    """A browser opens the dashboard: its pages' pool retries and the page's failure are
    logged by the Streamlit process, which `dxspots` did not configure."""
    chromium = os.environ.get("DXSPOTS_TEST_CHROMIUM", "/usr/bin/chromium")
    assert Path(chromium).is_file(), f"no Chromium at {chromium}: `make test` installs Debian's"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    env |= {"DXSPOTS_READ_DATABASE_URL": ECHOED["bad escape in a URI password"]}
    env |= {"DXSPOTS_DATA_DIR": str(tmp_path / "data")}
    log_path = tmp_path / "dashboard.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "dashboard", "--port", str(port)],
            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def log_text() -> str:
        return log_path.read_text(errors="replace")

    def healthy() -> bool:
        assert process.poll() is None, log_text()
        return answer(f"http://127.0.0.1:{port}/_stcore/health") is not None

    try:
        wait_for(healthy, 60, "the dashboard answering", log_text)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                wait_for(
                    lambda: log_text().count("error connecting") >= 2, 60,
                    "the pages' pool retrying", log_text,
                )  # fmt: skip
                page.wait_for_timeout(1000)
                shown = page.content()
            finally:
                browser.close()
    finally:
        process.terminate()
        process.wait(20)
    assert_no_password(shown)
    text = log_text()
    assert_no_password(text)
    assert MASK in text


@pytest.mark.timeout(300)
def test_up_banner_names_the_password_file_not_the_password(data_dir: Path, tmp_path: Path) -> None:
    """`dxspots up` with a local server of its own: the banner and every child's log."""
    api = free_port()
    env = up_env(data_dir, api, free_port())
    log_path = tmp_path / "up.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "up"], env=env, cwd=REPO,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def log_text() -> str:
        return log_path.read_text(errors="replace")

    try:
        wait_for(
            lambda: answer(f"http://127.0.0.1:{api}/readyz") is not None, 120,
            "the API answering", log_text,
        )  # fmt: skip
    finally:
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(60) == 0, log_text()
    password_file = data_dir / "postgres" / "password"
    password = password_file.read_text().strip()
    assert len(password) >= 20
    text = log_text()
    assert password not in text, text
    assert f"password in {password_file.resolve()}" in text
    assert "database   postgresql://dxspots:***@127.0.0.1:" in text

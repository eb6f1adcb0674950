"""`dxspots up` stops its whole process tree however the user stops it (issue 14, item 2).

Each test runs `up` with the simulated node and a configured database, waits for the API and
the dashboard (Streamlit, a grandchild), notes every process of the tree, stops `up` one way
and asserts that within a few seconds no process of the tree is left and both ports can be
bound again. Ctrl-C is sent as a terminal sends it: SIGINT to the whole foreground process
group, here `bash -c 'dxspots up 2>&1 | cat'`, so the reader of the pipe dies with it, as
`tee` does under `make run 2>&1 | tee log`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from dxspots.supervise import Port, port_problem
from tests.conftest import FIXTURES, REPO
from tests.e2e.apiprocess import free_port
from tests.e2e.test_up import answer, up_env, wait_for

STOPPED_WITHIN_S = 20.0
"""How long the whole tree may take to go (the children's grace is shorter)."""


def tree(pid: int) -> list[psutil.Process]:
    """The process and every descendant of it."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def bindable(port: int) -> bool:
    """Whether `up` could listen on `port` again: its own check."""
    return port_problem(Port("DXSPOTS_API_PORT", "127.0.0.1", port)) is None


def start_up(env: dict[str, str], log: Path, *, piped: bool) -> subprocess.Popen[bytes]:
    """`dxspots up` in a process group of its own, its output to `log` (through a pipe to
    `cat` when `piped`), once its API and dashboard answer."""
    command = [sys.executable, "-m", "dxspots.cli", "up"]
    if piped:
        shell = " ".join(command) + f" 2>&1 | cat > {log}"
        process = subprocess.Popen(["bash", "-c", shell], env=env, cwd=REPO,
                                   start_new_session=True)  # fmt: skip
    else:
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
    api, dashboard = env["DXSPOTS_API_PORT"], env["DXSPOTS_DASHBOARD_PORT"]
    wait_for(lambda: answer(f"http://127.0.0.1:{api}/readyz"), 90, "the API answering", log)
    wait_for(
        lambda: answer(f"http://127.0.0.1:{dashboard}/_stcore/health"), 90,
        "the dashboard answering", log,
    )  # fmt: skip
    return process


def up_process(root: subprocess.Popen[bytes], piped: bool) -> psutil.Process:
    """The `dxspots up` process: the root, or under bash the one running dxspots.cli up."""
    if not piped:
        return psutil.Process(root.pid)
    for process in tree(root.pid):
        if process.cmdline()[-2:] == ["dxspots.cli", "up"]:
            return process
    raise AssertionError("no `dxspots up` under bash")


def assert_all_gone(processes: list[psutil.Process], ports: list[int], log: Path) -> float:
    """Wait until none of `processes` runs and every port binds; return how long it took."""
    started = time.monotonic()
    while True:
        left = [p for p in processes if alive(p)]
        busy = [port for port in ports if not bindable(port)]
        if not left and not busy:
            return time.monotonic() - started
        if time.monotonic() - started > STOPPED_WITHIN_S:
            names = [f"{p.pid} {' '.join(p.cmdline()[:4])}" for p in left if alive(p)]
            raise AssertionError(
                f"still running after {STOPPED_WITHIN_S:.0f} s: {names}; ports busy: {busy}\n"
                f"{log.read_text(errors='replace')[-3000:]}"
            )
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    ("how", "piped"),
    [
        ("SIGINT to the group", True),
        ("SIGTERM to up", False),
        ("SIGHUP to up", False),
        ("SIGKILL to up", False),
    ],
)
def test_up_stops_its_whole_tree(db_dsn: str, tmp_path: Path, how: str, piped: bool) -> None:
    """Ctrl-C with the output piped (the reader dies too), a service manager's SIGTERM, a
    closed terminal's SIGHUP, and `up` killed outright: every child, the dashboard's
    Streamlit process included, goes, and the ports are free for the next run."""
    data_dir = tmp_path / "data"
    api, dashboard = free_port(), free_port()
    cty = str(FIXTURES / "cty_small.dat")  # no download from a test
    env = up_env(data_dir, api, dashboard, database_url=db_dsn, cty_path=cty)
    log = tmp_path / "up.log"
    root = start_up(env, log, piped=piped)
    try:
        up = up_process(root, piped)
        processes = tree(root.pid)
        commands = [" ".join(p.cmdline()) for p in processes]
        assert any("dashboard.server run" in c for c in commands), commands  # Streamlit
        assert len(processes) >= 6, [p.cmdline() for p in processes]  # up, 4 children, Streamlit
        if piped:
            os.killpg(root.pid, signal.SIGINT)
        else:
            up.send_signal(getattr(signal, how.split(maxsplit=1)[0]))
        took = assert_all_gone(processes, [api, dashboard], log)
    finally:
        for process in tree(root.pid) if root.poll() is None else []:
            process.kill()
        root.wait(10)
    assert took < STOPPED_WITHIN_S
    if not piped:  # its own words, when its output still has a reader
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]
        if how != "SIGKILL to up":
            assert "dxspots up: stopped" in text, text[-3000:]
            assert root.returncode == 0


@pytest.mark.timeout(120)
def test_up_stopped_before_its_children_start_exits_at_once(db_dsn: str, tmp_path: Path) -> None:
    """A stop while `up` still prepares (here: a country file server that never answers)
    ends it within a second or two, with nothing started and no traceback."""
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/cty/"
        api = free_port()
        env = up_env(tmp_path / "data", api, free_port(), database_url=db_dsn, cty_url=url)
        log = tmp_path / "up.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "dxspots.cli", "up"], env=env, cwd=REPO, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        wait_for(lambda: "fetching cty.dat" in log.read_text(), 60, "the download", log)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(20)
    assert time.monotonic() - started < 5
    text = log.read_text()
    assert code == 130 and "Traceback" not in text, text
    assert "Press Ctrl-C" not in text and len(tree_left(process.pid)) == 0
    assert bindable(api)


def tree_left(pid: int) -> list[psutil.Process]:
    """Processes whose parent was `pid` (none once it and its children are gone)."""
    return [p for p in psutil.process_iter(["ppid"]) if p.info["ppid"] == pid]

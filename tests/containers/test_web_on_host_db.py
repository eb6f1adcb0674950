"""The seed's hybrid: the collector on the host, the API and the dashboard in containers.

`deploy/docker/compose.web.yaml` runs only the web side, on the host's network, reading the
host's PostgreSQL on 127.0.0.1: here the session's test server (a container published on
127.0.0.1, or a local server there), with a database of this test's own. This checkout's
`dxspots collect` runs as a process on the host, collecting from `dxspots simulate`; what it
stores must come out of the API container, and the dashboard container must serve. One `.env`
serves both sides, as on a real host: the collector reads it from its working directory,
compose is handed it with `--env-file`.

The images are the engine's `dxspots-api` and `dxspots-dashboard` (`make images`); when one is
missing, `up` builds it from the compose file's `build:` section, which takes minutes.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dxspots.settings import SIMULATED_NODE
from tests.conftest import REPO, login_role
from tests.e2e.apiprocess import free_port

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("docker_engine")]

COMPOSE_WEB = REPO / "deploy" / "docker" / "compose.web.yaml"
HEALTHY_WITHIN = 120.0
SERVICES = ("api", "dashboard")

# Run in the API container: an INSERT through its own (reader) login, a valid new spot (its
# partition exists once the collector has stored one) that only a permission can stop.
TRY_INSERT = """
import os, psycopg
try:
    with psycopg.connect(os.environ["DXSPOTS_READ_DATABASE_URL"]) as conn:
        conn.execute(
            "INSERT INTO spots (spot_time, freq_khz, dx_call, spotter, received_at, raw, source)"
            " VALUES (now(), 14025, 'HYBRID1', 'DL1ABC', now(), 'a write', 'dx')"
        )
    print("inserted")
except psycopg.Error as error:
    print(error.sqlstate, type(error).__name__)
"""


def host_env() -> dict[str, str]:
    """This machine's environment less any DXSPOTS_ setting (one would beat the env file)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}


def as_url(dsn: str) -> str:
    """The DSN as a postgresql:// URL, as one writes it in .env (no spaces to quote)."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    return (
        f"postgresql://{info['user']}:{info['password']}@{info['host']}:{info['port']}"
        f"/{info['dbname']}"
    )


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Call `check` until it returns something true; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s")
        time.sleep(0.5)


def get(port: int, path: str) -> tuple[int, bytes]:
    """GET http://127.0.0.1:port/path (http.client: no proxy from the environment)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def get_or_none(port: int, path: str) -> tuple[int, bytes] | None:
    try:
        return get(port, path)
    except OSError:
        return None


def listening_addresses(port: int) -> set[str]:
    """The addresses this machine's TCP sockets listen on at `port` (from /proc/net)."""
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path("/proc/net", table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:  # IPv4, little-endian bytes
                    found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
                else:
                    found.add(f"ipv6:{address}")
    return found


@dataclass
class Process:
    """A `dxspots` subcommand of this checkout, running on the host, its output in a file."""

    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(args: list[str], env: dict[str, str], cwd: Path, name: str) -> Process:
    log = cwd / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", *args], env=env, cwd=cwd,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return Process(process, log)


@dataclass
class WebStack:
    """compose.web.yaml under a compose project of this test's own."""

    project: str
    env_file: Path

    def compose(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = ["docker-compose", "-p", self.project, "-f", str(COMPOSE_WEB),
                   "--env-file", str(self.env_file), *args]  # fmt: skip
        return subprocess.run(
            command, env=host_env(), capture_output=True, text=True, timeout=timeout, check=False
        )

    def container(self, service: str) -> str:
        return self.compose("ps", "-q", service).stdout.strip()

    def inspect(self, service: str, template: str) -> str:
        done = subprocess.run(
            ["docker", "inspect", "--format", template, self.container(service)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        return done.stdout.strip()

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "200").stdout


@pytest.mark.timeout(900)  # `up` builds an image the engine does not have: minutes
def test_web_containers_serve_what_the_host_collector_stores(db_dsn: str, tmp_path: Path) -> None:
    if psycopg.conninfo.conninfo_to_dict(db_dsn).get("host") not in ("127.0.0.1", "localhost"):
        pytest.skip("the test database is not on 127.0.0.1, where host networking reaches it")
    node_port, metrics_port, api_port, dashboard_port = distinct_free_ports(4)
    web_stack = WebStack(f"dxspots-hybrid-{uuid.uuid4().hex[:10]}", tmp_path / ".env")
    with login_role(db_dsn, "dxspots_reader") as reader_dsn:
        # The host's one .env: the collector's writer login, the web side's read-only one, and
        # an address compose.web.yaml must not take (host networking: loopback only).
        web_stack.env_file.write_text(
            f"DXSPOTS_DATABASE_URL={as_url(db_dsn)}\n"
            f"DXSPOTS_READ_DATABASE_URL={as_url(reader_dsn)}\n"
            f"DXSPOTS_API_PORT={api_port}\nDXSPOTS_DASHBOARD_PORT={dashboard_port}\n"
            "DXSPOTS_API_HOST=0.0.0.0\nDXSPOTS_DASHBOARD_HOST=0.0.0.0\n"
        )
        env = host_env() | {
            "DXSPOTS_DATABASE_URL": db_dsn,
            "DXSPOTS_DATA_DIR": str(tmp_path),
            "DXSPOTS_METRICS_PORT": str(metrics_port),
        }
        simulator = start(["simulate", "--port", str(node_port)], env, tmp_path, "simulate")
        collector = None
        try:
            wait_for(lambda: "simulated DXSpider node" in simulator.text(), 30,
                     "the simulated node did not start")  # fmt: skip
            collector = start(
                ["collect", "--simulated-node", f"127.0.0.1:{node_port}"], env, tmp_path, "collect"
            )
            up = web_stack.compose("up", "-d", timeout=900)
            assert up.returncode == 0, f"docker-compose up failed:\n{up.stderr}"
            check_web_side(web_stack, db_dsn, api_port, dashboard_port)
        except AssertionError as failure:
            logs = "\n".join(
                [f"--- docker-compose logs:\n{web_stack.logs()}",
                 f"--- dxspots simulate:\n{simulator.text()[-3000:]}"]
                + ([f"--- dxspots collect:\n{collector.text()[-3000:]}"] if collector else [])
            )  # fmt: skip
            raise AssertionError(f"{failure}\n{logs}") from None
        finally:
            web_stack.compose("down", "-v", "--remove-orphans", "--timeout", "10")
            if collector is not None:
                collector.stop()
            simulator.stop()


def check_web_side(stack: WebStack, db_dsn: str, api_port: int, dashboard_port: int) -> None:
    for service in SERVICES:
        wait_for(lambda s=service: stack.inspect(s, "{{.State.Health.Status}}") == "healthy",
                 HEALTHY_WITHIN, f"{service} did not report healthy")  # fmt: skip

    # Loopback only, although the env file says 0.0.0.0; the host networking is real.
    assert listening_addresses(api_port) == {"127.0.0.1"}
    assert listening_addresses(dashboard_port) == {"127.0.0.1"}
    assert stack.inspect("api", "{{.HostConfig.NetworkMode}}") == "host"
    # Each gets its settings by name, not the env file: no writer login in there.
    for service in SERVICES:
        env = json.loads(stack.inspect(service, "{{json .Config.Env}}"))
        names = {item.partition("=")[0] for item in env}
        assert "DXSPOTS_READ_DATABASE_URL" in names and "DXSPOTS_DATABASE_URL" not in names

    # What the host's collector stored comes out of the API container.
    def served_spots() -> list[dict[str, Any]]:
        answer = get_or_none(api_port, "/v1/spots.json?limit=50")
        if answer is None or answer[0] != 200:
            return []
        return list(json.loads(answer[1])["items"])

    items = wait_for(served_spots, 60, "the API served no spots")
    with psycopg.connect(db_dsn) as conn:
        stored = dict(conn.execute("SELECT id, dx_call FROM spots").fetchall())
    assert all(stored.get(item["id"]) == item["dx_call"] for item in items)
    assert {item["node"] for item in items} == {SIMULATED_NODE}

    assert get(dashboard_port, "/_stcore/health") == (200, b"ok")
    status, page = get(dashboard_port, "/")
    assert status == 200 and b"<html" in page.lower()

    # The API's login reads and cannot write, from inside its own container.
    attempt = subprocess.run(
        ["docker", "exec", stack.container("api"), "python", "-c", TRY_INSERT],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert attempt.stdout.split() == ["42501", "InsufficientPrivilege"], attempt.stderr
    with psycopg.connect(db_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM spots WHERE dx_call = 'HYBRID1'").fetchone() == (
            0,
        )


def distinct_free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)

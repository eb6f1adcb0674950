"""compose.yaml run for real: the images built, the demo profile up, everything checked.

`deploy/docker/images.py --postgres` builds (or finds) every image; compose runs with a
throwaway .env made from .env.example (passwords filled in, free ports, the PostgreSQL image
the engine has) under a project name of its own, and is taken down with its volumes at the
end. Everything is reached through the ports compose publishes on 127.0.0.1.

The tests run in file order on one stack: they look at it running, then stop it, then take it
down and bring it up again. Debian's docker-compose 1.29 has no `up --wait`: the stack is
waited for by polling each container's health, which is what `--wait` does.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from tests import pgserver
from tests.conftest import REPO
from tests.e2e.apiprocess import free_port
from tests.e2e.test_dashboard_browser import assert_page_is_whole

# Building the images cold takes minutes: more than the suite's default per-test timeout.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("docker_engine"), pytest.mark.timeout(1800)]

SERVICES = ("postgres", "simulator", "collector", "api", "dashboard")
OURS = ("simulator", "collector", "api", "dashboard", "alerts")  # run from our images
ROLE_IMAGES = ("dxspots-api:latest", "dxspots-dashboard:latest", "dxspots-collector:latest")
GRACE = {"collector": 60.0, "alerts": 20.0}  # compose.yaml's stop_grace_period; default 10 s
RECEIVER = """
services:
  hookreceiver:
    image: dxspots-collector:latest
    profiles: ["alerts"]
    command: ["python", "/srv/hookreceiver.py"]
    stop_signal: SIGINT
    healthcheck:
      disable: true
    volumes:
      - {script}:/srv/hookreceiver.py:ro
"""
"""The alerts profile's webhook, inside the stack's network (nothing is reached by a bridge
address): added by a second compose file, as a sysop adds their own."""


def compose_command() -> list[str]:
    v2 = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if v2.returncode == 0:
        return ["docker", "compose"]
    assert shutil.which("docker-compose"), "neither `docker compose` nor docker-compose"
    return ["docker-compose"]


@dataclass
class Stack:
    project: str
    env_file: Path
    settings: dict[str, str]
    override: Path
    command: list[str] = field(default_factory=compose_command)

    def compose(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [*self.command, "--project-name", self.project, "--file", str(REPO / "compose.yaml"),
             "--file", str(self.override), "--env-file", str(self.env_file),
             "--profile", "demo", "--profile", "alerts", *args],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"compose {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def container(self, service: str) -> str:
        found = self.compose("ps", "--quiet", service).split()
        assert len(found) == 1, (service, found)
        return found[0]

    def inspect(self, service: str) -> dict[str, object]:
        out = docker("inspect", self.container(service))
        return json.loads(out)[0]  # type: ignore[no-any-return]

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "40")

    def url(self, port_setting: str, path: str) -> str:
        return f"http://127.0.0.1:{self.settings[port_setting]}{path}"

    def owner_dsn(self) -> str:
        return (
            f"postgresql://dxspots:{self.settings['POSTGRES_PASSWORD']}@127.0.0.1:"
            f"{self.settings['POSTGRES_PORT']}/dxspots"
        )

    def wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {s: health(self.inspect(s)) for s in SERVICES}
            if all(state == "healthy" for state in states.values()):
                migrate = self.inspect("migrate")["State"]
                assert migrate["Status"] == "exited" and migrate["ExitCode"] == 0  # type: ignore[index]
                return
            assert time.monotonic() < deadline, f"not healthy: {states}\n{self.logs()}"
            time.sleep(2)


def docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done.stdout


def container_logs(container: str) -> str:
    done = subprocess.run(
        ["docker", "logs", container], capture_output=True, text=True, check=False
    )
    return done.stdout + done.stderr


def stopped_at(stamp: str) -> float:
    """Docker's FinishedAt (nanoseconds, Z) as a POSIX time."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole + "+00:00").timestamp() + float(f"0.{fraction or 0}")


def health(inspected: dict[str, object]) -> str:
    state = inspected["State"]
    assert isinstance(state, dict)
    return str(state.get("Health", {}).get("Status") or state["Status"])


def get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.status, answer.read()


def spot_count(stack: Stack) -> int:
    with psycopg.connect(stack.owner_dsn(), connect_timeout=5) as conn:
        row = conn.execute("SELECT count(*) FROM spots WHERE node = 'simulator'").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def images() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "deploy" / "docker" / "images.py"), "--postgres"],
        capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    for image in ROLE_IMAGES:
        docker("image", "inspect", image)


@pytest.fixture(scope="module")
def stack(images: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    image = pgserver.image_to_use({})
    assert image, "no PostgreSQL image, though images.py --postgres ran"
    here = tmp_path_factory.mktemp("compose")
    rules = here / "alerts.toml"
    rules.write_text(
        '[[rule]]\nname = "every spot"\nchannels = ["spothook://hookreceiver:8000/dx"]\n'
    )
    rules.chmod(0o644)
    override = here / "compose.test.yaml"
    override.write_text(RECEIVER.format(script=REPO / "tests" / "containers" / "hookreceiver.py"))
    settings = {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "READER_PASSWORD": secrets.token_urlsafe(16),
        "POSTGRES_IMAGE": image,
        "ALERT_RULES": str(rules),
        **{name: str(free_port()) for name in
           ("POSTGRES_PORT", "API_PORT", "DASHBOARD_PORT", "METRICS_PORT")},
    }  # fmt: skip
    lines = (REPO / ".env.example").read_text().splitlines()
    for name, value in settings.items():  # as a user fills it in: uncomment, set
        at = next(i for i, line in enumerate(lines) if line.startswith(f"#{name}="))
        lines[at] = f"{name}={value}"
    env_file = here / ".env"
    env_file.write_text("\n".join(lines) + "\n")
    made = Stack(f"dxspots-test-{os.getpid()}", env_file, settings, override)
    try:
        made.compose("up", "-d")
        made.wait_healthy()
        yield made
    finally:
        made.compose("down", "--volumes", "--remove-orphans")


def test_every_service_turns_healthy(stack: Stack) -> None:
    stack.wait_healthy(timeout=5)  # already: the fixture waited for it


def test_simulated_spots_reach_postgresql_and_the_api(stack: Stack) -> None:
    deadline = time.monotonic() + 90
    while True:
        status, body = get(stack.url("API_PORT", "/v1/spots.json?limit=20"))
        items = json.loads(body)["items"]
        if status == 200 and items:
            break
        assert time.monotonic() < deadline, f"no spots in the API\n{stack.logs()}"
        time.sleep(2)
    assert {item["node"] for item in items} == {"simulator"}
    assert all(item["band"] and item["dx_call"] for item in items)
    assert spot_count(stack) >= len(items)


def test_the_alerts_profile_sends_to_a_webhook_and_logs_it(stack: Stack) -> None:
    """`dxspots alerts` from the collector's image, its rules mounted from the host: the
    simulated spots alert the webhook once per DX, band and mode, and the log says so."""
    deadline = time.monotonic() + 120
    while True:
        received = [json.loads(line) for line in container_logs(
            stack.container("hookreceiver")).splitlines() if line.startswith("{")]  # fmt: skip
        if received:
            break
        assert time.monotonic() < deadline, f"no alert reached the webhook\n{stack.logs()}"
        time.sleep(2)
    assert received[0]["rule"] == "every spot" and received[0]["spot"]["node"] == "simulator"
    assert health(stack.inspect("alerts")) == "running"  # no check of the collector's port
    keys = [(r["spot"]["dx_call"], r["spot"]["band"], r["spot"]["mode"]) for r in received]
    assert len(keys) == len(set(keys))  # once per cool-down window
    with psycopg.connect(stack.owner_dsn(), connect_timeout=5) as conn:
        rules = conn.execute("SELECT name, channels FROM alert_rules").fetchall()
        sent = conn.execute("SELECT count(*) FROM alert_log WHERE outcome = 'sent'").fetchone()
    assert rules == [("every spot", "dxspots spot webhook (http)")]
    assert sent is not None and sent[0] >= 1
    assert "alerts: 1 rules from /etc/dxspots/alerts.toml" in container_logs(
        stack.container("alerts")
    )


def test_the_dashboard_answers_and_draws_its_first_page(stack: Stack, tmp_path: Path) -> None:
    assert get(stack.url("DASHBOARD_PORT", "/_stcore/health")) == (200, b"ok")
    status, _ = get(stack.url("DASHBOARD_PORT", "/"))
    assert status == 200
    chromium = os.environ.get("DXSPOTS_TEST_CHROMIUM", "/usr/bin/chromium")
    shots = Path(os.environ.get("DXSPOTS_TEST_SCREENSHOTS") or tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(stack.url("DASHBOARD_PORT", "/"))
            try:
                try:
                    assert_page_is_whole(page, "Live band activity", 1)
                except PlaywrightTimeout:  # a new container's first session is slow to start
                    page.reload()
                    assert_page_is_whole(page, "Live band activity", 1)
            finally:
                page.screenshot(path=str(shots / "compose-live.png"), full_page=True)
        finally:
            browser.close()


def test_each_container_runs_as_a_non_root_user(stack: Stack) -> None:
    for service in OURS:
        uid = docker("exec", stack.container(service), "id", "-u").strip()
        assert uid == "10001", (service, uid)
    # PostgreSQL's entrypoint starts as root to own its volume, then runs the server as postgres.
    processes = docker("top", stack.container("postgres"), "-o", "pid,uid,args").splitlines()[1:]
    assert processes
    for line in processes:
        assert line.split()[1] != "0", line


def test_the_api_image_holds_no_starlette_fastapi_or_streamlit(stack: Stack) -> None:
    listed = docker("exec", stack.container("api"), "pip", "list", "--format", "json")
    names = {package["name"].lower() for package in json.loads(listed)}
    assert {"falcon", "uvicorn", "dxspots"} <= names  # the list is the API's own
    assert not names & {"starlette", "fastapi", "streamlit"}


def test_the_web_containers_login_is_read_only(stack: Stack) -> None:
    attempt = (
        "import os, psycopg\n"
        "conn = psycopg.connect(os.environ['DXSPOTS_READ_DATABASE_URL'])\n"
        "print(conn.execute('SELECT count(*) FROM spots').fetchone()[0])\n"
        "try:\n"
        "    conn.execute(\"INSERT INTO node_status (node, host, port) VALUES ('x', 'x', 1)\")\n"
        "except psycopg.errors.InsufficientPrivilege as error:\n"
        "    print('refused:', error)\n"
        "else:\n"
        "    print('written')\n"
    )
    for service in ("api", "dashboard"):
        out = docker("exec", stack.container(service), "python", "-c", attempt)
        assert "refused: permission denied" in out, (service, out)
        assert int(out.split()[0]) > 0  # it can read


def test_no_secret_is_baked_into_any_image(stack: Stack) -> None:
    secret_values = [stack.settings["POSTGRES_PASSWORD"], stack.settings["READER_PASSWORD"]]
    for image in ROLE_IMAGES:
        history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
        config = docker("image", "inspect", "--format", "{{json .Config}}", image)
        for text in (history, config):
            assert not any(value in text for value in secret_values), image
            for word in ("PASSWORD=", "API_KEY=", "postgresql://"):
                assert word not in text, (image, word)
        files = docker(
            "run", "--rm", "--user", "0", "--entrypoint", "find", image,
            "/", "-xdev", "-name", ".env*", "-not", "-name", ".env.example",
        )  # fmt: skip
        assert files.strip() == "", (image, files)


def test_stop_ends_each_service_within_its_grace_with_status_zero(stack: Stack) -> None:
    assert spot_count(stack) > 0
    asked = time.time()
    stack.compose("stop")
    finished = {}
    for service in (*SERVICES, "alerts"):
        state = stack.inspect(service)["State"]
        assert isinstance(state, dict)
        assert state["Status"] == "exited" and state["ExitCode"] == 0, (service, state)
        finished[service] = stopped_at(state["FinishedAt"])
    # compose stops PostgreSQL last, once what uses it has stopped: its own time starts there.
    users = max(at for s, at in finished.items() if s != "postgres")
    for service, at in finished.items():
        took = at - (users if service == "postgres" else asked)
        assert took < GRACE.get(service, 10.0), (service, took)
    assert "stopping: storing what is queued" in container_logs(stack.container("collector"))


def test_down_then_up_keeps_the_spots(stack: Stack) -> None:
    stack.compose("start")
    stack.wait_healthy()
    kept = spot_count(stack)
    assert kept > 0
    stack.compose("down")  # not --volumes: the named volume stays
    assert not stack.compose("ps", "--quiet").split()
    stack.compose("up", "-d")
    stack.wait_healthy()
    assert spot_count(stack) >= kept

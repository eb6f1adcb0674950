"""Which PostgreSQL the tests run on, and starting it.

In order: the DSN in DXSPOTS_TEST_DATABASE_URL; a container started with testcontainers when a
Docker engine answers and has (or can pull) a PostgreSQL image; a throwaway local server
(`dxspots.db.localserver`). DXSPOTS_TEST_DOCKER says how hard to try the engine:

- `auto` (the default): use it when it answers, else fall back to the local server;
- `required`: use it or fail (CI sets this, so a broken engine is not hidden by the fallback);
- `off`: never (the local server, unless a DSN is given).

DXSPOTS_TEST_POSTGRES_IMAGE names the image; by default the official postgres:16-alpine when
the engine has it or a registry gives it, else the Debian stand-in postgres:15-bookworm that
`deploy/docker/images.py --postgres` builds. The container's port is published on 127.0.0.1
only and reached there (testcontainers' own guess on these machines is the bridge gateway).
Ryuk, testcontainers' reaper, cannot be pulled here, so it is off and the containers are
removed by the fixture; ones left by a test run that was killed are removed by the next.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

OFFICIAL_IMAGE = "postgres:16-alpine"
STANDIN_IMAGE = "postgres:15-bookworm"
LABEL = "dxspots.test-run"
MODES = ("auto", "required", "off")


class EngineRequired(RuntimeError):
    """DXSPOTS_TEST_DOCKER=required, and the engine or its PostgreSQL could not be had."""


@dataclass(frozen=True)
class Plan:
    kind: str  # "dsn", "docker" or "local"
    image: str = ""
    why: str = ""  # why not docker, when not

    def describe(self) -> str:
        if self.kind == "dsn":
            return "database: DXSPOTS_TEST_DATABASE_URL (a server given by the environment)"
        if self.kind == "docker":
            return (
                f"database: testcontainers PostgresContainer, image {self.image}, "
                "port published on 127.0.0.1"
            )
        return f"database: local throwaway server (dxspots.db.localserver): {self.why}"


def docker_mode(env: Mapping[str, str]) -> str:
    mode = env.get("DXSPOTS_TEST_DOCKER", "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise EngineRequired(f"DXSPOTS_TEST_DOCKER must be one of {', '.join(MODES)}: {mode!r}")
    return mode


def _docker(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def engine_problem() -> str | None:
    """None when a Docker engine answers, else what went wrong, in one line."""
    if shutil.which("docker") is None:
        return "no docker command"
    try:
        done = _docker("version", "--format", "{{.Server.Version}}", timeout=10)
    except subprocess.TimeoutExpired:
        return "the Docker engine did not answer within 10 s"
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return "no Docker engine answers" + (f" ({lines[-1].strip()})" if lines else "")
    return None


def image_to_use(env: Mapping[str, str]) -> str | None:
    """The PostgreSQL image the engine has or can pull, or None."""
    wanted = env.get("DXSPOTS_TEST_POSTGRES_IMAGE")
    for image in [wanted] if wanted else [OFFICIAL_IMAGE, STANDIN_IMAGE]:
        if _docker("images", "--quiet", image).stdout.strip():
            return image
        if _docker("pull", "--quiet", image, timeout=300).returncode == 0:
            return image
    return None


def plan(env: Mapping[str, str] = os.environ) -> Plan:
    """Decide where the tests' PostgreSQL comes from; EngineRequired when it cannot be kept."""
    if env.get("DXSPOTS_TEST_DATABASE_URL"):
        return Plan("dsn")
    mode = docker_mode(env)
    if mode == "off":
        return Plan("local", why="DXSPOTS_TEST_DOCKER=off")
    problem = engine_problem()
    if problem is None:
        image = image_to_use(env)
        if image:
            return Plan("docker", image=image)
        images = env.get("DXSPOTS_TEST_POSTGRES_IMAGE") or f"{OFFICIAL_IMAGE} or {STANDIN_IMAGE}"
        problem = (
            f"the engine has no PostgreSQL image ({images}) and none can be pulled; "
            "`python deploy/docker/images.py --bases-only --postgres` builds the stand-in"
        )
    if mode == "required":
        raise EngineRequired(f"DXSPOTS_TEST_DOCKER=required, but {problem}")
    return Plan("local", why=problem)


def remove_leftovers() -> None:
    """Remove test containers whose pytest process is gone (a run killed before its cleanup)."""
    listed = _docker("ps", "--all", "--filter", f"label={LABEL}",
                     "--format", f'{{{{.ID}}}} {{{{.Label "{LABEL}"}}}}')  # fmt: skip
    for line in listed.stdout.splitlines():
        container, _, pid = line.partition(" ")
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _docker("rm", "--force", "--volumes", container)


@contextlib.contextmanager
def container_dsn(image: str) -> Iterator[str]:
    """Start PostgreSQL in a container (testcontainers); yield a superuser DSN on 127.0.0.1."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    os.environ.setdefault("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
    os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers before its modules moved under `community`
        from testcontainers.postgres import PostgresContainer

    remove_leftovers()
    container = PostgresContainer(image, driver=None)
    container.ports = {"5432": ("127.0.0.1",)}  # published on loopback only
    container.with_kwargs(labels={LABEL: str(os.getpid())})
    container.with_command(
        "postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=300"
    )
    with container:
        dsn = container.get_connection_url()
        if "@127.0.0.1:" not in dsn:
            raise EngineRequired(f"the container is not reached on 127.0.0.1: {dsn}")
        yield dsn


@contextlib.contextmanager
def local_dsn() -> Iterator[str]:
    """A throwaway local server in a temporary folder; yield its superuser DSN."""
    from dxspots.db.localserver import LocalServer

    root = Path(tempfile.mkdtemp(prefix="dxspots-test-pg-"))
    root.chmod(0o755)
    server = LocalServer(
        root,
        options={"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"},
    )
    server.start()
    try:
        yield server.dsn
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)

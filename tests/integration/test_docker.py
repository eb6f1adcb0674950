"""The container side, read as files (no engine needed): the rules before anything runs.

compose.yaml is validated against the Compose Specification's JSON schema (vendored by
check-jsonschema), the Dockerfile and the stand-ins' by hadolint, and all by the rules the
deployment asks for: one target per role with only its extra, an unprivileged user, health
checks without curl, no secrets baked in, ports on 127.0.0.1, the web side on the read-only
login. The images built and compose run for real are tests/containers/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from dxspots.settings import Settings
from tests.conftest import REPO

DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
BIN = Path(sys.executable).parent


def stages() -> dict[str, list[str]]:
    """The Dockerfile's stages: name -> its instructions (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found: dict[str, list[str]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM \S+ AS (\S+)", line)
        if match:
            current = match[1]
            found[current] = [line]
        elif current:
            found[current].append(line)
    return found


def test_compose_file_follows_the_compose_specification() -> None:
    run = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
         str(REPO / "compose.yaml")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_dockerfiles_pass_hadolint() -> None:
    standins = sorted((DOCKERFILE.parent / "standins").glob("*.Dockerfile"))
    assert len(standins) == 3
    run = subprocess.run(
        [str(BIN / "hadolint"), str(DOCKERFILE), *map(str, standins)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_each_role_image_has_only_its_extra_and_runs_unprivileged() -> None:
    found = stages()
    # The collector's image is the writer side's: the collector, and `dxspots alerts`.
    for role, extra in (("api", "api"), ("dashboard", "dashboard"),
                        ("collector", "collector,alerts")):  # fmt: skip
        build = " ".join(found[f"build-{role}"])
        assert re.findall(r'"\.\[([\w,]+)\]"', build) == [extra], build
        assert re.findall(r"requirements\.py ([\w ]+?) <", build) == [extra.replace(",", " ")]
        image = found[role]
        assert image[0].startswith("FROM runtime AS")
        copies = [line for line in image if line.startswith("COPY")]
        assert copies == [f"COPY --from=build-{role} /opt/dxspots /opt/dxspots"], copies
        health = next(line for line in image if line.startswith("HEALTHCHECK"))
        assert "curl" not in health and "wget" not in health and "urllib" in health
        assert any(line.startswith("CMD") for line in image)
    runtime = found["runtime"]
    assert "USER 10001:10001" in runtime  # every role image inherits it
    assert not any(line.startswith(("RUN apt", "RUN pip")) for line in runtime)
    for line in DOCKERFILE.read_text().splitlines():
        assert not re.search(r"(PASSWORD|SECRET|API_KEY)\s*=", line), line
        assert ".env" not in line or line.lstrip().startswith("#"), line


def test_dockerignore_keeps_secrets_and_environments_out() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    for entry in (".env", ".venv", ".git", "data", "**/*.so"):
        assert entry in ignored, entry


def test_compose_services_are_wired_as_documented() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {
        "postgres",
        "migrate",
        "collector",
        "api",
        "dashboard",
        "proxy",
        "simulator",
        "replica",
        "alerts",
    }
    assert services["proxy"]["profiles"] == ["proxy"]
    # Alerts: opt-in (a missing rules file would be made a directory), the collector's image,
    # the writer's login (it writes the cool-down and the log), the rules read-only.
    alerts = services["alerts"]
    assert alerts["profiles"] == ["alerts"] and alerts["command"] == ["dxspots", "alerts"]
    assert alerts["image"] == services["collector"]["image"] and "build" not in alerts
    assert alerts["environment"]["DXSPOTS_DATABASE_URL"].startswith("postgresql://dxspots:")
    assert alerts["volumes"] == ["${ALERT_RULES:-./alerts.toml}:/etc/dxspots/alerts.toml:ro"]
    assert alerts["environment"]["DXSPOTS_ALERT_RULES"] == "/etc/dxspots/alerts.toml"
    assert alerts["read_only"] is True and "ports" not in alerts
    assert alerts["healthcheck"] == {"disable": True}  # the image's asks the collector's port
    assert services["replica"]["profiles"] == ["replica"]
    assert services["replica"]["image"] == services["postgres"]["image"]
    assert services["simulator"]["profiles"] == ["demo"]
    assert services["postgres"]["image"] == "${POSTGRES_IMAGE:-postgres:16-alpine}"
    assert services["postgres"]["healthcheck"]["test"][1].startswith("pg_isready")
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["command"] == ["dxspots", "db", "migrate"]
    for name in ("collector", "api", "dashboard"):
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["restart"] == "unless-stopped"
        assert service["build"]["target"] == name
        assert service["image"] == f"dxspots-{name}:${{IMAGE_TAG:-latest}}"
        # Never .env wholesale (the superuser's password): each of its own settings by name.
        assert "env_file" not in service
    collector = services["collector"]["environment"]
    for setting in ("CALLSIGN", "NODES", "CTY_URL", "SPOOL_MAX_BYTES", "LOG_LEVEL"):
        assert collector[f"DXSPOTS_{setting}"] == f"${{DXSPOTS_{setting}:-}}", setting
    for name in ("api", "dashboard"):
        environment = services[name]["environment"]
        url = environment["DXSPOTS_READ_DATABASE_URL"]
        assert url.startswith("postgresql://dxspots_web:")  # the read-only login
        assert "DXSPOTS_DATABASE_URL" not in environment
        fields = [f"DXSPOTS_{field.upper()}" for field in Settings.model_fields]
        own = [f for f in fields if f.startswith(f"DXSPOTS_{name.upper()}_")]
        own = [f for f in own if not f.endswith(("_HOST", "_PORT"))]  # the image's
        for setting in [*own, "DXSPOTS_LOG_LEVEL"]:
            assert environment[setting] == f"${{{setting}:-}}", setting
    for name, service in services.items():
        for port in service.get("ports", []):
            assert name == "proxy" or str(port).startswith("127.0.0.1:"), (name, port)
    text = (REPO / "compose.yaml").read_text()
    passwords = re.findall(r"(?m)^\s*[A-Z_]*PASSWORD:\s*(\S+)", text)
    passwords += re.findall(r"postgresql://\w+:([^@]+)@", text)
    assert len(passwords) >= 4
    for password in passwords:
        assert password.startswith("${"), password  # from .env, never written here
    init = (REPO / "deploy" / "docker" / "initdb" / "10-logins.sh").read_text()
    assert "IN ROLE dxspots_reader" in init and "dxspots_web" in init

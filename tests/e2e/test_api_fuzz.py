"""Fuzz the API from its own OpenAPI document (schemathesis), against a real server and data.

Valid and invalid inputs for every operation but the endless stream, in schemathesis'
coverage and fuzzing phases. What must hold for each: no 5xx, only documented status codes
and content types, answers that match their schema, and invalid input refused with a 4xx.
(Schema-valid input may still get a 400, for a window past a query's cap, `since` after
`until`, a made-up cursor; so "valid input is accepted" is not asked.)

schemathesis runs as its command line: its pytest plugin does not load under pytest 9.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dxspots.queries import CATALOGUE
from tests.conftest import login_role
from tests.e2e.apiprocess import api_process
from tests.spotset import make_spots, store

EXAMPLES = 60
"""Examples per operation in the fuzzing phase (three per query, valid and invalid)."""
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_no_input_breaks_the_api(db_dsn: str, tmp_path: Path) -> None:
    store(db_dsn, make_spots(datetime.now(UTC)))
    with login_role(db_dsn, "dxspots_reader") as reader, api_process(reader) as api:
        run = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "run",
                f"http://127.0.0.1:{api.port}/openapi.json",
                "--checks", ",".join(CHECKS), "--mode", "all", "-n", str(EXAMPLES),
                "--phases", "examples,coverage,fuzzing", "--generation-deterministic",
                "--exclude-path", "/v1/stream", "--request-timeout", "30",
            ],
            check=False, cwd=tmp_path, capture_output=True, text=True, timeout=540,
        )  # fmt: skip
        log = api.log_text()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout
    # Every operation but the stream was exercised: three per query, and the four other
    # operations schemathesis counts (stream, healthz, readyz, metrics).
    selected = re.search(r"Selected: (\d+)/(\d+)", run.stdout)
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert selected and tested, run.stdout[-3000:]
    total = 3 * len(CATALOGUE) + 4
    assert (int(selected[1]), int(selected[2]), int(tested[1])) == (total - 1, total, total - 1)
    assert "Traceback" not in log

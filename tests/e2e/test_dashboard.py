"""Every dashboard page, run by Streamlit's AppTest against a real PostgreSQL seeded with spots."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pandas as pd
import psycopg
import pytest
import streamlit as st
from psycopg.rows import dict_row
from streamlit.testing.v1 import AppTest

from dashboard.calllinks import HISTORY_TEXT
from dxspots.queries import all_spots
from tests.conftest import REPO, login_role
from tests.e2e.apiprocess import free_port
from tests.spotset import all_rows, make_spots, store

APP = str(REPO / "dashboard" / "app.py")
TILE_RE = re.compile(r'data-band="([^"]+)" data-spots="(\d+)"')
NOW = datetime.now(UTC)
PREPARED = "export_prepared"  # where the Export page keeps the file it prepared


@pytest.fixture
def spots_dsn(db_dsn: str) -> str:
    # The page counts back from the clock when it runs: seed from the clock now, not from when
    # the module was imported (minutes earlier when slow suites run first).
    global NOW  # noqa: PLW0603
    NOW = datetime.now(UTC)
    store(db_dsn, make_spots(NOW))
    with psycopg.connect(db_dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO node_status (node, host, port, software, logged_in, lines, spots,"
            " reconnects, lines_per_minute, updated_at) VALUES ('rbn', '127.0.0.1', 7000,"
            " 'DXSpider', true, 1200, 1000, 2, 42.5, now())"
        )
        admin.execute(
            "INSERT INTO collector_status (collector, started_at, spool_bytes, queue_lines,"
            " country_file) VALUES ('ham-server', now() - '1h'::interval, 2500000, 12,"
            " 'VER20261120')"
        )
        admin.execute(
            "INSERT INTO solar_reports (kind, report_time, reporter, received_at, raw, sfi,"
            " a_index, k_index) VALUES ('wwv', %s, 'W0MU', now(), 'raw', 152, 8, 2)",
            (NOW - timedelta(hours=2),),
        )
    return db_dsn


def app(dsn: str, monkeypatch: pytest.MonkeyPatch, **params: Any) -> AppTest:
    """The dashboard against `dsn`, fresh caches, the address's query string set."""
    for name in ("DXSPOTS_DATABASE_URL", "DXSPOTS_READ_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DXSPOTS_READ_DATABASE_URL", dsn)
    monkeypatch.setenv("DXSPOTS_DASHBOARD_REFRESH", "10")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at


@pytest.fixture
def reader(spots_dsn: str) -> Iterator[str]:
    with login_role(spots_dsn, "dxspots_reader") as dsn:
        yield dsn


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def table(at: AppTest, index: int = 0) -> pd.DataFrame:
    return at.dataframe[index].value


def call_of(link: str) -> str:
    """The call a history link in a table shows (what the browser makes of HISTORY_TEXT)."""
    found = re.search(HISTORY_TEXT, link)
    assert found is not None, link
    return unquote(found[1].replace("+", "%20"))


def test_live_counts_bands_and_lists_the_latest_spots(
    reader: str, spots_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch).run()
    no_errors(at)
    assert at.title[0].value == "Live band activity"
    assert any("UTC" in caption.value for caption in at.caption)
    rows = all_rows(spots_dsn)
    recent = Counter(r["band"] for r in rows if r["spot_time"] >= NOW - timedelta(minutes=16))
    html = "".join(block.value for block in at.markdown)
    tiles = {band: int(count) for band, count in TILE_RE.findall(html)}
    assert set(tiles) >= {"160m", "80m", "40m", "20m", "15m", "10m", "6m"}
    for band, count in tiles.items():  # the window ends when the page ran: a minute's slack
        assert recent.get(band, 0) - 3 <= count <= recent.get(band, 0), band
    latest = table(at)
    assert len(latest) == 100
    assert [call_of(link) for link in latest["dx_call"][:5]] == [r["dx_call"] for r in rows[:5]]
    assert len(at.get("vega_lite_chart")) == 1


@pytest.mark.parametrize(
    ("logged_in", "age", "shown"),
    [(True, "5 seconds", True), (False, "5 seconds", False), (True, "10 minutes", False)],
    ids=["connected", "not-logged-in", "collector-gone"],
)
def test_the_simulated_notice_only_while_the_simulated_node_is_connected(
    reader: str, spots_dsn: str, monkeypatch: pytest.MonkeyPatch,
    logged_in: bool, age: str, shown: bool,
) -> None:  # fmt: skip
    with psycopg.connect(spots_dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO node_status (node, host, port, logged_in, updated_at)"
            " VALUES ('simulator', '127.0.0.1', 7300, %s, now() - %s::interval)",
            (logged_in, age),
        )
    at = app(reader, monkeypatch).run()
    no_errors(at)
    notices = [w.value for w in at.warning if "Simulated spots" in w.value]
    assert bool(notices) == shown


def test_filters_from_the_address_and_the_sidebar_change_what_is_shown(
    reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch, band="20m", spotter_continent="EU").run()
    no_errors(at)
    shown = table(at)
    assert len(shown) > 0
    assert set(shown["band"]) == {"20m"} and set(shown["spotter_continent"]) == {"EU"}
    at.sidebar.multiselect(key="filter_band").set_value(["40m", "15m"]).run()
    no_errors(at)
    assert set(table(at)["band"]) <= {"40m", "15m"} and len(table(at)) > 0
    assert at.query_params["band"] == ["40m", "15m"]  # bookmarkable
    at.sidebar.radio(key="filter_skimmer").set_value("humans only").run()
    assert not table(at)["is_skimmer"].any()
    assert at.query_params["skimmer"] == "false"


def click_in_navigation(at: AppTest, page: str) -> AppTest:
    """Open another page as a click in the sidebar does: the browser sends no query string."""
    at.query_params.clear()
    return at.switch_page(page).run()


def test_filters_are_kept_when_another_page_is_opened(
    reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch).run()
    at.sidebar.multiselect(key="filter_band").set_value(["20m"]).run()
    at.sidebar.multiselect(key="filter_spotter_continent").set_value(["EU"]).run()
    click_in_navigation(at, "views/propagation.py")  # a page without the band filter
    no_errors(at)
    assert at.sidebar.multiselect(key="filter_spotter_continent").value == ["EU"]
    assert at.query_params == {"spotter_continent": "EU"}  # what this page's view is
    click_in_navigation(at, "views/dx.py")
    no_errors(at)
    assert at.sidebar.multiselect(key="filter_band").value == ["20m"]
    assert at.query_params == {"band": "20m", "spotter_continent": "EU"}  # bookmarkable
    assert set(table(at)["bands"]) == {"20m"}
    at.sidebar.multiselect(key="filter_band").set_value([]).run()
    click_in_navigation(at, "views/live.py")
    no_errors(at)
    assert at.sidebar.multiselect(key="filter_band").value == []
    assert at.query_params == {"spotter_continent": "EU"}
    assert set(table(at)["spotter_continent"]) == {"EU"}


def test_address_filters_are_read_as_the_api_reads_them(
    reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch, band="20M,40m", spotter_continent="eu", skimmer="0").run()
    no_errors(at)
    assert not at.sidebar.warning
    assert at.sidebar.multiselect(key="filter_band").value == ["20m", "40m"]
    shown = table(at)
    assert set(shown["band"]) <= {"20m", "40m"} and set(shown["spotter_continent"]) == {"EU"}
    assert not shown["is_skimmer"].any()


def test_a_bad_filter_in_the_address_is_reported_and_dropped(
    reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch, band="21m").run()
    no_errors(at)
    assert any("21m" in w.value for w in at.sidebar.warning)
    assert len(table(at)) == 100


def test_an_empty_database_explains_what_to_start(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(db_dsn, monkeypatch).run()
    no_errors(at)
    assert any("dxspots collect" in info.value for info in at.info)
    assert not at.dataframe and not TILE_RE.search("".join(b.value for b in at.markdown))
    for page in ("views/collector.py", "views/export.py"):
        at.switch_page(page).run()
        no_errors(at)


def test_a_database_that_is_down_is_one_message_on_every_page(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """One message and what to check; where the database is (host, port) only in the log."""
    port = str(free_port())
    info = psycopg.conninfo.conninfo_to_dict(db_dsn) | {"host": "127.0.0.1", "port": port}
    dead = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    at = app(dead, monkeypatch)
    for page in (None, "views/propagation.py", "views/dx.py", "views/collector.py",
                 "views/export.py", "views/needed.py"):  # fmt: skip
        if page:
            at.switch_page(page)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="dashboard.guard"):
            at.run()
        assert not at.exception
        assert len(at.error) == 1 and "not reachable" in at.error[0].value, page
        shown = at.error[0].value
        assert "Traceback" not in shown
        assert "DXSPOTS_READ_DATABASE_URL" in shown and "log" in shown
        for secret in (port, "127.0.0.1", "connection", "refused", info["user"], info["dbname"]):
            assert secret not in shown, (secret, shown)
        assert any(port in record.getMessage() for record in caplog.records), page


def test_propagation_paths_hours_and_solar(reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(reader, monkeypatch)
    at.switch_page("views/propagation.py").run()
    no_errors(at)
    assert len(at.get("vega_lite_chart")) == 5  # paths, band x hour, solar flux, A, K
    solar = {metric.label: metric.value for metric in at.metric}
    assert any(label.startswith("WWV") and value == "SFI 152" for label, value in solar.items())


def test_dx_tops_and_a_callsign(
    reader: str, spots_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch)
    at.switch_page("views/dx.py").run()
    no_errors(at)
    hours = [r for r in all_rows(spots_dsn) if r["spot_time"] >= NOW - timedelta(hours=6)]
    calls = table(at)
    top = Counter(r["dx_call"] for r in hours).most_common(1)[0]
    assert (call_of(calls["dx_call"].iloc[0]), calls["spots"].iloc[0]) == top
    at.text_input[0].set_value("vp8pj").run()
    no_errors(at)
    mine = [r for r in all_rows(spots_dsn) if r["dx_call"] == "VP8PJ"]
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Spots"] == str(len(mine))
    assert metrics["First seen (UTC)"] == f"{min(r['spot_time'] for r in mine):%Y-%m-%d %H:%M}"
    assert at.query_params["dx_call"] == "VP8PJ"


def test_collector_lists_nodes(reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(reader, monkeypatch)
    at.switch_page("views/collector.py").run()
    no_errors(at)
    nodes = table(at)
    assert list(nodes["node"]) == ["rbn"] and list(nodes["state"]) == ["logged in"]
    assert list(nodes["lines_per_minute"]) == [42.5]
    assert at.metric[0].value == "1 of 1"
    collectors = table(at, 1)
    assert list(collectors["collector"]) == ["ham-server"]
    assert list(collectors["spool"]) == ["2.5 MB"]
    assert any("spool is not empty" in warning.value for warning in at.warning)


def exported(dsn: str, **params: str) -> list[dict[str, Any]]:
    """The rows `dxspots export` writes for these parameters (oldest first)."""
    statement, _ = all_spots(params)
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(statement.sql, statement.values).fetchall()


def test_export_counts_first_and_downloads_the_catalogue_rows(
    reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch, band="20m")
    at.switch_page("views/export.py").run()
    no_errors(at)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    since, until = hour - timedelta(days=1), hour + timedelta(hours=1)  # the default window
    expected = exported(reader, since=since.isoformat(), until=until.isoformat(), band="20m")
    assert at.metric[0].label == "Spots in this selection now"
    assert at.metric[0].value == f"{len(expected):,}"
    at.button[0].click().run()
    no_errors(at)
    prepared = at.session_state[PREPARED]
    frame = pd.read_csv(io.BytesIO(prepared["file"]))
    assert list(frame["id"]) == [row["id"] for row in expected]
    assert set(frame["band"]) == {"20m"}
    [metric] = at.metric
    assert metric.value == f"{len(frame):,}" and metric.label.startswith("Spots in the file")
    [download] = at.get("download_button")
    assert f"Download {len(frame):,} spots (CSV)" == download.proto.label
    frozen = prepared["until"]  # the window ended in the future: it ends at the minute begun
    assert frozen <= datetime.now(UTC) < frozen + timedelta(minutes=2)
    assert prepared["name"] == f"dxspots-spots-{since:%Y%m%dT%H%MZ}-{frozen:%Y%m%dT%H%MZ}.csv"


def test_export_a_window_of_times_as_parquet(reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    hour = NOW.replace(minute=0, second=0, microsecond=0)
    since, until = hour - timedelta(hours=2), hour - timedelta(minutes=30)
    at = app(reader, monkeypatch)
    at.switch_page("views/export.py").run()
    at.date_input(key="export_from_day").set_value(since.date())
    at.time_input(key="export_from_time").set_value(since.time())
    at.date_input(key="export_to_day").set_value(until.date())
    at.time_input(key="export_to_time").set_value(until.time())
    at.radio(key="export_format").set_value("Parquet").run()
    no_errors(at)
    expected = exported(reader, since=since.isoformat(), until=until.isoformat())
    assert len(expected) > 0 and at.metric[0].value == f"{len(expected):,}"
    at.button[0].click().run()
    no_errors(at)
    prepared = at.session_state[PREPARED]
    frame = pd.read_parquet(io.BytesIO(prepared["file"]))
    assert list(frame["id"]) == [row["id"] for row in expected]
    assert frame["spot_time"].min() >= since and frame["spot_time"].max() < until
    assert prepared["name"] == f"dxspots-spots-{since:%Y%m%dT%H%MZ}-{until:%Y%m%dT%H%MZ}.parquet"
    assert "(Parquet)" in at.get("download_button")[0].proto.label
    at.time_input(key="export_to_time").set_value((until - timedelta(minutes=5)).time()).run()
    assert not at.get("download_button")  # a file for another window is not offered


def test_export_of_a_window_that_has_not_begun_says_so(
    reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window from this minute on: no file can hold it yet (its minutes have not passed),
    and the page says so rather than fail on a window that ends before it starts."""
    begun = datetime.now(UTC).replace(second=0, microsecond=0)
    at = app(reader, monkeypatch)
    at.switch_page("views/export.py").run()
    at.date_input(key="export_from_day").set_value(begun.date())
    at.time_input(key="export_from_time").set_value(begun.time())
    at.date_input(key="export_to_day").set_value((begun + timedelta(days=1)).date()).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("has not passed yet" in info.value for info in at.info)
    assert not at.button  # nothing to prepare


def test_export_count_and_file_agree_while_spots_arrive(
    reader: str, spots_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window ends now: spots arriving before and after "Prepare" change neither the
    count shown beside the file nor the file."""

    def arrive(seed: int) -> int:
        now = datetime.now(UTC)
        spots = [spot._replace(spot_time=now - timedelta(minutes=1), dx_call=f"K{seed}NEW{i}")
                 for i, spot in enumerate(make_spots(now, count=5, seed=seed)[:5])]  # fmt: skip
        return store(spots_dsn, spots)

    at = app(reader, monkeypatch)
    at.switch_page("views/export.py").run()
    before = int(at.metric[0].value.replace(",", ""))
    assert arrive(21) == 5
    at.button[0].click().run()
    no_errors(at)
    for _ in range(2):
        rows = len(pd.read_csv(io.BytesIO(at.session_state[PREPARED]["file"])))
        assert rows == before + 5  # the spots that came before "Prepare" are in it
        assert at.metric[0].value == f"{rows:,}"
        assert f"Download {rows:,} spots" in at.get("download_button")[0].proto.label
        assert arrive(22) == 5  # and later ones change nothing shown
        at.run()
        no_errors(at)


def test_the_export_command_and_url_are_the_same_selection() -> None:
    import shlex
    from urllib.parse import parse_qs, urlsplit

    from dashboard.links import api_csv_url, export_command
    from dxspots.cli import build_parser

    params = {"since": "2026-11-01T00:00:00+00:00", "until": "2026-11-27T00:00:00+00:00",
              "band": ["20m", "40m"], "spotter_continent": ["EU"], "skimmer": "false",
              "dx_prefix": "VP8"}  # fmt: skip
    args = build_parser().parse_args(shlex.split(export_command(params))[1:])
    assert (args.since, args.band, args.spotter_continent, args.skimmer, args.dx_prefix) == (
        params["since"],
        ["20m", "40m"],
        ["EU"],
        "false",
        ["VP8"],
    )
    query = parse_qs(urlsplit(api_csv_url(params)).query)
    assert query["band"] == ["20m,40m"] and query["limit"] == ["1000000"]

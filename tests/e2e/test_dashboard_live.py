"""The Live page read at a glance (issue 14): the chart spans the window chosen with ticks
that never repeat and bars that fill their five minutes; band tiles judged against each
band's own normal for the hour; and the notices every page shows."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pandas as pd
import psycopg
import pytest
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from dashboard.notices import NO_COUNTRY_FILE, SIMULATED
from tests.conftest import login_role
from tests.e2e import test_dashboard as base
from tests.e2e.test_dashboard import app, no_errors
from tests.spotset import make_spots, store

PAGES = ("views/live.py", "views/propagation.py", "views/dx.py", "views/collector.py",
         "views/export.py")  # fmt: skip
reader = base.reader  # the fixtures: the test spots, read as the dashboard's role
spots_dsn = base.spots_dsn
TILE_LEVEL_RE = r'data-band="([^"]+)" data-spots="(\d+)" data-change="-?\d+" data-normal="([^"]*)" data-level="([^"]+)"'  # noqa: E501


def chart(at: AppTest, index: int = 0) -> tuple[dict[str, Any], pd.DataFrame]:
    """A chart's Vega-Lite spec as the browser gets it, and its data."""
    element = at.get("vega_lite_chart")[index]
    spec = json.loads(element.proto.spec)
    [dataset] = element.proto.datasets
    return spec, convert_arrow_bytes_to_pandas_df(dataset.data.data)


def moment(value: dict[str, Any]) -> datetime:
    assert value["utc"] is True
    return datetime(value["year"], value["month"], value["date"], value["hours"],
                    value["minutes"], value["seconds"], tzinfo=UTC)  # fmt: skip


@pytest.mark.parametrize(("hours", "step_min"), [(1, 15), (3, 30), (6, 60), (24, 180)])
def test_the_chart_spans_the_window_with_ticks_that_never_repeat(
    reader: str, monkeypatch: pytest.MonkeyPatch, hours: int, step_min: int
) -> None:
    at = app(reader, monkeypatch).run()
    if hours != 3:
        at.select_slider[0].set_value(hours).run()
    no_errors(at)
    ran = datetime.now(UTC)
    spec, data = chart(at)
    x = spec["encoding"]["x"]
    assert x["scale"]["type"] == "utc"  # labels in UTC whatever the browser's time zone
    start, end = (moment(value) for value in x["scale"]["domain"])
    assert end - start == timedelta(hours=hours) and ran - end < timedelta(seconds=30)
    ticks = [moment(value) for value in x["axis"]["values"]]
    assert all(b - a == timedelta(minutes=step_min) for a, b in pairwise(ticks))
    assert 4 <= len(ticks) <= 8 and start <= ticks[0] and ticks[-1] <= end
    assert x["axis"]["format"] == "%H:%M"
    labels = [f"{tick:%H:%M}" for tick in ticks]
    assert len(set(labels)) == len(labels)  # never `23:40 23:40 23:40`
    # Each bar fills its 5 minutes (less a sliver), whatever the chart's width.
    assert spec["encoding"]["x2"]["field"] == "end" and spec["mark"]["clip"] is True
    widths = set(pd.to_datetime(data["end"]) - pd.to_datetime(data["bucket"]))
    assert widths == {timedelta(minutes=4.6)}
    assert spec["encoding"]["y"]["axis"] == {"format": "d", "tickMinStep": 1}


def tiles(at: AppTest) -> dict[str, tuple[int, str, str]]:
    """Each tile's band: (spots, normal, level)."""
    html = "".join(block.value for block in at.markdown if "dx-tiles" in block.value)
    return {b: (int(n), normal, lvl) for b, n, normal, lvl in re.findall(TILE_LEVEL_RE, html)}


def seeded(band: str, moments: list[datetime], seed: int) -> list[Any]:
    base = {"20m": 14000.0, "40m": 7000.0, "15m": 21000.0, "10m": 28000.0, "6m": 50100.0}[band]
    template = make_spots(moments[0], count=1, seed=seed)[0]
    return [
        template._replace(spot_time=when.replace(second=0, microsecond=0), received_at=when,
                          band=band, freq_khz=base + i, dx_call=f"K{seed}T{i}",
                          comment=f"seeded {i}")
        for i, when in enumerate(moments)
    ]  # fmt: skip


@pytest.fixture
def history_dsn(db_dsn: str) -> str:
    """Fourteen days of this UTC hour: 20m and 15m had 40 spots in it each day (10 per 15
    minutes), 40m 4 (1 per 15 minutes), 10m and 6m none; and the last 15 minutes."""
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    days = [hour - timedelta(days=d) for d in range(1, 15)]
    for band, per_day in (("20m", 40), ("15m", 40), ("40m", 4)):
        moments = [day + timedelta(minutes=m) for day in days for m in range(per_day)]
        store(db_dsn, seeded(band, moments, seed=len(band) + per_day))
    recent = {"20m": 20, "40m": 1, "15m": 2, "10m": 6, "6m": 3}
    for i, (band, count) in enumerate(recent.items()):
        moments = [now - timedelta(minutes=2, seconds=30 * k) for k in range(count)]
        store(db_dsn, seeded(band, moments, seed=100 + i))
    return db_dsn


def test_band_tiles_are_judged_against_each_bands_normal(
    history_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with login_role(history_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch).run()
        no_errors(at)
        found = tiles(at)
        assert found["20m"] == (20, "10.00", "busy")  # twice its normal
        assert found["40m"] == (1, "1.00", "normal")
        assert found["15m"] == (2, "10.00", "quiet")  # under half its normal
        assert found["10m"] == (6, "0.00", "busy")  # a closed band opening
        assert found["6m"] == (3, "0.00", "normal")  # too few to call busy
        assert found["160m"] == (0, "0.00", "normal")
        html = "".join(block.value for block in at.markdown if "dx-tiles" in block.value)
        assert "usual 10" in html and "usual 1.0" in html
        # The band filter applies to the tiles: only the chosen bands, in band order.
        at.sidebar.multiselect(key="filter_band").set_value(["20m", "40m"]).run()
        assert list(tiles(at)) == ["40m", "20m"]
        assert any("Only the bands chosen" in caption.value for caption in at.caption)
        # A call filter: the hourly counts know no calls, so no level is claimed.
        at.sidebar.text_input(key="filter_dx_prefix").set_value("K1").run()
        no_errors(at)
        assert {level for _, _, level in tiles(at).values()} == {"not judged"}


def test_band_tiles_without_history_say_so(db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    store(db_dsn, seeded("20m", [now - timedelta(minutes=3)] * 3, seed=5))
    with login_role(db_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch).run()
    no_errors(at)
    found = tiles(at)
    assert found["20m"] == (3, "", "no history yet")
    assert {level for _, _, level in found.values()} == {"no history yet"}
    assert not any('class="dx-usual"' in block.value for block in at.markdown)


def test_a_quiet_hour_with_history_is_judged_against_a_normal_of_nothing(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spots on days before, but none at this hour: every band's normal is 0, not "no history"."""
    now = datetime.now(UTC)
    store(db_dsn, seeded("40m", [now - timedelta(days=3, hours=5)] * 4, seed=6))
    store(db_dsn, seeded("20m", [now - timedelta(minutes=3)] * 6, seed=7))
    with login_role(db_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch).run()
    no_errors(at)
    found = tiles(at)
    assert found["20m"] == (6, "0.00", "busy")
    assert found["40m"] == (0, "0.00", "normal")


def warnings_on(at: AppTest) -> list[str]:
    return [warning.value for warning in at.warning]


def test_every_page_says_when_there_is_no_country_file(
    reader: str, spots_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(spots_dsn, autocommit=True) as admin:
        admin.execute("UPDATE collector_status SET country_file = NULL")
        admin.execute("UPDATE spots SET dx_entity = NULL WHERE spot_time > now() - '1h'::interval")
        missing = admin.execute(
            "SELECT count(*) FROM spots WHERE dx_entity IS NULL"
            " AND spot_time >= now() - '1 day'::interval"
        ).fetchone()
    assert missing is not None
    at = app(reader, monkeypatch)
    for page in PAGES:
        at.switch_page(page).run()
        no_errors(at)
        [notice] = [w for w in warnings_on(at) if w.startswith(NO_COUNTRY_FILE[:15])]
        assert "`dxspots cty update`" in notice, page
        assert f"({missing[0]:,} spots of the last day have none)" in notice
        assert not any(w == SIMULATED for w in warnings_on(at))
    with psycopg.connect(spots_dsn, autocommit=True) as admin:
        admin.execute("UPDATE collector_status SET country_file = 'VER20261120'")
    st.cache_data.clear()  # as if the answer cache had aged
    at.run()
    assert not any(w.startswith("No country file") for w in warnings_on(at))


def test_every_page_says_when_the_spots_are_simulated(
    reader: str, spots_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(spots_dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO node_status (node, host, port, logged_in, updated_at)"
            " VALUES ('simulator', '127.0.0.1', 7300, true, now())"
        )
    at = app(reader, monkeypatch)
    for page in PAGES:
        at.switch_page(page).run()
        no_errors(at)
        assert warnings_on(at).count(SIMULATED) == 1, page
        assert not any(w.startswith("No country file") for w in warnings_on(at))

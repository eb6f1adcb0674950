"""Tables and charts that read as a ham expects (issue 14): columns named in words, gaps
empty, one time format, bands in band order, whole counts; every call a link to its history
and to the lookup sites; the solar indices named and without arrows."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from dashboard.calllinks import HISTORY_TEXT
from tests.conftest import login_role
from tests.e2e import test_dashboard as base
from tests.e2e.test_dashboard import app, call_of, no_errors, table
from tests.spotset import make_spots, store

reader = base.reader  # the fixtures: the test spots, read as the dashboard's role
spots_dsn = base.spots_dsn
TABLE_TIME = "YYYY-MM-DD HH:mm"
ODD_CALL = "VP8EVL?x=1&y=#2 /Z"  # outside text: must stay one call in every link
SKIMMER = "DK8NE-2-#"


def columns(at: AppTest, index: int) -> dict[str, dict[str, Any]]:
    """A table's shown columns, in order, with their settings as the browser gets them."""
    proto = at.dataframe[index].proto
    config = json.loads(proto.columns)
    return {name: config.get(name, {}) for name in proto.column_order}


def assert_readable(at: AppTest, index: int) -> None:
    """Every column named in words, every time in one format, gaps empty."""
    proto = at.dataframe[index].proto
    assert proto.HasField("placeholder") and proto.placeholder == ""  # not "None"
    for name, setting in columns(at, index).items():
        label = setting.get("label")
        assert label and "_" not in label and label != name, (name, setting)
        kind = setting.get("type_config", {})
        if kind.get("type") == "datetime":
            assert kind["format"] == TABLE_TIME, name


@pytest.fixture
def odd_dsn(spots_dsn: str) -> str:
    """The test spots, and one whose DX call is odd text and whose spotter is a skimmer
    with an SSID; its DX has neither entity nor continent."""
    now = datetime.now(UTC)
    spot = make_spots(now, count=1, seed=3)[0]
    odd = spot._replace(
        dx_call=ODD_CALL, spotter=SKIMMER, spotter_base="DK8NE", is_skimmer=True,
        spot_time=now.replace(second=0, microsecond=0), band="20m", dx_entity=None,
        dx_continent=None,
    )  # fmt: skip
    assert store(spots_dsn, [odd]) == 1
    return spots_dsn


def test_every_call_links_to_its_history_and_the_lookup_sites(
    odd_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with login_role(odd_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch).run()
    no_errors(at)
    shown = columns(at, 0)
    assert list(shown)[:10] == [
        "spot_time", "freq_khz", "dx_call", "dx_call on QRZ.com", "dx_call on HamQTH", "band",
        "mode", "spotter", "spotter on QRZ.com", "spotter on HamQTH",
    ]  # fmt: skip
    for name in ("dx_call", "spotter"):
        assert shown[name]["type_config"] == {"type": "link", "display_text": HISTORY_TEXT}
    assert shown["dx_call on QRZ.com"]["type_config"] == {"type": "link", "display_text": "QRZ.com"}
    row = table(at).iloc[0]  # the newest: the odd one
    assert row["dx_call"] == "dx?dx_call=VP8EVL%3Fx%3D1%26y%3D%232%20%2FZ"
    assert call_of(row["dx_call"]) == ODD_CALL  # what the browser shows
    assert call_of(row["spotter"]) == "DK8NE"  # the station: no SSID or -#
    assert row["dx_call on QRZ.com"] == "https://www.qrz.com/db/VP8EVL%3Fx%3D1%26y%3D%232%20%2FZ"
    assert row["spotter on HamQTH"] == "https://www.hamqth.com/DK8NE"  # without SSID and -#
    assert_readable(at, 0)


def test_the_lookup_sites_come_from_the_setting(
    reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DXSPOTS_LOOKUP_URLS", "Club log=https://club.example/calls?c={call}")
    at = app(reader, monkeypatch).run()
    no_errors(at)
    shown = columns(at, 0)
    assert [name for name in shown if " on " in name] == ["dx_call on Club log",
                                                         "spotter on Club log"]  # fmt: skip
    link = table(at).iloc[0]["dx_call on Club log"]
    assert re.fullmatch(r"https://club\.example/calls\?c=[A-Z0-9%]+", link)


def test_the_dx_page_reads_as_words(odd_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with login_role(odd_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch, dx_call=ODD_CALL.split("?", maxsplit=1)[0])
        at.switch_page("views/dx.py").run()
    no_errors(at)
    calls = table(at, 0)
    assert list(columns(at, 0))[:3] == ["dx_call", "dx_call on QRZ.com", "dx_call on HamQTH"]
    assert_readable(at, 0)
    for bands in calls["bands"]:  # in band order, not as text
        names = bands.split(", ")
        order = ["160m", "80m", "60m", "40m", "30m", "20m", "17m", "15m", "12m", "10m", "6m"]
        assert names == sorted(names, key=order.index), bands
    [entities, *_] = at.get("vega_lite_chart")
    spec = json.loads(entities.proto.spec)
    assert spec["encoding"]["x"]["axis"] == {"format": "d", "tickMinStep": 1}
    assert spec["encoding"]["x"]["title"] == "spots"


def test_a_call_without_entity_reads_entity_unknown(
    odd_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with login_role(odd_dsn, "dxspots_reader") as dsn:
        at = app(dsn, monkeypatch)
        at.switch_page("views/dx.py").run()
        at.text_input[0].set_value("zl2ab").run()  # stored without entity and continent
    no_errors(at)
    assert "entity unknown" in [caption.value for caption in at.caption]  # no stray comma
    metrics = {metric.label: metric.value for metric in at.metric}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", metrics["First seen (UTC)"])
    buttons = at.get("link_button")
    assert [b.proto.url for b in buttons] == [
        "https://www.qrz.com/db/ZL2AB", "https://www.hamqth.com/ZL2AB",
    ]  # fmt: skip
    assert_readable(at, 1)  # its latest spots


def test_collector_tables_read_as_words(reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(reader, monkeypatch)
    at.switch_page("views/collector.py").run()
    no_errors(at)
    assert_readable(at, 0)
    assert_readable(at, 1)


def test_the_solar_indices_are_named_and_have_no_arrows(
    reader: str, spots_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(spots_dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO solar_reports (kind, report_time, reporter, received_at, raw, sfi,"
            " a_index, k_index) VALUES ('wcy', now() - '3 days'::interval, 'DK0WCY', now(),"
            " 'raw', 140, 12, 3)"
        )
    at = app(reader, monkeypatch)
    at.switch_page("views/propagation.py").run()
    no_errors(at)
    solar = [m for m in at.metric if m.label.startswith(("WWV", "WCY"))]
    assert len(solar) == 2
    assert all(m.proto.direction == Metric.MetricDirection.NONE for m in solar)  # no ▲
    solar_charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")[2:]]
    assert [spec["title"] for spec in solar_charts] == ["Solar flux (SFI)", "A index", "K index"]
    for spec in solar_charts:
        x = spec["encoding"]["x"]
        assert x["axis"]["format"] == "%d %b %H:%M"  # seven days: the date too
        assert x["scale"]["type"] == "utc"
        assert spec["encoding"]["y"]["axis"] == {"format": "d", "tickMinStep": 1}
    for heatmap in at.get("vega_lite_chart")[:2]:
        encoding = json.loads(heatmap.proto.spec)["encoding"]
        for axis in ("x", "y"):
            assert "_" not in encoding[axis]["title"], encoding[axis]


def test_one_time_format_on_chart_axes(reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`%H:%M` for a day or less, the date too beyond: the Live chart and the solar chart."""
    at = app(reader, monkeypatch).run()
    live = json.loads(at.get("vega_lite_chart")[0].proto.spec)["encoding"]["x"]["axis"]
    assert live["format"] == "%H:%M"
    at.switch_page("views/propagation.py").run()
    at.select_slider[2].set_value(1).run()
    no_errors(at)
    solar = json.loads(at.get("vega_lite_chart")[2].proto.spec)["encoding"]["x"]
    assert solar["axis"]["format"] == "%H:%M"
    start, end = (
        datetime(v["year"], v["month"], v["date"], v["hours"], v["minutes"], tzinfo=UTC)
        for v in solar["scale"]["domain"]
    )
    assert end - start == timedelta(days=1)

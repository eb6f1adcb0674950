"""The DX board, map and messages pages, run by Streamlit's AppTest against a real PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pandas as pd
import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.dxboard import NEW_MARK
from dashboard.palette import BAND_COLOURS
from dxspots.spot import Spot
from tests.conftest import REPO, login_role
from tests.e2e.apiprocess import free_port
from tests.spotset import all_rows, make_spots, store

APP = str(REPO / "dashboard" / "app.py")
HOSTILE = "**bold** <script>alert(1)</script> [click](https://e.vil) :red[x] $x^2$ <b>hi</b>"


def app(dsn: str, monkeypatch: pytest.MonkeyPatch, page: str) -> AppTest:
    """The dashboard against `dsn` on `page`, fresh caches."""
    for name in ("DXSPOTS_DATABASE_URL", "DXSPOTS_READ_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DXSPOTS_READ_DATABASE_URL", dsn)
    monkeypatch.setenv("DXSPOTS_DASHBOARD_REFRESH", "10")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(page)  # straight there: the default page does not run first
    return at.run()


def rerun(at: AppTest) -> AppTest:
    """Run the page again with fresh answers (the cache would repeat the last ones)."""
    st.cache_data.clear()
    return at.run()


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def calls(links: Any) -> list[str]:
    """The calls of a column of history links (`dx?dx_call=VP8PJ`)."""
    return [unquote(str(link).split("dx_call=", 1)[1]) for link in links]


def markdown_text(at: AppTest) -> str:
    blocks = [*at.markdown, *at.caption, *at.info, *at.warning, *at.title]
    return "\n".join(str(block.value) for block in blocks)


@pytest.fixture
def reader(db_dsn: str) -> Iterator[str]:
    with login_role(db_dsn, "dxspots_reader") as dsn:
        yield dsn


# Messages -------------------------------------------------------------------------------------


def add_message(dsn: str, kind: str, sender: str, text: str, sent: datetime, **more: Any) -> None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO announcements (kind, sender, recipient, text, sent_minute, sent_time,"
            " received_at, raw, node) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (kind, sender, more.get("recipient"), text, sent.replace(second=0, microsecond=0),
             more.get("sent_time", sent), sent, f"raw {text}", more.get("node", "dxspider")),
        )  # fmt: skip


@pytest.fixture
def messages_dsn(db_dsn: str) -> str:
    now = datetime.now(UTC)
    add_message(db_dsn, "all", "G4ABC", HOSTILE, now - timedelta(minutes=3))
    add_message(db_dsn, "talk", "DL1XX", "tnx qso", now - timedelta(minutes=10),
                recipient="G4ABC", node=None)  # fmt: skip
    add_message(db_dsn, "wx", "W1AW", "sunny 22C", now - timedelta(hours=2), sent_time=None)
    add_message(db_dsn, "local", "K1ABC", "meeting tonight", now - timedelta(hours=5))
    add_message(db_dsn, "all", "JA1ZZ", "yesterday's news", now - timedelta(days=2))
    return db_dsn


def test_messages_are_listed_newest_first_with_their_text_as_sent(
    messages_dsn: str, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch, "views/messages.py")
    no_errors(at)
    assert at.title[0].value == "Messages"
    shown = at.dataframe[0].value
    assert list(calls(shown["sender"])) == ["G4ABC", "DL1XX", "W1AW", "K1ABC"]  # not the old one
    assert list(shown["kind"]) == ["To ALL", "Talk", "WX", "To LOCAL"]
    assert shown["text"][0] == HOSTILE  # every character, as a table's plain text
    # Both calls open their history; only the sender has the lookup sites beside it.
    assert ["" if pd.isna(link) else link for link in shown["recipient"]] == [
        "",
        "dx?dx_call=G4ABC",
        "",
        "",
    ]
    assert "sender on QRZ.com" in shown.columns and "recipient on QRZ.com" not in shown.columns
    assert list(shown["node"]) == ["dxspider", "", "dxspider", "dxspider"]
    times = list(shown["time"])
    assert times == sorted(times, reverse=True) and all(t.tzinfo for t in times)
    page_text = markdown_text(at)
    assert "<script>" not in page_text and "**bold**" not in page_text


def test_messages_filter_by_kind_sender_and_window(
    messages_dsn: str, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch, "views/messages.py")
    at.multiselect(key="messages_kind").set_value(["announcement"]).run()
    no_errors(at)
    assert calls(at.dataframe[0].value["sender"]) == ["G4ABC", "K1ABC"]  # ALL and LOCAL
    at.multiselect(key="messages_kind").set_value(["talk", "wx"]).run()
    assert calls(at.dataframe[0].value["sender"]) == ["DL1XX", "W1AW"]
    at.multiselect(key="messages_kind").set_value([]).run()
    at.text_input(key="messages_sender").input("w1aw").run()  # any case
    assert calls(at.dataframe[0].value["sender"]) == ["W1AW"]
    at.text_input(key="messages_sender").input("").run()
    at.select_slider(key="messages_window").set_value("1 h").run()
    assert calls(at.dataframe[0].value["sender"]) == ["G4ABC", "DL1XX"]
    at.select_slider(key="messages_window").set_value("7 days").run()
    assert "JA1ZZ" in calls(at.dataframe[0].value["sender"])


def test_a_bad_sender_is_one_sentence_naming_it(
    messages_dsn: str, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch, "views/messages.py")
    at.text_input(key="messages_sender").input("[x](https://e.vil)").run()
    no_errors(at)
    (warning,) = [w.value for w in at.warning if "Not searched" in w.value]
    assert "sender" in warning and "](" not in warning  # quoted as text, not a link
    assert not at.dataframe


def test_no_messages_says_so(db_dsn: str, reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(reader, monkeypatch, "views/messages.py")
    no_errors(at)
    assert any("No messages" in info.value for info in at.info)


# DX board -------------------------------------------------------------------------------------


def test_the_board_has_one_row_per_station_and_band_and_marks_newcomers(
    db_dsn: str, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    store(db_dsn, make_spots(now))
    at = app(reader, monkeypatch, "views/board.py")
    no_errors(at)
    assert at.title[0].value == "DX board"
    board = at.dataframe[0].value
    rows = all_rows(db_dsn)
    # The window ends when the page ran and spot times are whole minutes: a minute's slack.
    inner = Counter(
        (r["dx_call"], r["band"]) for r in rows if r["spot_time"] > now - timedelta(minutes=29)
    )
    outer = Counter(
        (r["dx_call"], r["band"]) for r in rows if r["spot_time"] >= now - timedelta(minutes=31)
    )
    keys = list(zip(calls(board["dx_call"]), board["band"], strict=True))
    assert len(keys) == len(set(keys)) and set(inner) <= set(keys) <= set(outer)
    for key, spots in zip(keys, board["spots"], strict=True):
        assert inner[key] <= spots <= outer[key]
    assert list(board["last_seen"]) == sorted(board["last_seen"], reverse=True)
    assert set(board["new"]) == {""}  # the first look marks nothing
    spotters = {r["spotter_base"] for r in rows}  # by the base call, not `DK8NE-#`
    assert set(calls(board["latest_spotter"])) <= spotters  # the spotter opens its history too
    assert "dx_call on QRZ.com" in board.columns and "latest_spotter on QRZ.com" not in board
    assert not board.astype(str).isin(["None", "nan"]).any().any()

    heard = make_spots(now, count=1, seed=99)[0]._replace(
        dx_call="VP8NEW", band="20m", freq_khz=14021.0, snr_db=17,
        spot_time=now.replace(second=0, microsecond=0),
    )  # fmt: skip
    store(db_dsn, [heard])
    at = rerun(at)
    no_errors(at)
    board = at.dataframe[0].value
    marked = board[board["new"] == NEW_MARK]
    assert calls(marked["dx_call"]) == ["VP8NEW"] and list(marked["band"]) == ["20m"]
    assert calls(board["dx_call"])[0] == "VP8NEW"  # the latest heard first
    assert marked.iloc[0]["best_snr"] == "17 dB"
    assert any(f"1 new {NEW_MARK}" in c.value for c in at.caption)
    at = rerun(at)
    assert calls(at.dataframe[0].value.query("new != ''")["dx_call"]) == ["VP8NEW"]  # still


def test_the_board_follows_the_band_filter_and_a_new_view_marks_nothing(
    db_dsn: str, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(db_dsn, make_spots(datetime.now(UTC)))
    at = app(reader, monkeypatch, "views/board.py")
    at.sidebar.multiselect(key="filter_band").set_value(["40m"]).run()
    no_errors(at)
    board = at.dataframe[0].value
    assert len(board) > 0 and set(board["band"]) == {"40m"}
    assert set(board["new"]) == {""}
    at.select_slider(key="board_window").set_value("3 h").run()
    assert len(at.dataframe[0].value) > len(board)
    assert set(at.dataframe[0].value["new"]) == {""}


# Map ------------------------------------------------------------------------------------------

PLACES = {
    "G4ABC": (51.5, -0.1, "EU"), "JA1ZZ": (35.7, 139.7, "AS"), "VP8PJ": (-51.7, -57.9, "SA"),
    "KM3T-#": (42.4, -71.1, "NA"), "VK2DX": (-33.9, 151.2, "OC"),
}  # fmt: skip


def placed(now: datetime, minutes: int, call: str, spotter: str, band: str, freq: float) -> Spot:
    (d_lat, d_lon, d_cont), (s_lat, s_lon, s_cont) = PLACES[call], PLACES[spotter]
    return Spot(
        spot_time=(now - timedelta(minutes=minutes)).replace(second=0, microsecond=0),
        freq_khz=freq, dx_call=call, spotter=spotter, comment="", received_at=now,
        raw=f"DX de {spotter}: {freq} {call}", band=band, dx_lat=d_lat, dx_lon=d_lon,
        dx_continent=d_cont, spotter_lat=s_lat, spotter_lon=s_lon, spotter_continent=s_cont,
        spotter_base=spotter.split("-", 1)[0], is_skimmer=spotter.endswith("-#"), source="dx",
    )  # fmt: skip


def vega_spec(at: AppTest) -> dict[str, Any]:
    (chart,) = at.get("vega_lite_chart")
    spec: dict[str, Any] = json.loads(chart.proto.spec)
    return spec


def layer_values(spec: dict[str, Any], layer: dict[str, Any]) -> Any:
    """A layer's inline data (GeoJSON and TopoJSON stay in the spec; Streamlit moves tables,
    such as the sun's point, to Arrow beside it: None for those)."""
    data = layer["data"]
    if "name" in data:
        return spec.get("datasets", {}).get(data["name"])
    return data.get("values")


def test_the_map_draws_the_world_the_night_and_one_line_per_path_by_band(
    db_dsn: str, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    spots = [
        placed(now, 2, "JA1ZZ", "G4ABC", "20m", 14020.0),
        placed(now, 3, "JA1ZZ", "G4ABC", "20m", 14021.0),  # the same path: one line, 2 spots
        placed(now, 5, "VP8PJ", "KM3T-#", "40m", 7010.0),
        placed(now, 8, "G4ABC", "VK2DX", "15m", 21010.0),
        placed(now, 90, "VP8PJ", "VK2DX", "10m", 28010.0),  # outside the 30 minutes
    ]
    nowhere = spots[0]._replace(dx_call="ZZ9ZZ", dx_lat=None, dx_lon=None, freq_khz=14030.0)
    # Off the globe (a broken country file's entry): one path row standing for two spots.
    off = [spots[0]._replace(dx_call="ZZ8ZZ", dx_lat=123.0, freq_khz=f) for f in (14040, 14041)]
    store(db_dsn, [*spots, nowhere, *off])
    at = app(reader, monkeypatch, "views/map.py")
    no_errors(at)
    assert at.title[0].value == "Map"
    spec = vega_spec(at)
    assert spec["projection"]["type"] == "equirectangular"
    layers = spec["layer"]
    outline = [ly for ly in layers if ly["data"].get("format", {}).get("type") == "topojson"]
    assert len(outline) == 1 and "land" in layer_values(spec, outline[0])["objects"]
    kinds = {
        values[0]["properties"]["layer"]
        for ly in layers
        if isinstance(values := layer_values(spec, ly), list)
        and values
        and "layer" in values[0].get("properties", {})
    }
    assert kinds == {"night", "terminator"}
    (paths,) = [ly for ly in layers if "stroke" in ly.get("encoding", {})]
    lines = layer_values(spec, paths)
    drawn = {(f["properties"]["band"], f["properties"]["spots"]) for f in lines}
    assert drawn == {("20m", 2), ("40m", 1), ("15m", 1)}
    assert len(lines) == 3
    scale = paths["encoding"]["stroke"]["scale"]
    assert scale["domain"] == ["40m", "20m", "15m"]
    assert scale["range"] == [BAND_COLOURS[b] for b in ("40m", "20m", "15m")]
    caption = " ".join(c.value for c in at.caption)
    assert "3 paths (4 spots)" in caption and "3 spots have no known position" in caption
    assert "http" not in json.dumps({k: v for k, v in spec.items() if k != "$schema"})

    at.sidebar.multiselect(key="filter_band").set_value(["40m"]).run()
    no_errors(at)
    (paths,) = [ly for ly in vega_spec(at)["layer"] if "stroke" in ly.get("encoding", {})]
    assert [f["properties"]["dx_call"] for f in layer_values(vega_spec(at), paths)] == ["VP8PJ"]


def test_the_map_without_spots_still_shows_the_world_and_says_why(
    db_dsn: str, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(reader, monkeypatch, "views/map.py")
    no_errors(at)
    spec = vega_spec(at)
    assert any(ly["data"].get("format", {}).get("type") == "topojson" for ly in spec["layer"])
    assert any("No spots with known positions" in info.value for info in at.info)


# Every new page --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["views/board.py", "views/map.py", "views/messages.py"])
def test_the_simulated_notice_is_on_the_new_pages(
    db_dsn: str, reader: str, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    with psycopg.connect(db_dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO node_status (node, host, port, logged_in, updated_at)"
            " VALUES ('simulator', '127.0.0.1', 7300, true, now())"
        )
    at = app(reader, monkeypatch, page)
    no_errors(at)
    assert any("Simulated spots" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["views/board.py", "views/map.py", "views/messages.py"])
def test_a_database_that_is_down_is_one_message_on_the_new_pages(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    info = psycopg.conninfo.conninfo_to_dict(db_dsn) | {"port": str(free_port())}
    dead = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    at = app(dead, monkeypatch, page)
    assert not at.exception
    assert len(at.error) == 1 and "not reachable" in at.error[0].value
    assert not at.dataframe and not at.get("vega_lite_chart")

"""The dashboard's time axes, call links and band colours, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pandas as pd
import pytest

from dashboard.calllinks import history_url, lookup_url
from dashboard.charts import MAX_TICKS, activity_chart, time_axis
from dashboard.mapchart import map_chart, path_features
from dashboard.palette import BAND_COLOURS

ENDS = [datetime(2026, 11, 30, 6, 0, tzinfo=UTC), datetime(2026, 11, 30, 6, 7, 35, tzinfo=UTC),
        datetime(2026, 12, 1, 0, 0, tzinfo=UTC)]  # fmt: skip


@pytest.mark.parametrize("until", ENDS)
@pytest.mark.parametrize("hours", [1, 3, 6, 12, 24, 72, 168, 744])
def test_tick_labels_never_repeat(until: datetime, hours: int) -> None:
    since = until - timedelta(hours=hours)
    axis = time_axis(since, until).to_dict()
    ticks = [
        datetime(v["year"], v["month"], v["date"], v["hours"], v["minutes"], tzinfo=UTC)
        for v in axis["values"]
    ]
    assert 3 <= len(ticks) <= MAX_TICKS
    assert all(since <= tick <= until for tick in ticks)
    labels = [tick.strftime(axis["format"]) for tick in ticks]
    assert len(set(labels)) == len(labels), labels
    assert axis["format"] == ("%H:%M" if hours <= 24 else "%d %b %H:%M")


@pytest.mark.parametrize(
    ("call", "history", "lookup"),
    [
        ("VP8PJ", "dx?dx_call=VP8PJ", "https://q.example/db/VP8PJ"),
        ("VP2V/W1ABC", "dx?dx_call=VP2V%2FW1ABC", "https://q.example/db/VP2V%2FW1ABC"),
        ("DK8NE-2-#", "dx?dx_call=DK8NE-2-%23", "https://q.example/db/DK8NE"),
        (
            "A?b=1&c #d",
            "dx?dx_call=A%3Fb%3D1%26c%20%23d",
            "https://q.example/db/A%3Fb%3D1%26c%20%23d",
        ),
    ],
)
def test_a_call_stays_one_call_in_its_links(call: str, history: str, lookup: str) -> None:
    assert history_url(call) == history
    assert unquote(history.split("=", 1)[1]) == call
    assert lookup_url("https://q.example/db/{call}", call) == lookup


def test_a_band_has_one_colour_in_the_live_chart_and_on_the_map() -> None:
    until = datetime(2026, 11, 30, 12, tzinfo=UTC)
    frame = pd.DataFrame(
        {"bucket": [until - timedelta(minutes=10)] * 3, "band": ["20m", "40m", "160m"],
         "mode": [None] * 3, "spots": [3, 2, 1], "dx_calls": [1, 1, 1]}
    )  # fmt: skip
    chart = activity_chart(frame, "band", since=until - timedelta(hours=1), until=until,
                           bucket_min=5).to_dict()  # fmt: skip
    scale = chart["encoding"]["color"]["scale"]
    assert scale["domain"] == ["160m", "40m", "20m"]  # frequency order
    assert scale["range"] == [BAND_COLOURS[b] for b in scale["domain"]]
    paths = pd.DataFrame(
        {"band": ["20m"], "spotter_lat": [51.5], "spotter_lon": [0.0], "dx_lat": [-51.7],
         "dx_lon": [-57.9], "spots": [2], "dx_calls": [1], "dx_call": ["VP8PJ"],
         "spotter": ["G4ABC"]}
    )  # fmt: skip
    layers = map_chart(path_features(paths), until).to_dict()["layer"]
    strokes = [layer["encoding"]["stroke"]["scale"] for layer in layers
               if "stroke" in layer.get("encoding", {})]  # fmt: skip
    assert strokes and strokes[0]["range"] == [BAND_COLOURS["20m"]]

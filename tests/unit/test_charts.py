"""The dashboard's time axes and call links, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from dashboard.calllinks import history_url, lookup_url
from dashboard.charts import MAX_TICKS, time_axis

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

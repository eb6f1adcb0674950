"""The Altair charts and the table settings the pages share. Data in, chart out: no queries.

One way to write a time on every page: `YYYY-MM-DD HH:mm` in tables, `%H:%M` on a chart's
axis that spans a day or less and `%d %b %H:%M` beyond, always UTC (the axes are UTC scales,
so a browser in another time zone shows the same labels). Counts are whole numbers on every
axis. Tables name their columns in words and leave missing values empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.calllinks import HISTORY_TEXT, base_call, history_url, lookup_url
from dashboard.palette import band_scale
from dxspots.bands import BAND_NAMES
from dxspots.queries.needed import NEEDED_WORDS as KIND_WORDS

BAND_ORDER = list(BAND_NAMES)
TABLE_TIME = "YYYY-MM-DD HH:mm"
"""Times in tables (UTC)."""
COUNT_AXIS: dict[str, Any] = {"format": "d", "tickMinStep": 1}
"""A count's axis: whole numbers only."""
TICK_STEPS_MIN = (5, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 4320, 10080)
MAX_TICKS = 8


def time_column(label: str) -> Any:
    return st.column_config.DatetimeColumn(label, format=TABLE_TIME)


COLUMNS: dict[str, Any] = {
    "spot_time": time_column("Time (UTC)"),
    "freq_khz": st.column_config.NumberColumn("kHz", format="%.1f"),
    "dx_call": st.column_config.TextColumn("DX"),
    "band": st.column_config.TextColumn("Band"),
    "mode": st.column_config.TextColumn("Mode"),
    "spotter": st.column_config.TextColumn("Spotter"),
    "is_skimmer": st.column_config.CheckboxColumn("Skimmer"),
    "snr_db": st.column_config.NumberColumn("SNR dB", format="%d"),
    "wpm": st.column_config.NumberColumn("WPM", format="%d"),
    "dx_entity": st.column_config.TextColumn("DX entity"),
    "dx_continent": st.column_config.TextColumn("DX cont."),
    "spotter_continent": st.column_config.TextColumn("Heard in"),
    "spotter_entity": st.column_config.TextColumn("Spotter's entity"),
    "comment": st.column_config.TextColumn("Comment"),
    "node": st.column_config.TextColumn("Node"),
    "spots": st.column_config.NumberColumn("Spots", format="%d"),
    "spotters": st.column_config.NumberColumn("Spotters", format="%d"),
    "dx_calls": st.column_config.NumberColumn("DX calls", format="%d"),
    "bands": st.column_config.TextColumn("Bands"),
    "first_spot": time_column("First spot (UTC)"),
    "last_spot": time_column("Last spot (UTC)"),
    "needed": st.column_config.TextColumn("Needed"),
}
"""Every column a table of spots or calls may show, in words (pages add their own)."""
NEEDED_WORDS = {kind: f"★ {words}" if kind == "entity" else words
                for kind, words in KIND_WORDS.items()}  # fmt: skip
"""How each kind of need reads in a table: the catalogue's words, a new one starred."""


def needed_text(kind: object) -> str:
    """A kind of need in words; empty for none."""
    return NEEDED_WORDS.get(kind, "") if isinstance(kind, str) else ""


SPOT_COLUMNS = {
    key: COLUMNS[key]
    for key in ("needed", "spot_time", "freq_khz", "dx_call", "band", "mode", "spotter",
                "is_skimmer",
                "snr_db", "wpm", "dx_entity", "dx_continent", "spotter_continent", "comment",
                "node")
}  # fmt: skip
"""The latest-spots table's columns, in order."""


SPOTTER_COLUMNS = frozenset({"spotter", "latest_spotter"})
"""Columns of spotters' names: their links go to the base call's history."""


def call_links(
    table: pd.DataFrame, lookups: Mapping[str, str], calls: Iterable[str] = ("dx_call", "spotter"),
    *, looked_up: Iterable[str] | None = None, labels: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:  # fmt: skip
    """Make each call in `table` a link to its history on the DX page, with a link to each
    lookup site (`DXSPOTS_LOOKUP_URLS`: name -> URL template) after it.

    Returns the table to show, its column settings (`COLUMNS` with the links) and the column
    order; the `calls` columns not in `table` are skipped. Only the `looked_up` columns (all
    the `calls` when not given) get the lookup sites' links, so a wide table can link every
    call without a pair of columns for each. `labels` names columns `COLUMNS` does not know.
    A call is outside text: it is URL-quoted in every link and shown as it is stored.
    """
    calls = tuple(calls)
    looked_up = calls if looked_up is None else tuple(looked_up)
    names = {column: spec["label"] for column, spec in COLUMNS.items()} | dict(labels or {})
    shown = table.copy()
    config = dict(COLUMNS)
    order: list[str] = []
    for column in table.columns:
        order.append(column)
        if column not in calls:
            continue
        values = table[column]
        label = names.get(column, column)
        # A spotter's name carries its SSID or skimmer suffix (`DK8NE-2-#`), never a DX
        # call: its history is the station's, by its base call.
        plain = base_call if column in SPOTTER_COLUMNS else str.strip
        shown[column] = [history_url(plain(call)) if _present(call) else None for call in values]
        config[column] = st.column_config.LinkColumn(label, display_text=HISTORY_TEXT)
        for name, template in lookups.items() if column in looked_up else ():
            key = f"{column} on {name}"
            shown[key] = [lookup_url(template, call) if _present(call) else None for call in values]
            text = name.replace("(", "[").replace(")", "]")  # brackets would make it a pattern
            config[key] = st.column_config.LinkColumn(
                name, display_text=text, width="small",
                help=f"Look up the call on {name}",
            )  # fmt: skip
            order.append(key)
    return shown, config, order


def _present(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def table(
    frame: pd.DataFrame, columns: list[str], lookups: Mapping[str, str],
    config: Mapping[str, Any] | None = None,
) -> None:  # fmt: skip
    """Show `columns` of `frame`: calls as links, columns named in words, gaps empty."""
    shown, settings, order = call_links(frame[columns], lookups)
    st.dataframe(
        shown, column_order=order, column_config={**settings, **(config or {})},
        hide_index=True, width="stretch", placeholder="",
    )  # fmt: skip


def spots_table(frame: pd.DataFrame, lookups: Mapping[str, str]) -> None:
    """The latest spots, with typed columns (and what each is for the log, when judged)."""
    if "needed" in frame.columns:
        frame = frame.assign(needed=frame["needed"].map(needed_text))
    table(frame, [column for column in SPOT_COLUMNS if column in frame.columns], lookups)


def draw(chart: alt.Chart | alt.FacetChart) -> None:
    """Show a chart across the page at the height it asks for."""
    height = getattr(chart, "height", None)
    if isinstance(height, int):
        st.altair_chart(chart, width="stretch", height=height)
    else:
        st.altair_chart(chart, width="stretch")


def _moment(when: datetime) -> alt.DateTime:
    return alt.DateTime(
        year=when.year, month=when.month, date=when.day, hours=when.hour,
        minutes=when.minute, seconds=when.second, utc=True,
    )  # fmt: skip


def time_axis(
    since: datetime, until: datetime, title: str | None = "UTC", max_ticks: int = MAX_TICKS
) -> alt.Axis:
    """An axis over `since`..`until` with at most `max_ticks` labels, none repeated: a tick
    every 15 min for an hour, every hour for six, ...; `%H:%M` for a day or less."""
    minutes = (until - since).total_seconds() / 60
    step = next((s for s in TICK_STEPS_MIN if minutes / s <= max_ticks), TICK_STEPS_MIN[-1])
    first = since.replace(second=0, microsecond=0)
    first -= timedelta(minutes=(first.hour * 60 + first.minute) % step)
    ticks = [first + timedelta(minutes=step * i) for i in range(int(minutes // step) + 2)]
    ticks = [t for t in ticks if since <= t <= until]
    if minutes <= 1440:  # `%H:%M` repeats after a day: a window of exactly one ends in it
        ticks = [t for t in ticks if t > until - timedelta(days=1)]
    return alt.Axis(
        values=[_moment(t) for t in ticks],
        format="%H:%M" if minutes <= 1440 else "%d %b %H:%M",
        title=title, labelOverlap=True, grid=True,
    )  # fmt: skip


def time_scale(since: datetime, until: datetime) -> alt.Scale:
    """A UTC time scale over exactly `since`..`until`."""
    return alt.Scale(type="utc", domain=[_moment(since), _moment(until)])


def activity_chart(
    frame: pd.DataFrame, stack: str, *, since: datetime, until: datetime, bucket_min: int
) -> alt.Chart:
    """Spots per bucket over the window, stacked by band (frequency order) or by mode; each
    bar fills its bucket (less a sliver between bars)."""
    order = BAND_ORDER if stack == "band" else sorted(frame[stack].dropna().unique())
    # By band: each band in its colour of every chart and the map.
    colours = band_scale(frame["band"].dropna()) if stack == "band" else alt.Undefined
    data = frame.assign(
        end=frame["bucket"] + timedelta(minutes=bucket_min * 0.92),
        time=frame["bucket"].dt.strftime("%H:%M"),
    )
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_bar(clip=True)
        .encode(
            x=alt.X("bucket:T", scale=time_scale(since, until), axis=time_axis(since, until)),
            x2="end:T",
            y=alt.Y("sum(spots):Q", title="spots", axis=alt.Axis(**COUNT_AXIS)),
            color=alt.Color(f"{stack}:N", sort=order, title=stack, scale=colours),
            tooltip=[
                alt.Tooltip("time:N", title="UTC"),
                f"{stack}:N",
                alt.Tooltip("sum(spots):Q", title="spots"),
            ],
        )
        .properties(height=320)
    )
    return chart


def heatmap(
    frame: pd.DataFrame, x: str, y: str, value: str, *, y_sort: list[str], titles: dict[str, str]
) -> alt.Chart:
    """A rect heatmap of `value` over `x` and `y`, each named by `titles`."""
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X(
                f"{x}:O",
                title=titles[x],
                scale=alt.Scale(domain=list(range(24))) if x == "hour" else alt.Undefined,
            ),
            y=alt.Y(f"{y}:N", sort=y_sort, title=titles[y], axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(
                f"{value}:Q",
                scale=alt.Scale(scheme="viridis"),
                title=titles[value],
                legend=alt.Legend(**COUNT_AXIS),
            ),
            tooltip=[
                alt.Tooltip(
                    f"{name}:{'O' if name == x else 'N' if name == y else 'Q'}", title=titles[name]
                )
                for name in (x, y, value)
            ],
        )
        .properties(height=90 + 30 * len(frame[y].unique()))  # axes count in the height
    )
    return chart


def bars(
    frame: pd.DataFrame, label: str, value: str, *, sort: list[str] | None = None,
    title: str = "spots",
) -> alt.Chart:  # fmt: skip
    """Horizontal bars of `value` per `label`, biggest first unless `sort` is given."""
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(**COUNT_AXIS)),
            y=alt.Y(f"{label}:N", sort=sort or "-x", title=None, axis=alt.Axis(labelOverlap=False)),
            tooltip=[alt.Tooltip(f"{label}:N", title=" "), alt.Tooltip(f"{value}:Q", title=title)],
        )
        .properties(height=70 + 26 * len(frame))  # axes count in the height
    )
    return chart


SOLAR_TITLES = {"sfi": "Solar flux (SFI)", "a_index": "A index", "k_index": "K index"}


def solar_chart(frame: pd.DataFrame, index: str, *, since: datetime, until: datetime) -> alt.Chart:
    """One of SFI, A and K (`index`: a column of the solar rows) over the window."""
    data = frame[["report_time", "kind", index]].dropna()
    data = data.assign(
        report=data["kind"].str.upper(), time=data["report_time"].dt.strftime("%Y-%m-%d %H:%M")
    )
    chart: alt.Chart = (
        alt.Chart(data, title=SOLAR_TITLES[index])
        .mark_line(point=True, clip=True)
        .encode(
            x=alt.X(
                "report_time:T",
                scale=time_scale(since, until),
                axis=time_axis(since, until, title=None, max_ticks=4),  # a third of the page
            ),
            y=alt.Y(f"{index}:Q", title=None, axis=alt.Axis(**COUNT_AXIS)),
            color=alt.Color("report:N", title="report", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("time:N", title="UTC"),
                "report:N",
                alt.Tooltip(f"{index}:Q", title=SOLAR_TITLES[index]),
            ],
        )
        .properties(height=180)
    )
    return chart

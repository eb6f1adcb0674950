"""The Altair charts and the table settings the pages share. Data in, chart out: no queries."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dxspots.bands import BAND_NAMES

BAND_ORDER = list(BAND_NAMES)
UTC_AXIS = alt.Axis(format="%H:%M", title="UTC")

SPOT_COLUMNS = {
    "spot_time": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm"),
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
    "comment": st.column_config.TextColumn("Comment"),
    "node": st.column_config.TextColumn("Node"),
}


def draw(chart: alt.Chart | alt.FacetChart) -> None:
    """Show a chart across the page at the height it asks for."""
    height = getattr(chart, "height", None)
    if isinstance(height, int):
        st.altair_chart(chart, width="stretch", height=height)
    else:
        st.altair_chart(chart, width="stretch")


def spots_table(table: pd.DataFrame) -> None:
    """The latest spots, with typed columns."""
    shown = [column for column in SPOT_COLUMNS if column in table.columns]
    st.dataframe(table[shown], column_config=SPOT_COLUMNS, hide_index=True, width="stretch")


def activity_chart(table: pd.DataFrame, stack: str) -> alt.Chart:
    """Spots per bucket, stacked by band (frequency order) or by mode."""
    order = BAND_ORDER if stack == "band" else sorted(table[stack].dropna().unique())
    chart: alt.Chart = (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X("bucket:T", axis=UTC_AXIS),
            y=alt.Y("sum(spots):Q", title="spots"),
            color=alt.Color(f"{stack}:N", sort=order, title=stack),
            tooltip=[alt.Tooltip("bucket:T", format="%H:%M UTC"), f"{stack}:N", "sum(spots):Q"],
        )
        .properties(height=320)
    )
    return chart


def heatmap(table: pd.DataFrame, x: str, y: str, value: str, *, y_sort: list[str]) -> alt.Chart:
    """A rect heatmap of `value` over `x` and `y`."""
    chart: alt.Chart = (
        alt.Chart(table)
        .mark_rect()
        .encode(
            x=alt.X(
                f"{x}:O",
                title=x.replace("_", " ") + (" (UTC)" if x == "hour" else ""),
                scale=alt.Scale(domain=list(range(24))) if x == "hour" else alt.Undefined,
            ),
            y=alt.Y(
                f"{y}:N",
                sort=y_sort,
                title=y.replace("_", " "),
                axis=alt.Axis(labelOverlap=False),
            ),
            color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="viridis"), title=value),
            tooltip=[x, y, value],
        )
        .properties(height=90 + 30 * len(table[y].unique()))  # axes count in the height
    )
    return chart


def bars(
    table: pd.DataFrame, label: str, value: str, *, sort: list[str] | None = None
) -> alt.Chart:
    """Horizontal bars of `value` per `label`, biggest first unless `sort` is given."""
    chart: alt.Chart = (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q"),
            y=alt.Y(f"{label}:N", sort=sort or "-x", title=None, axis=alt.Axis(labelOverlap=False)),
            tooltip=[label, value],
        )
        .properties(height=70 + 26 * len(table))  # axes count in the height
    )
    return chart


def solar_chart(table: pd.DataFrame) -> alt.Chart:
    """SFI, A and K over time, one panel each."""
    long = table.melt(
        id_vars=["report_time", "kind"], value_vars=["sfi", "a_index", "k_index"],
        var_name="index", value_name="value",
    ).dropna()  # fmt: skip
    chart: alt.Chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("report_time:T", axis=alt.Axis(format="%d %H:%M", title="UTC")),
            y=alt.Y("value:Q", title=None),
            color="kind:N",
        )
        .properties(height=140)
        .facet(row=alt.Row("index:N", title=None))
        .resolve_scale(y="independent")
    )
    return chart

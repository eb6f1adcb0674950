"""Propagation: which paths are open now, when each band opens over the day, the sun."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard import charts, data, notices
from dashboard.filters import CONTINENT_NAMES, spot_filters
from dashboard.guard import guarded
from dashboard.literal import literal
from dxspots.bands import band_order

PATH_TITLES = {"dx_continent": "DX continent", "spotter_continent": "Heard in", "spots": "spots"}
HOUR_TITLES = {"hour": "UTC hour of day", "band": "Band", "spots": "spots"}


def paths(filters: dict[str, object]) -> None:
    st.subheader("Open paths now: spotter's continent → DX continent")
    minutes = st.select_slider("Window (minutes)", [15, 30, 60, 120, 360, 1440], value=30)
    table = data.frame(data.query("paths", minutes=minutes, limit=1000, **filters))
    if table.empty:
        st.info("No spots with both continents known in this window.")
        return
    bands = sorted(table["band"].dropna().unique(), key=band_order)
    band = st.selectbox("Band", ["all bands", *bands])
    if band != "all bands":
        table = table[table["band"] == band]
    grouped = table.groupby(["spotter_continent", "dx_continent"], as_index=False)["spots"].sum()
    charts.draw(
        charts.heatmap(
            grouped, "dx_continent", "spotter_continent", "spots",
            y_sort=list(CONTINENT_NAMES), titles=PATH_TITLES,
        )
    )  # fmt: skip


def hours(filters: dict[str, object]) -> None:
    st.subheader("Band by UTC hour of day")
    days = st.select_slider("Over the last (days)", [1, 3, 7, 14, 31], value=7)
    table = data.frame(data.query("band_hour_heatmap", days=days, **filters))
    if table.empty:
        st.info("No spots in this window.")
        return
    order = sorted(table["band"].dropna().unique(), key=band_order)
    charts.draw(charts.heatmap(table, "hour", "band", "spots", y_sort=order, titles=HOUR_TITLES))


def solar() -> None:
    st.subheader("Solar and geomagnetic indices (WWV/WCY)")
    days = st.select_slider("Reports of the last (days)", [1, 3, 7, 14, 31], value=7)
    until = data.utc_now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    since = until - timedelta(days=days)
    page = data.query("solar", since=since.isoformat(), until=until.isoformat(), limit=2000)
    latest = page.extras.get("latest") or []
    columns = st.columns(max(1, len(latest)))
    for column, report in zip(columns, latest, strict=False):
        # Plain values: a metric's delta would draw an arrow, as if the index had risen.
        column.metric(
            f"{literal(report['kind'].upper())} {report['report_time']:%Y-%m-%d %H:%M} UTC",
            f"SFI {shown(report['sfi'])}",
            f"A {shown(report['a_index'])}, K {shown(report['k_index'])}",
            delta_color="off", delta_arrow="off",
        )  # fmt: skip
    table = data.frame(page)
    if table.empty:
        st.info("No WWV or WCY reports in this window (nodes send them hourly or three-hourly).")
        return
    for column, index in zip(st.columns(3), charts.SOLAR_TITLES, strict=True):
        with column:
            charts.draw(charts.solar_chart(table, index, since=since, until=until))


def shown(value: object) -> str:
    return "–" if value is None else str(value)


def page() -> None:
    st.title("Propagation")
    st.caption("All times UTC.")
    with guarded():
        notices.show()
        filters = spot_filters(bands=False)
        paths(filters)
        hours(filters)
        solar()


page()

"""DX: the most spotted entities and calls, and one call's history."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data
from dashboard.filters import spot_filters
from dashboard.guard import guarded
from dashboard.literal import literal
from dxspots.bands import band_order
from dxspots.queries import Page, ParameterError, read_params
from dxspots.queries.catalogue import CallsignParams


def top(filters: dict[str, object]) -> None:
    hours = st.select_slider("Window (hours)", [1, 3, 6, 12, 24, 72, 168], value=6)
    left, right = st.columns(2)
    entities = data.frame(
        data.query("top_dx", by="entity", minutes=hours * 60, limit=20, **filters)
    )
    calls = data.frame(data.query("top_dx", minutes=hours * 60, limit=20, **filters))
    with left:
        st.subheader("Most spotted entities")
        if entities.empty:
            st.info("No spots in this window.")
        else:
            charts.draw(charts.bars(entities, "dx_entity", "spots"))
    with right:
        st.subheader("Most spotted calls")
        if calls.empty:
            st.info("No spots in this window.")
        else:
            st.dataframe(
                calls[["dx_call", "dx_entity", "spots", "spotters", "bands", "last_spot"]],
                hide_index=True, width="stretch",
                column_config={"last_spot": charts.SPOT_COLUMNS["spot_time"]},
            )  # fmt: skip


def callsign() -> None:
    st.subheader("A callsign's history")
    call = st.text_input("Call", value=st.query_params.get("dx_call", ""), placeholder="VP8PJ")
    call = call.strip().upper()
    if not call:
        st.query_params.pop("dx_call", None)
        return
    try:
        read_params(CallsignParams, {"dx_call": call})
    except ParameterError as error:
        st.warning(f"{literal(error.message)}.")  # it quotes the call
        return
    st.query_params["dx_call"] = call
    page = data.query("callsign", dx_call=call, limit=100)
    summary = page.extras["summary"]
    if not summary["spots"]:
        st.info(f"{literal(call)} has not been spotted (in the stored spots).")
        return
    first, last, spots, spotters = st.columns(4)
    first.metric("First seen (UTC)", f"{summary['first_seen']:%Y-%m-%d %H:%M}")
    last.metric("Last seen (UTC)", f"{summary['last_seen']:%Y-%m-%d %H:%M}")
    spots.metric("Spots", summary["spots"])
    spotters.metric("Spotters", summary["spotters"])
    where = f"{summary['dx_entity'] or 'entity unknown'}, {summary['dx_continent'] or ''}"
    st.caption(literal(where))
    bands, modes, heard = st.columns(3)
    for column, part, title in (
        (bands, "bands", "Bands"), (modes, "modes", "Modes"),
        (heard, "spotter_continents", "Heard from"),
    ):  # fmt: skip
        table = data.frame(Page(page.extras[part]))
        table["value"] = table["value"].fillna("unknown")
        sort = sorted(table["value"], key=band_order) if part == "bands" else None
        with column:
            st.markdown(f"**{title}**")
            charts.draw(charts.bars(table, "value", "spots", sort=sort))
    st.markdown("**Latest spots**")
    charts.spots_table(data.frame(page))


def page() -> None:
    st.title("DX")
    st.caption("All times UTC.")
    with guarded():
        filters = spot_filters()
        top(filters)
        callsign()


page()

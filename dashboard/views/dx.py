"""DX: the most spotted entities and calls, and one call's history."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, notices
from dashboard.calllinks import lookup_url
from dashboard.filters import spot_filters
from dashboard.guard import guarded
from dashboard.literal import literal
from dashboard.logowner import log_owner
from dxspots.bands import band_order
from dxspots.queries import Page, ParameterError, read_params
from dxspots.queries.catalogue import CallsignParams

TABLE_TIME = "%Y-%m-%d %H:%M"


def top(filters: dict[str, object]) -> None:
    hours = st.select_slider("Window (hours)", [1, 3, 6, 12, 24, 72, 168], value=6)
    entities = data.frame(
        data.query("top_dx", by="entity", minutes=hours * 60, limit=20, **filters)
    )
    calls = data.frame(data.query("top_dx", minutes=hours * 60, limit=20, **filters))
    # The calls across the page: their links and times do not fit in half of it at 1280 px.
    st.subheader("Most spotted calls")
    if calls.empty:
        st.info("No spots in this window.")
    else:
        calls["bands"] = calls["bands"].str.replace(",", ", ")
        charts.table(
            calls, ["dx_call", "dx_entity", "spots", "spotters", "bands", "last_spot"],
            data.settings().lookup_urls,
        )  # fmt: skip
    st.subheader("Most spotted entities")
    if entities.empty:
        st.info("No spots with a known entity in this window.")
    else:
        charts.draw(charts.bars(entities, "dx_entity", "spots"))


def lookups(call: str) -> None:
    """A button per lookup site (`DXSPOTS_LOOKUP_URLS`) for `call`."""
    sites = data.settings().lookup_urls
    if not sites:
        return
    row = st.container(horizontal=True)
    for name, template in sites.items():
        row.link_button(
            f"{literal(name)} ↗", lookup_url(template, call), help=f"{literal(call)} on {name}"
        )


def callsign(owner: str | None = None) -> None:
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
    page = data.query("callsign", dx_call=call, limit=100, owner=owner)
    summary = page.extras["summary"]
    lookups(call)
    if not summary["spots"]:
        st.info(f"{literal(call)} has not been spotted (in the stored spots).")
        return
    # Each as wide as it needs (a date and time must not be cut at 1280 px), wrapping when
    # the page is narrower than the four.
    facts = st.container(horizontal=True, gap="large")
    facts.metric("First seen (UTC)", f"{summary['first_seen']:{TABLE_TIME}}", width="content")
    facts.metric("Last seen (UTC)", f"{summary['last_seen']:{TABLE_TIME}}", width="content")
    facts.metric("Spots", f"{summary['spots']:,}", width="content")
    facts.metric("Spotters", f"{summary['spotters']:,}", width="content")
    where = [summary["dx_entity"] or "entity unknown", summary["dx_continent"]]
    st.caption(literal(", ".join(part for part in where if part)))
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
    charts.spots_table(data.frame(page), data.settings().lookup_urls)


def page() -> None:
    st.title("DX")
    st.caption("All times UTC.")
    with guarded():
        notices.show()
        filters = spot_filters()
        owner = log_owner()
        top(filters)
        callsign(owner)


page()

"""Map: where the window's spots go, spotter to DX, coloured by band, over day and night.

Drawn in the browser from data in the page alone (the world outline ships with dxspots), so
it works on a server with no internet. The paths are the `map_paths` query's: spots grouped
by band and the two ends' positions, at most `LIMIT` lines, the busiest first.
"""

from __future__ import annotations

import streamlit as st

from dashboard import data, notices
from dashboard.filters import spot_filters
from dashboard.guard import guarded
from dashboard.logowner import log_owner
from dashboard.mapchart import PATH_COLUMNS, map_chart, path_features

WINDOWS = {"15 min": 15, "30 min": 30, "1 h": 60, "3 h": 180, "6 h": 360, "24 h": 1440}
LIMIT = 2000
REFRESH_AT_LEAST_S = 60.0  # the night moves a quarter degree a minute
# (Comments, not docstrings, below the module's: Streamlit prints a bare string in a page.)


def paths(filters: dict[str, object], minutes: int, owner: str | None = None) -> None:
    now = data.utc_now()
    page = data.query("map_paths", minutes=minutes, limit=LIMIT, owner=owner, **filters)
    table = data.frame(page, PATH_COLUMNS + (["needed"] if owner else []))
    features = path_features(table)
    drawn = len(features)
    spots = sum(int(feature["properties"]["spots"]) for feature in features)
    st.altair_chart(map_chart(features, now), width="stretch")
    totals = page.extras.get("totals") or {}
    # Spots, not paths: a row left out for impossible ends may stand for many spots.
    unusable = int(table["spots"].sum()) - spots if not table.empty else 0
    left_out = int(totals.get("left_out") or 0) + unusable
    unplaced = (
        f" {left_out} spot has no known position and is not drawn."
        if left_out == 1
        else f" {left_out} spots have no known position and are not drawn."
        if left_out
        else ""
    )
    if table.empty:
        st.info(
            "No spots with known positions in this window with these filters (positions come "
            f"from the country file).{unplaced}"
        )
        return
    more = f", the {LIMIT} busiest shown" if len(table) >= LIMIT else ""
    if owner and any(feature["properties"]["needed"] for feature in features):
        more += f"; ◆ marks where a station {owner}'s log needs is"
    st.caption(
        f"{drawn} paths ({spots} spots){more}.{unplaced} Night shaded, the day/night line in "
        f"grey and the sun's point for {now:%H:%M} UTC. Ends are the entities' positions from "
        "the country file, not the stations' own."
    )


def page() -> None:
    st.title("Map")
    with guarded():
        notices.show()
        filters = spot_filters()
        owner = log_owner()
        window = st.select_slider("Window", list(WINDOWS), value="30 min", key="map_window")
        every = max(data.settings().dashboard_refresh, REFRESH_AT_LEAST_S)

        @st.fragment(run_every=every)
        def live() -> None:
            with guarded():
                paths(filters, WINDOWS[str(window)], owner)

        live()


page()

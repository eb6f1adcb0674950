"""Needed: what is on the air now that your log needs, new ones first, by entity."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import charts, data, notices
from dashboard.filters import spot_filters
from dashboard.guard import guarded
from dashboard.logowner import log_owner

WINDOWS = {"15 min": 15, "30 min": 30, "1 h": 60, "3 h": 180, "6 h": 360, "12 h": 720,
           "24 h": 1440}  # fmt: skip
LIMIT = 500
COLUMNS = ["needed", "dx_entity", "dx_call", "band", "mode", "freq_khz", "spotters", "spots",
           "last_spot", "comment"]  # fmt: skip
NO_LOG = (
    "No log imported yet. Import yours with `dxspots log import mylog.adi --owner YOURCALL` "
    "(ADIF from your logger, LoTW or Club Log; docs/logs.md), and this page lists what is on "
    "the air that you still need."
)


def needed_table(owner: str, filters: dict[str, Any], minutes: int) -> None:
    page = data.query("needed", owner=owner, minutes=minutes, limit=LIMIT, **filters)
    table = data.frame(page)
    if table.empty:
        st.info("Nothing on the air in this window that this log needs.")
        return
    counts = table["needed"].value_counts()
    parts = [f"{counts[kind]} {words}" for kind, words in charts.NEEDED_WORDS.items()
             if kind in counts]  # fmt: skip
    more = f" (calls and bands; the first {LIMIT} shown)" if len(table) >= LIMIT else ""
    st.caption(", ".join(parts) + more)
    shown = table[COLUMNS].assign(needed=table["needed"].map(charts.needed_text))
    shown["mode"] = shown["mode"].fillna(table["mode_class"].str.lower())
    charts.table(
        pd.DataFrame(shown), COLUMNS, data.settings().lookup_urls,
        config={"needed": st.column_config.TextColumn("Needed"),
                "dx_entity": st.column_config.TextColumn("Entity")},
    )  # fmt: skip


def page() -> None:
    st.title("Needed")
    st.caption(
        "What is on the air that your log needs: ★ new one (an entity never worked), a new "
        "band or mode (CW, phone, data) for the entity, or one to confirm. All times UTC."
    )
    with guarded():
        notices.show()
        filters = spot_filters()
        owner = log_owner()
        if owner is None:
            st.info(NO_LOG)
            return
        window = st.select_slider("Window", list(WINDOWS), value="30 min", key="needed_window")
        refresh = data.settings().dashboard_refresh

        @st.fragment(run_every=refresh)
        def live() -> None:
            with guarded():
                needed_table(owner, filters, WINDOWS[str(window)])
                st.caption(f"Updated {data.utc_now():%H:%M:%S} UTC, every {refresh:.0f} s.")

        live()


page()

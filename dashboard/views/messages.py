"""Messages: the announcements, talk and WX the nodes broadcast, newest first.

Strangers' text: it is shown only in the table, which shows plain text (a message's Markdown
or HTML stays characters), and any of it quoted elsewhere goes through `literal`. The table
reruns every `DXSPOTS_DASHBOARD_REFRESH` seconds.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import charts, data, notices
from dashboard.guard import guarded
from dashboard.literal import literal
from dxspots.queries import ParameterError

KINDS = {"announcement": "Announcements", "talk": "Talk", "wx": "WX"}
# How each stored kind reads in the table. (Comments, not docstrings, below the module's:
# Streamlit prints a bare string in a page.)
STORED_KINDS = {"all": "To ALL", "local": "To LOCAL", "talk": "Talk", "wx": "WX"}
WINDOWS = {"1 h": 60, "6 h": 360, "24 h": 1440, "3 days": 4320, "7 days": 10080}
LIMIT = 500
COLUMNS = ["kind", "sender", "recipient", "text", "sent_time", "received_at", "node"]
COLUMN_CONFIG = {
    "time": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm"),
    "kind": st.column_config.TextColumn("Kind"),
    "text": st.column_config.TextColumn("Message", width="large"),
    "node": st.column_config.TextColumn("Node"),
}


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The messages as displayed: one time (the line's own, else when it arrived), no "None"."""
    out = pd.DataFrame(
        {
            "time": table["sent_time"].fillna(table["received_at"]),
            "kind": table["kind"].map(lambda kind: STORED_KINDS.get(kind, kind)).fillna(""),
            "sender": table["sender"].fillna(""),
            "recipient": table["recipient"].fillna(""),
            "text": table["text"].fillna(""),
            "node": table["node"].fillna(""),
        }
    )
    return out


def messages(params: dict[str, Any]) -> None:
    try:
        page = data.query("messages", limit=LIMIT, **params)
    except ParameterError as error:  # the sender box: say what is wrong with it, as text
        st.warning(f"Not searched: {literal(error)}")
        return
    table = data.frame(page, COLUMNS)
    if table.empty:
        st.info("No messages in this window with these choices.")
        return
    more = f" (the newest {LIMIT})" if len(table) >= LIMIT else ""
    st.caption(f"{len(table)} messages{more}, newest first.")
    lookups = data.settings().lookup_urls
    linked, config, order = charts.call_links(
        shown(table), lookups, calls=("sender", "recipient"), looked_up=("sender",),
        labels={"sender": "From", "recipient": "To"},
    )  # fmt: skip
    st.dataframe(
        linked, column_order=order, column_config={**config, **COLUMN_CONFIG},
        hide_index=True, width="stretch", placeholder="",
    )  # fmt: skip


def page() -> None:
    st.title("Messages")
    st.caption(
        "Announcements (To ALL / LOCAL), talk and WX reports the cluster nodes sent, newest "
        "first, shown exactly as sent. All times UTC."
    )
    with guarded():
        notices.show()
        left, middle, right = st.columns([2, 1, 2])
        kinds = left.multiselect(
            "Kinds",
            list(KINDS),
            format_func=KINDS.__getitem__,
            placeholder="All kinds",
            key="messages_kind",
        )
        sender = middle.text_input(
            "From (call)", placeholder="G4ABC", max_chars=20, key="messages_sender"
        )
        window = right.select_slider("Window", list(WINDOWS), value="24 h", key="messages_window")
        params: dict[str, Any] = {"kind": kinds, "minutes": WINDOWS[str(window)]}
        if sender.strip():
            params["sender"] = sender.strip().upper()
        refresh = data.settings().dashboard_refresh

        @st.fragment(run_every=refresh)
        def live() -> None:
            with guarded():
                messages(params)
                st.caption(f"Updated {data.utc_now():%H:%M:%S} UTC, every {refresh:.0f} s.")

        live()


page()

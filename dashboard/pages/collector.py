"""Collector: what each node is doing, as the collector last wrote it."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.guard import guarded

STALE_S = 60


def page() -> None:
    st.title("Collector")
    st.caption("All times UTC. The collector writes each node's status every 10 s.")
    with guarded():
        table = data.frame(data.query("nodes"))
        if table.empty:
            st.info(
                "No collector has reported yet. Start one with `dxspots collect` (or "
                "`dxspots up`); its nodes appear here within seconds."
            )
            return
        now = data.utc_now()
        table["state"] = [
            "stale (collector silent)" if (now - updated).total_seconds() > STALE_S
            else ("logged in" if logged_in else "connecting")
            for updated, logged_in in zip(table["updated_at"], table["logged_in"], strict=True)
        ]  # fmt: skip
        up = int((table["state"] == "logged in").sum())
        st.metric("Nodes logged in", f"{up} of {len(table)}")
        st.dataframe(
            table[["node", "state", "software", "host", "port", "connected_since",
                   "last_line_at", "lines", "spots", "rejects", "reconnects", "last_error",
                   "updated_at"]],
            hide_index=True, width="stretch",
            column_config={
                "connected_since": st.column_config.DatetimeColumn("Connected since (UTC)"),
                "last_line_at": st.column_config.DatetimeColumn("Last line (UTC)"),
                "updated_at": st.column_config.DatetimeColumn("Reported (UTC)"),
            },
        )  # fmt: skip


page()

"""Collector: what each node is doing, and each collector's spool, as they last wrote them.

The collector writes these every 10 s; this page rereads them every refresh.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.guard import guarded
from dxspots.db.nodestatus import SILENT_AFTER_S
from dxspots.queries import Page


def nodes_table(table: pd.DataFrame) -> None:
    now = data.utc_now()
    table["state"] = [
        "stale (collector silent)" if (now - updated).total_seconds() > SILENT_AFTER_S
        else ("logged in" if logged_in else "connecting")
        for updated, logged_in in zip(table["updated_at"], table["logged_in"], strict=True)
    ]  # fmt: skip
    up = int((table["state"] == "logged in").sum())
    st.metric("Nodes logged in", f"{up} of {len(table)}")
    st.dataframe(
        table[["node", "state", "software", "host", "port", "lines_per_minute", "connected_since",
               "last_line_at", "lines", "spots", "rejects", "reconnects", "last_error",
               "updated_at"]],
        hide_index=True, width="stretch",
        column_config={
            "lines_per_minute": st.column_config.NumberColumn("Lines/min", format="%.1f"),
            "connected_since": st.column_config.DatetimeColumn("Connected since (UTC)"),
            "last_line_at": st.column_config.DatetimeColumn("Last line (UTC)"),
            "updated_at": st.column_config.DatetimeColumn("Reported (UTC)"),
        },
    )  # fmt: skip


def collectors_table(table: pd.DataFrame) -> None:
    st.subheader("Collectors")
    table["spool"] = [f"{size / 1e6:,.1f} MB" if size else "empty" for size in table["spool_bytes"]]
    st.dataframe(
        table[["collector", "started_at", "spool", "queue_lines", "lines", "lost_lines",
               "updated_at"]],
        hide_index=True, width="stretch",
        column_config={
            "started_at": st.column_config.DatetimeColumn("Started (UTC)"),
            "queue_lines": st.column_config.NumberColumn("Queued lines"),
            "lost_lines": st.column_config.NumberColumn("Lost lines"),
            "updated_at": st.column_config.DatetimeColumn("Reported (UTC)"),
        },
    )  # fmt: skip
    if table["spool_bytes"].any():
        st.warning(
            "A spool is not empty: the database was away and batches wait on disk; they go "
            "in, oldest first, as soon as it answers."
        )


def page() -> None:
    st.title("Collector")
    st.caption("All times UTC. The collector reports every 10 s.")
    with guarded():
        refresh = data.settings().dashboard_refresh

        @st.fragment(run_every=refresh)
        def status() -> None:
            with guarded():
                page = data.query("nodes")
                if not page.items:
                    st.info(
                        "No collector has reported yet. Start one with `dxspots collect` (or "
                        "`dxspots up`); its nodes appear here within seconds."
                    )
                    return
                nodes_table(data.frame(page))
                collectors = page.extras.get("collectors") or []
                if collectors:
                    collectors_table(data.frame(Page(collectors)))

        status()


page()

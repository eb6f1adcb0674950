"""Alerts: the rules `dxspots alerts` runs and what it sent, read-only (the rules are the
sysop's file; this page never holds a channel's URL, only the service's name)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, notices
from dashboard.guard import guarded
from dxspots.queries.alertlog import OUTCOMES

WINDOWS = {"1 h": 60, "6 h": 360, "24 h": 1440, "7 days": 7 * 1440, "31 days": 31 * 1440}
LIMIT = 500
RULE_COLUMNS = ["name", "conditions", "channels", "cooldown_minutes"]
ALERT_COLUMNS = ["at", "rule", "outcome", "channel", "attempts", "dx_call", "freq_khz", "band",
                 "mode", "needed", "spot_time"]  # fmt: skip
NO_RULES = (
    "No alerts process has loaded rules yet. Write rules in `alerts.toml` (docs/alerts.md), "
    "check them with `dxspots alerts --check`, and run `dxspots alerts` (or its systemd unit "
    "or compose service): its rules and every alert it sends show here."
)


def rules_table() -> None:
    table = data.frame(data.query("alert_rules"))
    if table.empty:
        st.info(NO_RULES)
        return
    loaded = table["loaded_at"].max()
    st.caption(f"{len(table)} rules from {table['source'].iloc[0]}, loaded "
               f"{loaded:%Y-%m-%d %H:%M} UTC (restart `dxspots alerts` after editing the "
               "file).")  # fmt: skip
    st.dataframe(
        table[RULE_COLUMNS], hide_index=True, width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Rule"),
            "conditions": st.column_config.TextColumn("When a spot is", width="large"),
            "channels": st.column_config.TextColumn("Sent by"),
            "cooldown_minutes": st.column_config.NumberColumn("Cool-down (min)"),
        },
    )  # fmt: skip


def alerts_table(minutes: int) -> None:
    table = data.frame(data.query("alerts", minutes=minutes, limit=LIMIT))
    if table.empty:
        st.info("No alerts in this window.")
        return
    counts = table["outcome"].value_counts()
    more = f" (the latest {LIMIT} shown)" if len(table) >= LIMIT else ""
    st.caption(", ".join(f"{counts[o]} {o}" for o in OUTCOMES if o in counts) + more)
    shown = table[ALERT_COLUMNS].assign(needed=table["needed"].map(charts.needed_text))
    charts.table(
        pd.DataFrame(shown), ALERT_COLUMNS, data.settings().lookup_urls,
        config={"at": st.column_config.DatetimeColumn("Sent (UTC)", format="HH:mm:ss"),
                "outcome": st.column_config.TextColumn("Outcome"),
                "channel": st.column_config.TextColumn("Channel"),
                "attempts": st.column_config.NumberColumn("Tries"),
                "needed": st.column_config.TextColumn("Needed")},
    )  # fmt: skip


def page() -> None:
    st.title("Alerts")
    st.caption(
        "The alert rules `dxspots alerts` runs, and each alert it handed to a channel: sent, "
        "given up after its retries, dropped (the channel's queue was full) or abandoned (not "
        "sent when the process stopped). Read-only: the rules live in the sysop's file. All "
        "times UTC."
    )
    with guarded():
        notices.show()
        st.subheader("Rules")
        rules_table()
        st.subheader("Recent alerts")
        window = st.select_slider("Window", list(WINDOWS), value="24 h", key="alerts_window")
        alerts_table(WINDOWS[str(window)])


page()

"""Collector: what each node is doing, and each collector's spool, as they last wrote them.

The collector writes these every 10 s; this page rereads them every refresh. A collector that
lost lines within `LOSS_WINDOW_S` is "losing spots", one whose spool cannot take the next
batch "spool full": the same verdicts its `/healthz` gives. (While the database is away the
collector cannot report; its row says so once the database is back.)

When the dashboard reads from a streaming replica (docs/scaling.md), the page says so first,
with how far the replica is behind its primary.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, notices
from dashboard.guard import guarded
from dashboard.literal import literal
from dxspots.db.nodestatus import LOSS_WINDOW_S, SILENT_AFTER_S
from dxspots.queries import Page, ReplicationState, read_replication

REPLAY_STALE_S = 60.0
"""A replica whose last replayed change is older than this is cut off from its primary (the
collector writes its status every 10 s) or its primary has no collector writing."""


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
               "last_line_at", "lines", "spots", "rejects", "reconnects", "probes", "gaps_24h",
               "missed_24h", "last_gap_from", "last_gap_to", "last_error", "updated_at"]],
        hide_index=True, width="stretch", placeholder="",
        column_config={
            "node": st.column_config.TextColumn("Node"),
            "state": st.column_config.TextColumn("State"),
            "software": st.column_config.TextColumn("Software"),
            "host": st.column_config.TextColumn("Host"),
            "port": st.column_config.NumberColumn("Port", format="%d"),
            "lines_per_minute": st.column_config.NumberColumn("Lines/min", format="%.1f"),
            "connected_since": charts.time_column("Connected since (UTC)"),
            "last_line_at": charts.time_column("Last line (UTC)"),
            "lines": st.column_config.NumberColumn("Lines", format="%d"),
            "spots": st.column_config.NumberColumn("Spots", format="%d"),
            "rejects": st.column_config.NumberColumn("Rejected", format="%d"),
            "reconnects": st.column_config.NumberColumn("Reconnects", format="%d"),
            "probes": st.column_config.NumberColumn("Probes", format="%d", help="Quiet spells "
                                                    "the node was asked whether it is there"),
            "gaps_24h": st.column_config.NumberColumn("Gaps (24 h)", format="%d"),
            "missed_24h": st.column_config.NumberColumn("Missed (24 h, est.)", format="%d"),
            "last_gap_from": charts.time_column("Last gap from (UTC)"),
            "last_gap_to": charts.time_column("Last gap to (UTC)"),
            "last_error": st.column_config.TextColumn("Last error"),
            "updated_at": charts.time_column("Reported (UTC)"),
        },
    )  # fmt: skip
    gapped = table[table["gaps_24h"] > 0]
    if len(gapped):
        names = ", ".join(literal(node) for node in gapped["node"])
        st.warning(
            f"Spots were missed: after a reconnect, the history of {names} did not reach "
            "back to the last spot "
            f"stored, so about {int(gapped['missed_24h'].sum())} spots in the last 24 hours "
            "are not here (Last gap from/to). A node's `sh/dx` history holds only its latest "
            "spots: shorter outages, or a second node, close such gaps."
        )


def collector_state(row: pd.Series) -> str:
    """One collector's state, worst first."""
    now = data.utc_now()
    if (now - row["updated_at"]).total_seconds() > SILENT_AFTER_S:
        return "stale (collector silent)"
    lost_at = row.get("lost_at")
    losing = not pd.isna(lost_at) and (now - lost_at).total_seconds() <= LOSS_WINDOW_S
    full = bool(row.get("spool_full"))
    if losing:
        return "losing spots (spool full)" if full else "losing spots"
    if full:
        return "spool full"
    return "spooling" if row["spool_bytes"] else "ok"


def spool_text(size: int, cap: float) -> str:
    if not size:
        return "empty"
    if pd.isna(cap):  # a collector from before the cap was reported
        return f"{size / 1e6:,.1f} MB"
    return f"{size / 1e6:,.1f} of {cap / 1e6:,.1f} MB"


def collectors_table(table: pd.DataFrame) -> None:
    st.subheader("Collectors")
    table["state"] = [collector_state(row) for _, row in table.iterrows()]
    table["spool"] = [
        spool_text(size, cap)
        for size, cap in zip(table["spool_bytes"], table["spool_cap_bytes"], strict=True)
    ]
    st.dataframe(
        table[["collector", "state", "started_at", "spool", "queue_lines", "lines", "lost_lines",
               "lost_at", "updated_at"]],
        hide_index=True, width="stretch", placeholder="",
        column_config={
            "collector": st.column_config.TextColumn("Collector"),
            "state": st.column_config.TextColumn("State"),
            "started_at": charts.time_column("Started (UTC)"),
            "spool": st.column_config.TextColumn("Spool"),
            "queue_lines": st.column_config.NumberColumn("Queued lines", format="%d"),
            "lines": st.column_config.NumberColumn("Lines", format="%d"),
            "lost_lines": st.column_config.NumberColumn("Lost lines", format="%d"),
            "lost_at": charts.time_column("Last lost (UTC)"),
            "updated_at": charts.time_column("Reported (UTC)"),
        },
    )  # fmt: skip
    states = set(table["state"])
    if any(state.startswith("losing spots") for state in states):
        st.error(
            f"Spots are being lost: a collector lost lines in the last {LOSS_WINDOW_S // 60} "
            "minutes because the database was away and its spool was full (Lost lines, Last "
            "lost). Bring the database back, or give the spool more room "
            "(DXSPOTS_SPOOL_MAX_BYTES)."
        )
    elif "spool full" in states:
        st.error(
            "A collector's spool is full: if the database stays away, the next lines are lost. "
            "Bring the database back, or give the spool more room (DXSPOTS_SPOOL_MAX_BYTES)."
        )
    if table["spool_bytes"].any():
        st.warning(
            "A spool is not empty: the database was away and batches wait on disk; they go "
            "in, oldest first, as soon as it answers."
        )


def replica_panel(state: ReplicationState) -> None:
    """Say that the reads come from a replica, its lag, and whether it still follows."""
    st.subheader("Database replica")
    lag = "not known yet" if state.lag_seconds is None else f"{state.lag_seconds:,.1f} s"
    pending = state.replay_pending_bytes or 0
    replayed = "none yet"
    age = None
    if state.last_replayed_at is not None:
        age = (data.utc_now() - state.last_replayed_at).total_seconds()
        replayed = f"{max(age, 0):,.0f} s ago"
    left, middle, right = st.columns(3)
    left.metric("Replication lag", lag)
    middle.metric("WAL to replay", f"{pending / 1e6:,.1f} MB")
    right.metric("Last change replayed", replayed)
    if age is not None and age > REPLAY_STALE_S:
        st.warning(
            f"This dashboard reads from a replica whose last change from the primary is "
            f"{age:,.0f} s old: the replica may be cut off from its primary, or no collector "
            "writes there. What this page and the others show may be out of date."
        )
    else:
        st.caption(
            "This dashboard reads from a streaming replica of the collector's database: "
            "what it shows is as old as the lag."
        )


def page() -> None:
    st.title("Collector")
    st.caption("All times UTC. The collector reports every 10 s.")
    with guarded():
        refresh = data.settings().dashboard_refresh

        @st.fragment(run_every=refresh)
        def status() -> None:
            with guarded():
                notices.show()
                with data.connection() as conn:
                    replication = read_replication(conn)
                if replication.replica:
                    replica_panel(replication)
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

"""Export: pick a window and filters, see how many spots that is, download them as CSV.

The rows are the catalogue's `spots` query (the API's `/v1/spots.csv` with the same
parameters); past EXPORT_MAX rows the page gives the `dxspots export` command and the API
URL that return the whole set instead of a file too big for a browser download.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.filters import spot_filters
from dashboard.guard import guarded
from dashboard.links import api_csv_url, export_command
from dxspots.db.export import spots_frame
from dxspots.queries import fetch, plan
from dxspots.spreadsheet import frame_csv

EXPORT_MAX = 100_000


def window() -> tuple[datetime, datetime]:
    today = datetime.now(UTC).date()
    left, right = st.columns(2)
    start = left.date_input("From (UTC, inclusive)", today - timedelta(days=1))
    end = right.date_input("To (UTC, inclusive)", today)
    since = datetime.combine(start, time(), tzinfo=UTC)
    until = datetime.combine(end, time(), tzinfo=UTC) + timedelta(days=1)
    return since, until


def selected_spots(params: dict[str, Any]) -> pd.DataFrame:
    """The rows `/v1/spots.csv` gives for these parameters (newest first), typed."""
    planned = plan("spots", {**params, "limit": str(EXPORT_MAX)}, csv=True)
    with data.connection() as conn:
        page = fetch(conn, planned)
    return spots_frame(page.items)


def page() -> None:
    st.title("Export")
    st.caption("All times UTC. Every field of docs/fields.md, one row per spot.")
    with guarded():
        filters = spot_filters()
        since, until = window()
        if since >= until:
            st.warning("The window ends before it starts.")
            return
        params = {"since": since.isoformat(), "until": until.isoformat(), **filters}
        count = data.query("spot_count", **params).items[0]["spots"]
        st.metric("Spots in this selection", f"{count:,}")
        if count == 0:
            st.info("Nothing to export with this window and these filters.")
            return
        if count > EXPORT_MAX:
            st.warning(
                f"That is more than {EXPORT_MAX:,} rows, too many for a download here. The "
                "command line gives the whole set (CSV or Parquet), the API up to a million "
                "rows per request:"
            )
            st.code(export_command(params), language="bash")
            config = data.settings()
            base = f"http://{config.api_host}:{config.api_port}"
            st.code(f"curl -OJ '{api_csv_url(params, base)}'", language="bash")
            return
        selection = repr(sorted(params.items()))
        if st.session_state.get("export_for") != selection:
            # A file prepared for other dates or filters is not offered for these.
            for key in ("export_csv", "export_rows", "export_for"):
                st.session_state.pop(key, None)
        if st.button("Prepare the CSV", type="primary"):
            table = selected_spots(params)
            # Strangers' text that a spreadsheet would run gets a leading ' (docs/fields.md).
            st.session_state["export_csv"] = (frame_csv(table) or "").encode()
            st.session_state["export_rows"] = len(table)
            st.session_state["export_for"] = selection
        if "export_csv" in st.session_state:
            st.download_button(
                f"Download {st.session_state['export_rows']:,} spots (CSV)",
                st.session_state["export_csv"],
                file_name=f"dxspots-spots-{since:%Y%m%d}-{until:%Y%m%d}.csv",
                mime="text/csv",
            )


page()

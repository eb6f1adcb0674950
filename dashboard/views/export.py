"""Export: pick a window (dates and times, UTC) and filters, see how many spots that is,
download them as CSV or Parquet.

The file is what `dxspots export` writes for the same parameters (`dxspots.db.export`).
"Prepare" fixes the window's end (now, when it ends later), so the file, its name and the
count shown with it are of one moment: a window ending now would otherwise count spots that
arrived after the file was made. Past EXPORT_MAX rows the page gives the `dxspots export`
command and the API URL that return the whole set instead of a file too big for a browser
download.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from typing import Any

import streamlit as st

from dashboard import data, notices
from dashboard.filters import spot_filters
from dashboard.guard import guarded
from dashboard.links import api_csv_url, export_command
from dxspots.db.export import export_spots
from dxspots.queries import all_spots

EXPORT_MAX = 100_000
FORMATS = {"CSV": ("csv", "text/csv"), "Parquet": ("parquet", "application/vnd.apache.parquet")}
# Session state: the prepared file, its rows, end and name, and the selection it is for.
# (Comments, not docstrings: Streamlit would print a bare string in a page.)
PREPARED = "export_prepared"


def window() -> tuple[datetime, datetime]:
    """The window the user chose: from (inclusive) to (exclusive), UTC."""
    now = data.utc_now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    start, end = hour - timedelta(days=1), hour + timedelta(hours=1)
    from_day, from_time, to_day, to_time = st.columns([2, 1, 2, 1])
    step = timedelta(minutes=5)
    chosen = (
        from_day.date_input("From (UTC)", start.date(), key="export_from_day"),
        from_time.time_input("time", start.time(), key="export_from_time", step=step),
        to_day.date_input("To (UTC, not included)", end.date(), key="export_to_day"),
        to_time.time_input("time", end.time(), key="export_to_time", step=step),
    )
    since = datetime.combine(chosen[0], chosen[1] or time(), tzinfo=UTC)
    until = datetime.combine(chosen[2], chosen[3] or time(), tzinfo=UTC)
    return since, until


def file_name(since: datetime, until: datetime, extension: str) -> str:
    """`dxspots-spots-20261130T0700Z-20261130T1200Z.csv`: the window the file holds."""
    return f"dxspots-spots-{since:%Y%m%dT%H%MZ}-{until:%Y%m%dT%H%MZ}.{extension}"


def prepare(params: dict[str, Any], since: datetime, until: datetime, fmt: str) -> dict[str, Any]:
    """The file for the window, its end fixed at the minute begun now when it ends later."""
    now = data.utc_now().replace(second=0, microsecond=0)
    until = min(until, now)
    statement, _ = all_spots({**params, "since": since.isoformat(), "until": until.isoformat()})
    out = io.BytesIO()
    with data.connection() as conn:
        rows = export_spots(conn, statement, out, fmt)  # the same bytes as `dxspots export`
    name = file_name(since, until, fmt)
    return {"file": out.getvalue(), "rows": rows, "until": until, "name": name}


def page() -> None:
    st.title("Export")
    st.caption("All times UTC. Every field of docs/fields.md, one row per spot, oldest first.")
    with guarded():
        notices.show()
        filters = spot_filters()
        since, until = window()
        if since >= until:
            st.warning("The window ends before it starts: choose a later To or an earlier From.")
            return
        begun = data.utc_now().replace(second=0, microsecond=0)
        if since >= begun:  # a file holds whole minutes that have passed
            st.info(
                f"This window starts at {since:%Y-%m-%d %H:%M} UTC, which has not passed yet: "
                "choose an earlier From."
            )
            return
        label = st.radio("Format", list(FORMATS), horizontal=True, key="export_format")
        fmt, mime = FORMATS[label]
        params = {"since": since.isoformat(), "until": until.isoformat(), **filters}
        selection = repr((sorted(params.items()), fmt))
        prepared = st.session_state.get(PREPARED)
        if prepared is not None and prepared["for"] != selection:
            # A file prepared for another window, filters or format is not offered for these.
            st.session_state.pop(PREPARED)
            prepared = None
        if prepared is None:
            count = data.query("spot_count", **params).items[0]["spots"]
            st.metric("Spots in this selection now", f"{count:,}")
            if count == 0:
                st.info("Nothing to export with this window and these filters.")
                return
            if count > EXPORT_MAX:
                big_selection(params, count)
                return
        if st.button(f"Prepare the {label} file", type="primary"):
            prepared = prepare(filters, since, until, fmt) | {"for": selection}
            st.session_state[PREPARED] = prepared
            st.rerun()  # the count shown is then the file's
        if prepared is not None:
            st.metric(
                f"Spots in the file, up to {prepared['until']:%Y-%m-%d %H:%M} UTC",
                f"{prepared['rows']:,}",
            )
            st.download_button(
                f"Download {prepared['rows']:,} spots ({label})", prepared["file"],
                file_name=prepared["name"], mime=mime,
            )  # fmt: skip


def big_selection(params: dict[str, Any], count: int) -> None:
    st.warning(
        f"That is {count:,} spots, more than {EXPORT_MAX:,}: too many for a download here. "
        "The command line gives the whole set (CSV or Parquet), the API up to a million rows "
        "per request:"
    )
    st.code(export_command(params), language="bash")
    config = data.settings()
    base = f"http://{config.api_host}:{config.api_port}"
    st.code(f"curl -OJ '{api_csv_url(params, base)}'", language="bash")


page()

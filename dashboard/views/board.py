"""DX board: who is on the air now, one row per DX station and band, new ones marked.

The board reruns every `DXSPOTS_DASHBOARD_REFRESH` seconds; the rest of the page does not.
"""

from __future__ import annotations

import streamlit as st

from dashboard import data, notices
from dashboard.dxboard import NEW_FOR, NEW_MARK, board
from dashboard.filters import spot_filters
from dashboard.guard import guarded
from dashboard.logowner import log_owner

WINDOWS = {"5 min": 5, "15 min": 15, "30 min": 30, "1 h": 60, "3 h": 180, "6 h": 360,
           "12 h": 720, "24 h": 1440}  # fmt: skip


def page() -> None:
    st.title("DX board")
    st.caption(
        f"One row per DX station and band: how many heard it, first and last heard, the best "
        f"SNR and the latest comment. {NEW_MARK} marks a station new on the board (for "
        f"{NEW_FOR.seconds // 60} min). All times UTC."
    )
    with guarded():
        notices.show()
        filters = spot_filters()
        owner = log_owner()
        window = st.select_slider("Window", list(WINDOWS), value="30 min", key="board_window")
        refresh = data.settings().dashboard_refresh

        @st.fragment(run_every=refresh)
        def live() -> None:
            with guarded():
                board(filters, WINDOWS[str(window)], data.settings().lookup_urls, owner)
                st.caption(f"Updated {data.utc_now():%H:%M:%S} UTC, every {refresh:.0f} s.")

        live()


page()

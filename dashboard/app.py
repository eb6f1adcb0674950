"""The dashboard's entry point: `streamlit run dashboard/app.py` (what `dxspots dashboard` runs).

Every number on every page comes from the shared query catalogue (`dxspots/queries/`),
through `dashboard/data.py`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# The pages live in views/, not pages/: a pages/ folder beside this file is Streamlit's old
# page list, which it shows instead of this navigation to a first visitor who opens a page's
# own address (/dx) before anyone has opened /.
PAGES = Path(__file__).resolve().parent / "views"

# The tab's icon is a file served by the dashboard itself: a `:material/...:` icon there is
# fetched by the browser from Google's font servers, and a home server may be offline or private.
ICON = Path(__file__).resolve().parent / "icon.png"

st.set_page_config(page_title="dxspots", page_icon=str(ICON), layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "live.py", title="Live", icon=":material/sensors:", default=True),
        st.Page(PAGES / "board.py", title="DX board", icon=":material/view_list:"),
        st.Page(PAGES / "needed.py", title="Needed", icon=":material/star:"),
        st.Page(PAGES / "map.py", title="Map", icon=":material/map:"),
        st.Page(PAGES / "alerts.py", title="Alerts", icon=":material/notifications:"),
        st.Page(PAGES / "propagation.py", title="Propagation", icon=":material/public:"),
        st.Page(PAGES / "dx.py", title="DX", icon=":material/travel_explore:"),
        st.Page(PAGES / "messages.py", title="Messages", icon=":material/forum:"),
        st.Page(PAGES / "collector.py", title="Collector", icon=":material/lan:"),
        st.Page(PAGES / "export.py", title="Export", icon=":material/download:"),
    ]
)
navigation.run()

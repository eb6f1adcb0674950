"""The dashboard's entry point: `streamlit run dashboard/app.py` (what `dxspots dashboard` runs).

Every number on every page comes from the shared query catalogue (`dxspots/queries/`),
through `dashboard/data.py`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).resolve().parent / "pages"

st.set_page_config(page_title="dxspots", page_icon=":material/sensors:", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "live.py", title="Live", icon=":material/sensors:", default=True),
        st.Page(PAGES / "board.py", title="DX board", icon=":material/view_list:"),
        st.Page(PAGES / "map.py", title="Map", icon=":material/map:"),
        st.Page(PAGES / "propagation.py", title="Propagation", icon=":material/public:"),
        st.Page(PAGES / "dx.py", title="DX", icon=":material/travel_explore:"),
        st.Page(PAGES / "messages.py", title="Messages", icon=":material/forum:"),
        st.Page(PAGES / "collector.py", title="Collector", icon=":material/lan:"),
        st.Page(PAGES / "export.py", title="Export", icon=":material/download:"),
    ]
)
navigation.run()

"""Whose log the spots are judged against: chosen in the sidebar among the owners of imported
logs (`dxspots log import --owner`), kept for the session and in the address (`owner`, the
API's name), so a bookmark opens marked as it was. Nothing is shown while no log is imported."""

from __future__ import annotations

import psycopg
import streamlit as st

from dashboard import data

OWNER_STATE = "dxspots_owner"
NOBODY = "nobody"


def log_owner() -> str | None:
    """Draw the choice in the sidebar; return the owner chosen (None: mark nothing)."""
    try:
        owners = [str(row["owner"]) for row in data.query("log_owners").items]
    except psycopg.errors.UndefinedTable:  # a database not yet migrated to logs (0015)
        return None
    if not owners:
        return None
    given = st.query_params.get("owner", "").strip().upper()
    remembered = st.session_state.get(OWNER_STATE)
    callsign = (data.settings().callsign or "").upper()
    if given in owners:
        start = given
    elif remembered in owners or remembered == NOBODY:
        start = remembered
    elif callsign in owners:
        start = callsign
    else:
        start = owners[0]
    choices = [NOBODY, *owners]
    chosen = st.sidebar.selectbox(
        "Mark what this log needs", choices, index=choices.index(start), key="filter_owner",
        help="Spots are marked ★ new one (entity never worked), new band, new mode, or to "
        "confirm, from the log imported with `dxspots log import`.",
    )  # fmt: skip
    st.session_state[OWNER_STATE] = chosen
    if chosen == NOBODY:
        st.query_params.pop("owner", None)
        return None
    if st.query_params.get("owner") != chosen:
        st.query_params["owner"] = chosen
    return str(chosen)

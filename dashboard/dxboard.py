"""The DX board: one row per DX station and band, as DXers read a cluster, new ones marked.

Its own module so that a page can draw it beside other parts (the DX board page does; the
Live page could too): `board(filters, minutes)` draws it, `mark_new` is its memory.

A row is new when its station and band were not on the board the previous time this browser
session drew it (with the same filters and window); it stays marked for `NEW_FOR`, so a
refresh every few seconds does not blink it away. The first drawing marks nothing: every row
was there before the reader came.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import charts, data

NEW_FOR = timedelta(minutes=5)
NEW_MARK = "●"
LIMIT = 500
STATE_KEY = "dx_board_sightings"
BOARD_COLUMNS = [
    "dx_call", "band", "freq_khz", "mode", "dx_entity", "dx_continent", "spots", "spotters",
    "first_seen", "last_seen", "best_snr", "latest_comment", "latest_spotter",
    "is_skimmer_only",
]  # fmt: skip
SHOWN_ORDER = [
    "new", "dx_call", "band", "freq_khz", "mode", "spotters", "spots", "first_seen",
    "last_seen", "best_snr", "latest_comment", "latest_spotter", "dx_entity", "dx_continent",
    "is_skimmer_only",
]  # fmt: skip
# What a DXer reads first, first: at 1280 px the entity and what follows may need a scroll.
VISIBLE_ROWS = 20
TEXT_COLUMNS = ["mode", "dx_entity", "dx_continent", "latest_comment", "latest_spotter"]
COLUMN_CONFIG = {
    "new": st.column_config.TextColumn(
        "New",
        width="small",
        help=f"Not on the board before; marked for {NEW_FOR.seconds // 60} min",
    ),
    "band": st.column_config.TextColumn("Band"),
    "freq_khz": st.column_config.NumberColumn("kHz", format="%.1f"),
    "mode": st.column_config.TextColumn("Mode"),
    "dx_entity": st.column_config.TextColumn("Entity"),
    "dx_continent": st.column_config.TextColumn("Cont."),
    "spots": st.column_config.NumberColumn("Spots", format="%d"),
    "spotters": st.column_config.NumberColumn("Heard by", format="%d", help="Distinct spotters"),
    "first_seen": st.column_config.DatetimeColumn("First (UTC)", format="HH:mm"),
    "last_seen": st.column_config.DatetimeColumn("Last (UTC)", format="HH:mm"),
    "best_snr": st.column_config.TextColumn("Best SNR", help="Highest SNR reported (skimmers)"),
    "latest_comment": st.column_config.TextColumn("Latest comment"),
    "latest_spotter": st.column_config.TextColumn("Latest spotter"),
    "is_skimmer_only": st.column_config.CheckboxColumn("Skimmers only"),
    "needed": st.column_config.TextColumn("Needed", help="What it is for the log chosen"),
}


@dataclass(frozen=True)
class Sightings:
    """When this session first saw each (DX call, band) on the board, for one view.

    `None` for the rows that were there when the view was first drawn.
    """

    view: str
    noticed: dict[tuple[str, str], datetime | None] = field(default_factory=dict)


def mark_new(
    table: pd.DataFrame, before: Sightings | None, view: str, now: datetime
) -> tuple[list[bool], Sightings]:
    """Return which rows of `table` are new, and the sightings to keep for the next drawing.

    `view` names the filters and window: a changed view starts over (nothing new). Keys that
    left the board are forgotten, so the memory never outgrows the board; one that comes back
    is new again.
    """
    keys = list(zip(table["dx_call"].astype(str), table["band"].astype(str), strict=True))
    if before is None or before.view != view:
        return [False] * len(keys), Sightings(view, dict.fromkeys(keys))
    noticed = {key: before.noticed.get(key, now) for key in keys}
    new = [(at := noticed[key]) is not None and now - at < NEW_FOR for key in keys]
    return new, Sightings(view, noticed)


def shown(table: pd.DataFrame, new: list[bool]) -> pd.DataFrame:
    """The board as displayed: a `new` mark first, no "None" in empty cells."""
    out = table[BOARD_COLUMNS].copy()
    out["new"] = [NEW_MARK if flag else "" for flag in new]
    for column in TEXT_COLUMNS:
        out[column] = out[column].fillna("")
    out["best_snr"] = ["" if pd.isna(value) else f"{int(value)} dB" for value in table["best_snr"]]
    if "needed" not in table.columns:
        return out[SHOWN_ORDER]
    out["needed"] = table["needed"].map(charts.needed_text)
    return out[[SHOWN_ORDER[0], "needed", *SHOWN_ORDER[1:]]]


def board(
    filters: dict[str, Any], minutes: int, lookups: Mapping[str, str], owner: str | None = None
) -> None:
    """Draw the board for the last `minutes` with the spot filters (a refreshing part calls
    it); each DX call links to its history and to the `lookups` sites; with `owner`, each row
    says what it is for that log."""
    page = data.query("dx_board", minutes=minutes, limit=LIMIT, owner=owner, **filters)
    table = data.frame(page, BOARD_COLUMNS + (["needed"] if owner else []))
    view = repr((sorted(filters.items()), minutes))
    new, sightings = mark_new(table, st.session_state.get(STATE_KEY), view, data.utc_now())
    st.session_state[STATE_KEY] = sightings
    if table.empty:
        st.info("No spots in this window with these filters.")
        return
    fresh = sum(new)
    st.caption(
        f"{len(table)} stations and bands, latest heard first"
        + (f"; {fresh} new {NEW_MARK}" if fresh else "")
        + (f" (the {LIMIT} most recent shown)" if len(table) >= LIMIT else "")
    )
    linked, config, order = charts.call_links(
        shown(table, new), lookups, calls=("dx_call", "latest_spotter"), looked_up=("dx_call",),
        labels={"latest_spotter": "Latest spotter"},
    )  # fmt: skip
    settings = {k: v for k, v in COLUMN_CONFIG.items() if k != "latest_spotter"}
    st.dataframe(
        linked, column_order=order, column_config={**config, **settings},
        hide_index=True, width="stretch", placeholder="",
        height=38 + 35 * min(len(table), VISIBLE_ROWS),
    )  # fmt: skip

"""The spot filters in the sidebar, kept in the address bar so a view can be bookmarked.

The names in the query string are the API's (`band`, `mode`, `spotter_continent`...), so a
dashboard address and an API URL read the same. Values from the address are checked by the
catalogue like any other input; a bad one is reported (as text: the report quotes it, and a
crafted link must not put Markdown on the page) and dropped, never an error page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.literal import literal
from dxspots.bands import HF_BANDS
from dxspots.modes import MODES
from dxspots.queries import ParameterError, SpotFilters, read_params
from dxspots.queries.params import CONTINENTS

CONTINENT_NAMES = {
    "AF": "Africa", "AN": "Antarctica", "AS": "Asia", "EU": "Europe",
    "NA": "North America", "OC": "Oceania", "SA": "South America",
}  # fmt: skip
BAND_CHOICES = [*HF_BANDS, "6m", "4m", "2m", "70cm", "23cm"]
SKIMMER_CHOICES = {"all": None, "skimmers only": "true", "humans only": "false"}
LIST_KEYS = ("band", "mode", "spotter_continent", "dx_continent")


def _from_address() -> dict[str, Any]:
    """The filters in the query string, as the catalogue reads them (`20M,40m` is 20m and
    40m, `USB` is SSB, `eu` is EU); a value it refuses is reported and left out."""
    raw: dict[str, Any] = {key: st.query_params.get_all(key) for key in LIST_KEYS}
    for key in ("skimmer", "dx_prefix"):
        if key in st.query_params:
            raw[key] = st.query_params[key]
    good: dict[str, Any] = {}
    for key, value in raw.items():
        if not value:
            continue
        try:
            read = getattr(read_params(SpotFilters, {key: value}), key)
        except ParameterError as error:
            st.sidebar.warning(f"Ignored from the address: {literal(error)}")
            continue
        if key == "skimmer":
            good[key] = "true" if read else "false"
        elif key == "dx_prefix":
            good[key] = ",".join(read)
        else:
            good[key] = list(read)
    return good


def _write_address(key: str) -> None:
    value = st.session_state[f"filter_{key}"]
    if key == "skimmer":
        value = SKIMMER_CHOICES[value]
    if key == "dx_prefix":
        value = value.strip().upper() or None
    if value in (None, [], ""):
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = value


def spot_filters(*, bands: bool = True) -> dict[str, Any]:
    """Draw the filters in the sidebar; return them as catalogue parameters."""
    given = _from_address()
    side = st.sidebar
    side.header("Filters")
    chosen: dict[str, Any] = {}
    if bands:
        chosen["band"] = side.multiselect(
            "Bands", BAND_CHOICES, default=[b for b in given.get("band", []) if b in BAND_CHOICES],
            key="filter_band", on_change=_write_address, args=("band",),
        )  # fmt: skip
    chosen["mode"] = side.multiselect(
        "Modes", list(MODES), default=[m for m in given.get("mode", []) if m in MODES],
        key="filter_mode", on_change=_write_address, args=("mode",),
    )  # fmt: skip
    chosen["spotter_continent"] = side.multiselect(
        "Heard from (spotter's continent)", list(CONTINENTS),
        default=[c for c in given.get("spotter_continent", []) if c in CONTINENTS],
        format_func=lambda c: f"{c} {CONTINENT_NAMES[c]}",
        key="filter_spotter_continent", on_change=_write_address, args=("spotter_continent",),
    )  # fmt: skip
    chosen["dx_continent"] = side.multiselect(
        "DX continent", list(CONTINENTS),
        default=[c for c in given.get("dx_continent", []) if c in CONTINENTS],
        format_func=lambda c: f"{c} {CONTINENT_NAMES[c]}",
        key="filter_dx_continent", on_change=_write_address, args=("dx_continent",),
    )  # fmt: skip
    labels = list(SKIMMER_CHOICES)
    current = next((k for k, v in SKIMMER_CHOICES.items() if v == given.get("skimmer")), "all")
    skimmer = side.radio(
        "Spotters", labels, index=labels.index(current), horizontal=True,
        key="filter_skimmer", on_change=_write_address, args=("skimmer",),
    )  # fmt: skip
    chosen["skimmer"] = SKIMMER_CHOICES[skimmer]
    chosen["dx_prefix"] = side.text_input(
        "Call or prefix", value=given.get("dx_prefix", ""), placeholder="VP8, 3Y0J...",
        key="filter_dx_prefix", on_change=_write_address, args=("dx_prefix",),
    ).strip().upper()  # fmt: skip
    chosen = {key: value for key, value in chosen.items() if value not in (None, "", [])}
    return chosen

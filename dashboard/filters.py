"""The spot filters in the sidebar, kept for the session and in the address bar.

Chosen on one page, they hold on the next (a click in the navigation drops the query string,
so they are kept in the session state and written back), and the address of every page
carries them, so a view can be bookmarked.

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
FILTER_KEYS = (*LIST_KEYS, "skimmer", "dx_prefix")


REMEMBERED = "dxspots_filters"
"""Session state key of the filters last chosen, in the address's form: a page switch drops
the query string, so each page takes them from here and writes them back to the address."""


def _from_address() -> tuple[dict[str, Any], set[str]]:
    """The filters in the query string, as the catalogue reads them (`20M,40m` is 20m and
    40m, `USB` is SSB, `eu` is EU); a value it refuses is reported and left out.

    Also returns the filter names the address holds, refused ones included.
    """
    raw: dict[str, Any] = {key: st.query_params.get_all(key) for key in LIST_KEYS}
    for key in ("skimmer", "dx_prefix"):
        if key in st.query_params:
            raw[key] = st.query_params[key]
    present = {key for key, value in raw.items() if value}
    good: dict[str, Any] = {}
    for key, value in raw.items():  # in a fixed order: the warnings' order
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
    return good, present


def _starting_point(shown: tuple[str, ...]) -> tuple[dict[str, Any], set[str]]:
    """What the widgets start from, and the filters whose address value was refused.

    The address when it holds a filter this page shows (a bookmark, a shared link, a
    reload), else what was chosen on the page before (a click in the navigation drops the
    query string). Widgets already drawn in this session keep their own state.
    """
    given, present = _from_address()
    start: dict[str, Any] = dict(st.session_state.get(REMEMBERED, {}))
    if present & set(shown):
        start = {key: value for key, value in start.items() if key not in shown} | given
    return start, present - set(given)


def _remember(chosen: dict[str, Any], shown: tuple[str, ...], refused: set[str]) -> None:
    """Keep the chosen filters for the next page, and put them in the address (a filter the
    page does not show stays remembered but out of its address; a refused value stays in the
    address, so its warning stays, until a filter is chosen in its place)."""
    remembered = {k: v for k, v in st.session_state.get(REMEMBERED, {}).items() if k not in shown}
    remembered |= {key: chosen[key] for key in shown if key in chosen}
    st.session_state[REMEMBERED] = remembered
    for key in shown:
        value = chosen.get(key)
        if value:
            if st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
                st.query_params[key] = value
        elif key not in refused:
            st.query_params.pop(key, None)


def spot_filters(*, bands: bool = True) -> dict[str, Any]:
    """Draw the filters in the sidebar; return them as catalogue parameters.

    They are kept for the session, so the next page opens with them, and written to the
    address, so every page's view can be bookmarked.
    """
    shown = FILTER_KEYS if bands else tuple(k for k in FILTER_KEYS if k != "band")
    start, refused = _starting_point(shown)
    side = st.sidebar
    side.header("Filters")
    chosen: dict[str, Any] = {}
    if bands:
        chosen["band"] = side.multiselect(
            "Bands", BAND_CHOICES, key="filter_band",
            default=[b for b in start.get("band") or [] if b in BAND_CHOICES],
        )  # fmt: skip
    chosen["mode"] = side.multiselect(
        "Modes", list(MODES), default=[m for m in start.get("mode") or [] if m in MODES],
        key="filter_mode",
    )  # fmt: skip
    chosen["spotter_continent"] = side.multiselect(
        "Heard from (spotter's continent)", list(CONTINENTS),
        default=[c for c in start.get("spotter_continent") or [] if c in CONTINENTS],
        format_func=lambda c: f"{c} {CONTINENT_NAMES[c]}", key="filter_spotter_continent",
    )  # fmt: skip
    chosen["dx_continent"] = side.multiselect(
        "DX continent", list(CONTINENTS),
        default=[c for c in start.get("dx_continent") or [] if c in CONTINENTS],
        format_func=lambda c: f"{c} {CONTINENT_NAMES[c]}", key="filter_dx_continent",
    )  # fmt: skip
    labels = list(SKIMMER_CHOICES)
    current = next((k for k, v in SKIMMER_CHOICES.items() if v == start.get("skimmer")), "all")
    skimmer = side.radio(
        "Spotters", labels, index=labels.index(current), horizontal=True, key="filter_skimmer"
    )
    chosen["skimmer"] = SKIMMER_CHOICES[skimmer]
    chosen["dx_prefix"] = side.text_input(
        "Call or prefix", value=start.get("dx_prefix") or "", placeholder="VP8, 3Y0J...",
        key="filter_dx_prefix",
    ).strip().upper()  # fmt: skip
    chosen = {key: value for key, value in chosen.items() if value not in (None, "", [])}
    _remember(chosen, shown, refused)
    return chosen

"""What every page says above its own content when the data is not what it seems.

Two states make every page misleading: spots that come from the built-in simulated node
rather than a real cluster, and no country file, which leaves every entity and continent
empty (continent filters match nothing, paths show nothing). Both come from the catalogue's
`summary`, the same answer the API gives, kept NOTICE_TTL_S: a notice need not be as fresh
as a count, and `summary` counts the last day's spots, which every page would otherwise pay
for at every refresh.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import data

NOTICE_TTL_S = 30.0

SIMULATED = (
    "Simulated spots: the collector is connected to the built-in simulated node (no callsign "
    "set: `dxspots up`, or compose's demo profile), not to a real cluster. Set "
    "DXSPOTS_CALLSIGN to collect live spots."
)
NO_COUNTRY_FILE = (
    "No country file: entities and continents are empty{count}. Run `dxspots cty update` "
    "(it downloads the country file and fills them in for the spots already stored)."
)


@st.cache_data(ttl=NOTICE_TTL_S, show_spinner=False)
def _state() -> dict[str, Any]:
    row = data.query("summary").items[0]
    keys = ("simulated", "country_file_missing", "spots_without_entity_last_day")
    return {key: row[key] for key in keys}


def show() -> None:
    """Show the notices that apply now (nothing when none does)."""
    summary = _state()
    if summary["simulated"]:
        st.warning(SIMULATED, icon=":material/science:")
    if summary["country_file_missing"]:
        missing = int(summary["spots_without_entity_last_day"] or 0)
        count = f" ({missing:,} spots of the last day have none)" if missing else ""
        st.warning(NO_COUNTRY_FILE.format(count=count), icon=":material/public_off:")

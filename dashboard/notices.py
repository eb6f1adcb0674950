"""What every page says above its own content when the data is not what it seems.

Two states make every page misleading: spots that come from the built-in simulated node
rather than a real cluster, and no country file, which leaves every entity and continent
empty (continent filters match nothing, paths show nothing). Both come from the catalogue's
`summary`, the same answer the API gives, cached like every query.
"""

from __future__ import annotations

import streamlit as st

from dashboard import data

SIMULATED = (
    "Simulated spots: the collector is connected to the built-in simulated node (no callsign "
    "set: `dxspots up`, or compose's demo profile), not to a real cluster. Set "
    "DXSPOTS_CALLSIGN to collect live spots."
)
NO_COUNTRY_FILE = (
    "No country file: entities and continents are empty{count}. Run `dxspots cty update` "
    "(it downloads the country file and fills them in for the spots already stored)."
)


def show() -> None:
    """Show the notices that apply now (nothing when none does)."""
    summary = data.query("summary").items[0]
    if summary["simulated"]:
        st.warning(SIMULATED, icon=":material/science:")
    if summary["country_file_missing"]:
        missing = summary.get("spots_without_entity_last_day") or 0
        count = f" ({missing:,} spots of the last day have none)" if missing else ""
        st.warning(NO_COUNTRY_FILE.format(count=count), icon=":material/public_off:")

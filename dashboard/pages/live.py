"""Live: which bands are alive right now, from where, and the latest spots.

Only the live parts (tiles, chart, table) rerun every `DXSPOTS_DASHBOARD_REFRESH` seconds.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

import streamlit as st

from dashboard import charts, data
from dashboard.filters import spot_filters
from dashboard.guard import guarded
from dxspots.bands import HF_BANDS, band_order
from dxspots.db.nodestatus import SILENT_AFTER_S
from dxspots.settings import SIMULATED_NODE

# Spots in 15 minutes: under QUIET_BELOW a band reads quiet, from BUSY_FROM busy. (Comments,
# not docstrings: Streamlit would print a bare string in a page.)
QUIET_BELOW = 10
BUSY_FROM = 100
TILE_BANDS = [*HF_BANDS, "6m"]


LEVEL_COLOURS = {"quiet": "#9e9e9e", "active": "#2e7d32", "busy": "#e65100"}
TILE_STYLE = """<style>
.dx-tiles {display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr));
           gap: .6rem; margin-bottom: 1rem}
.dx-tile {border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem; padding: .5rem .8rem}
.dx-band {font-size: .9rem; opacity: .8}
.dx-count {font-size: 2rem; line-height: 2.4rem}
.dx-delta {font-size: .85rem}
.dx-level {display: inline-block; color: white; border-radius: .3rem; padding: 0 .4rem;
           font-size: .8rem}
</style>"""


def level(spots: int) -> str:
    """quiet / active / busy, as the tile's colour says."""
    if spots < QUIET_BELOW:
        return "quiet"
    if spots < BUSY_FROM:
        return "active"
    return "busy"


def tile(band: str, spots: int, before: int) -> str:
    """One band's tile (HTML): count, change against the 15 minutes before, level.

    The band name comes from the database, so it is escaped like any outside text in HTML.
    """
    change = spots - before
    arrow = "▲" if change > 0 else ("▼" if change < 0 else "=")
    state = level(spots)
    name = escape(band, quote=True)
    return (
        f'<div class="dx-tile" data-band="{name}" data-spots="{spots:d}" data-change="{change:d}"'
        f' data-level="{state}"><div class="dx-band">{name}</div>'
        f'<div class="dx-count">{spots:d}</div>'
        f'<div class="dx-delta">{arrow} {change:+d} vs the 15 min before</div>'
        f'<span class="dx-level" style="background:{LEVEL_COLOURS[state]}">{state}</span></div>'
    )


def per_band(filters: dict[str, Any], **window: Any) -> dict[str, int]:
    """Spots per band in a window (summed over its buckets)."""
    page = data.query("band_activity", bucket=15, **window, **filters)
    table = data.frame(page, ["bucket", "band", "mode", "spots", "dx_calls"])
    return {str(k): int(v) for k, v in table.groupby("band")["spots"].sum().items()}


def tiles(filters: dict[str, Any]) -> None:
    # Edges on the answer cache's beat, so every viewer within it asks the same question.
    now = data.utc_now().replace(microsecond=0)
    now -= timedelta(seconds=now.second % data.CACHE_TTL_S)
    others = {k: v for k, v in filters.items() if k != "band"}
    edges = [(now - timedelta(minutes=m)).isoformat() for m in (0, 15, 30)]
    current = per_band(others, since=edges[1], until=edges[0])
    before = per_band(others, since=edges[2], until=edges[1])  # the two windows meet
    bands = TILE_BANDS + sorted(
        (b for b in current if b not in TILE_BANDS and band_order(b) > band_order("6m")),
        key=band_order,
    )
    st.subheader("Last 15 minutes, per band")
    # One block of HTML rather than 40 elements: the tiles draw at once.
    cells = "".join(tile(b, current.get(b, 0), before.get(b, 0)) for b in bands)
    st.markdown(f'{TILE_STYLE}<div class="dx-tiles">{cells}</div>', unsafe_allow_html=True)


def activity(filters: dict[str, Any], hours: int, stack: str) -> None:
    by = "band" if stack == "band" else "band_mode"
    page = data.query("band_activity", minutes=hours * 60, bucket=5, by=by, **filters)
    table = data.frame(page, ["bucket", "band", "mode", "spots", "dx_calls"])
    st.subheader(f"Spots per 5 minutes, last {hours} h (UTC)")
    if table.empty:
        st.info("No spots in this window with these filters.")
        return
    table["mode"] = table["mode"].fillna("unknown")
    charts.draw(charts.activity_chart(table, stack))


def latest(filters: dict[str, Any]) -> None:
    page = data.query("spots", limit=100, **filters)
    st.subheader("Latest spots")
    table = data.frame(page)
    if table.empty:
        st.info("No spots in the last day with these filters.")
        return
    charts.spots_table(table)


def simulated_notice() -> None:
    """Say so while the collector is connected to the built-in simulated node (`dxspots up`
    without a callsign, or compose's demo profile): logged in, reported in the last minute."""
    now = data.utc_now()
    if any(
        node["node"] == SIMULATED_NODE
        and node["logged_in"]
        and (now - node["updated_at"]).total_seconds() < SILENT_AFTER_S
        for node in data.query("nodes").items
    ):
        st.warning(
            "Simulated spots: the collector is connected to the built-in simulated node "
            "(no callsign set: `dxspots up`, or compose's demo profile), not to a real cluster. "
            "Set DXSPOTS_CALLSIGN to collect live spots."
        )


def empty_database() -> bool:
    if data.query("spots", days=366, limit=1).items:  # newest first: one index probe
        return False
    st.info(
        "No spots stored yet. Start the collector to fill the database: `dxspots collect` "
        "with `DXSPOTS_CALLSIGN` and `DXSPOTS_NODES` set (docs/collector.md), or `dxspots "
        "up` to run everything here; `dxspots import FILE` loads saved cluster logs. This page "
        "updates by itself once spots arrive."
    )
    return True


def page() -> None:
    st.title("Live band activity")
    st.caption("All times UTC. Counts are spots from every connected node, after dedupe.")
    with guarded():
        filters = spot_filters()
        refresh = data.settings().dashboard_refresh
        left, right = st.columns([1, 1])
        hours = left.select_slider("Chart window (hours)", [1, 3, 6, 12, 24], value=3)
        stack = right.radio("Stack by", ["band", "mode"], horizontal=True)

        @st.fragment(run_every=refresh)
        def live() -> None:
            with guarded():
                simulated_notice()
                if empty_database():
                    return
                tiles(filters)
                activity(filters, int(hours), str(stack))
                latest(filters)
                st.caption(f"Updated {data.utc_now():%H:%M:%S} UTC, every {refresh:.0f} s.")

        live()


page()

"""Live: which bands are alive right now, from where, and the latest spots.

Only the live parts (tiles, chart, table) rerun every `DXSPOTS_DASHBOARD_REFRESH` seconds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from html import escape
from typing import Any

import streamlit as st

from dashboard import charts, data, notices
from dashboard.filters import spot_filters
from dashboard.guard import guarded
from dashboard.logowner import log_owner
from dxspots.bands import HF_BANDS, band_order

# A band's spots in the last 15 minutes against its normal for this UTC hour of day (the mean
# per 15 minutes over the previous days): under QUIET_BELOW of it the band reads quiet, over
# BUSY_ABOVE of it (and at least BUSY_FLOOR spots) busy. (Comments, not docstrings: Streamlit
# would print a bare string in a page.)
QUIET_BELOW = 0.5
BUSY_ABOVE = 1.5
BUSY_FLOOR = 5
NO_HISTORY = "no history yet"
UNJUDGED = "not judged"
NORMAL_DAYS = 14
TILE_BANDS = [*HF_BANDS, "6m"]
BUCKET_MIN = 5


LEVEL_COLOURS = {
    "quiet": "#9e9e9e",
    "normal": "#2e7d32",
    "busy": "#e65100",
    NO_HISTORY: "#607d8b",
    UNJUDGED: "#607d8b",
}
TILE_STYLE = """<style>
.dx-tiles {display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr));
           gap: .6rem; margin-bottom: 1rem}
.dx-tile {border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem; padding: .5rem .8rem}
.dx-band {font-size: .9rem; opacity: .8}
.dx-count {font-size: 2rem; line-height: 2.4rem}
.dx-delta, .dx-usual {font-size: .85rem}
.dx-level {display: inline-block; color: white; border-radius: .3rem; padding: 0 .4rem;
           font-size: .8rem}
</style>"""


def level(spots: int, normal: float | None, *, judged: bool = True) -> str:
    """quiet / normal / busy against the band's normal, as the tile's colour says."""
    if not judged:
        return UNJUDGED
    if normal is None:
        return NO_HISTORY
    if spots < QUIET_BELOW * normal:
        return "quiet"
    if spots > BUSY_ABOVE * normal and spots >= BUSY_FLOOR:
        return "busy"
    return "normal"


def shown_normal(normal: float) -> str:
    """42, 2.5, or <0.1 (a band heard a few times in two weeks at this hour), as HTML."""
    if normal >= 10 or normal == 0:
        return f"{normal:,.0f}"
    return f"{normal:.1f}" if normal >= 0.05 else "&lt;0.1"


def tile(
    band: str, spots: int, before: int, normal: float | None = None, *, judged: bool = True
) -> str:
    """One band's tile (HTML): count, change against the 15 minutes before, the usual count
    at this hour, level.

    The band name comes from the database, so it is escaped like any outside text in HTML.
    """
    change = spots - before
    arrow = "▲" if change > 0 else ("▼" if change < 0 else "=")
    state = level(spots, normal, judged=judged)
    name = escape(band, quote=True)
    exact = "" if normal is None else f"{normal:.2f}"
    usual = "" if normal is None else f' <span class="dx-usual">usual {shown_normal(normal)}</span>'
    return (
        f'<div class="dx-tile" data-band="{name}" data-spots="{spots:d}" data-change="{change:d}"'
        f' data-normal="{exact}" data-level="{state}"><div class="dx-band">{name}</div>'
        f'<div class="dx-count">{spots:d}</div>'
        f'<div class="dx-delta">{arrow} {change:+d} vs 15 min before</div>'
        f'<span class="dx-level" style="background:{LEVEL_COLOURS[state]}">{state}</span>{usual}'
        "</div>"
    )


def per_band(filters: dict[str, Any], **window: Any) -> dict[str, int]:
    """Spots per band in a window (summed over its buckets)."""
    page = data.query("band_activity", bucket=15, **window, **filters)
    table = data.frame(page, ["bucket", "band", "mode", "spots", "dx_calls"])
    return {str(k): int(v) for k, v in table.groupby("band")["spots"].sum().items()}


def normals(filters: dict[str, Any], at: str) -> dict[str, float] | None:
    """Each band's normal spots per 15 minutes at this hour of day (0 for a band without
    spots then); None when the database has no such hour yet, or a call filter is chosen
    (the hourly counts behind the normal know bands, modes, continents and skimmers only)."""
    if filters.get("dx_prefix"):
        return None
    page = data.query("band_normal", at=at, days=NORMAL_DAYS, **filters)
    # Days of history at this hour; a band without spots in them has a normal of 0.
    if not page.extras["history"]["days"]:
        return None
    rows = page.items
    found = {str(row["band"]): float(row["normal"]) for row in rows if row["band"] is not None}
    return defaultdict(float, found)


def beat() -> datetime:
    """Now, on the answer cache's beat, so every viewer within it asks the same question."""
    now = data.utc_now().replace(microsecond=0)
    return now - timedelta(seconds=now.second % data.CACHE_TTL_S)


def tiles(filters: dict[str, Any], now: datetime) -> None:
    edges = [(now - timedelta(minutes=m)).isoformat() for m in (0, 15, 30)]
    current = per_band(filters, since=edges[1], until=edges[0])
    before = per_band(filters, since=edges[2], until=edges[1])  # the two windows meet
    usual = normals(filters, edges[0])
    judged = not filters.get("dx_prefix")
    if filters.get("band"):
        bands = sorted(filters["band"], key=band_order)
    else:
        bands = TILE_BANDS + sorted(
            (b for b in current if b not in TILE_BANDS and band_order(b) > band_order("6m")),
            key=band_order,
        )
    st.subheader("Last 15 minutes, per band")
    st.caption(
        "Against each band's usual count at this hour of day (the mean over the last "
        f"{NORMAL_DAYS} days): quiet under half of it, busy over one and a half times it."
        + (" Only the bands chosen in the filters." if filters.get("band") else "")
        + (
            " Not judged with a call or prefix filter: the usual counts are per band, mode, "
            "continent and skimmer only."
            if not judged
            else ""
        )
    )
    # One block of HTML rather than 40 elements: the tiles draw at once.
    cells = "".join(
        tile(b, current.get(b, 0), before.get(b, 0), None if usual is None else usual[b],
             judged=judged)
        for b in bands
    )  # fmt: skip
    st.markdown(f'{TILE_STYLE}<div class="dx-tiles">{cells}</div>', unsafe_allow_html=True)


def activity(filters: dict[str, Any], hours: int, stack: str, now: datetime) -> None:
    by = "band" if stack == "band" else "band_mode"
    since = now - timedelta(hours=hours)
    page = data.query(
        "band_activity", since=since.isoformat(), until=now.isoformat(), bucket=BUCKET_MIN,
        by=by, **filters,
    )  # fmt: skip
    table = data.frame(page, ["bucket", "band", "mode", "spots", "dx_calls"])
    st.subheader(f"Spots per {BUCKET_MIN} minutes, last {hours} h (UTC)")
    if table.empty:
        st.info("No spots in this window with these filters.")
        return
    table["mode"] = table["mode"].fillna("unknown")
    table["band"] = table["band"].fillna("unknown")
    chart = charts.activity_chart(table, stack, since=since, until=now, bucket_min=BUCKET_MIN)
    charts.draw(chart)


def latest(filters: dict[str, Any], owner: str | None = None) -> None:
    page = data.query("spots", limit=100, owner=owner, **filters)
    st.subheader("Latest spots")
    table = data.frame(page)
    if table.empty:
        st.info("No spots in the last day with these filters.")
        return
    charts.spots_table(table, data.settings().lookup_urls)


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
        owner = log_owner()
        refresh = data.settings().dashboard_refresh
        left, right = st.columns([1, 1])
        hours = left.select_slider("Chart window (hours)", [1, 3, 6, 12, 24], value=3)
        stack = right.radio("Stack by", ["band", "mode"], horizontal=True)

        @st.fragment(run_every=refresh)
        def live() -> None:
            with guarded():
                notices.show()
                if empty_database():
                    return
                now = beat()
                tiles(filters, now)
                activity(filters, int(hours), str(stack), now)
                latest(filters, owner)
                st.caption(f"Updated {data.utc_now():%H:%M:%S} UTC, every {refresh:.0f} s.")

        live()


page()

"""The world map of spot paths: data in, Vega-Lite chart out (no queries, no network).

Every layer is inline in the chart: the land outline shipped in `dashboard/world/` (Natural
Earth 1:110m, see its README), the night side and the day/night line from
`dashboard/terminator.py`, and one great-circle line per path (Vega-Lite draws a GeoJSON line
on the sphere, so it bends as a beam heading does and is cut at the map's edge). Nothing is
fetched by the browser either: no tiles, no data URL.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from dashboard.charts import needed_text
from dashboard.palette import band_scale
from dashboard.terminator import night, subsolar_point, terminator

WORLD = Path(__file__).resolve().parent / "world" / "land-110m.json"

# One colour per band, the same on every render whatever bands the window holds (ColorBrewer
# "Paired" over 160m-10m, then 6m/4m/2m; anything higher is grey).
UNKNOWN_BAND = "unknown"

OCEAN = "#eef3f7"
LAND = "#d8d3c4"
COAST = "#a39b85"
NIGHT = "#1a2340"
TERMINATOR = "#6e6e6e"
NEEDED = "#c0392b"
HEIGHT = 480
PATH_COLUMNS = ["band", "spotter_lat", "spotter_lon", "dx_lat", "dx_lon", "spots", "dx_calls",
                "dx_call", "spotter"]  # fmt: skip


@cache
def land() -> dict[str, Any]:
    """The land outline (TopoJSON, object `land`), read once per process."""
    outline: dict[str, Any] = json.loads(WORLD.read_text(encoding="utf-8"))
    return outline


def _finite(*values: object) -> bool:
    return all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )


def path_features(table: pd.DataFrame) -> list[dict[str, Any]]:
    """One GeoJSON line per row, spotter to DX, with what the tooltip shows as properties.

    Rows whose ends are not real coordinates (missing, NaN, off the globe) are left out: the
    caller counts them (`len(table) - len(features)`) and says so.
    """
    features = []
    for row in table.itertuples(index=False):
        ends = (row.spotter_lon, row.spotter_lat, row.dx_lon, row.dx_lat)
        if not _finite(*ends):
            continue
        s_lon, s_lat, d_lon, d_lat = (float(v) for v in ends)
        if max(abs(s_lat), abs(d_lat)) > 90 or max(abs(s_lon), abs(d_lon)) > 180:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [
                        [round(s_lon, 2), round(s_lat, 2)],
                        [round(d_lon, 2), round(d_lat, 2)],
                    ],
                },
                "properties": {
                    "band": str(row.band) if isinstance(row.band, str) else UNKNOWN_BAND,
                    "spots": int(row.spots),
                    "dx_calls": int(row.dx_calls),
                    "dx_call": str(row.dx_call),
                    "spotter": str(row.spotter),
                    "needed": needed_text(getattr(row, "needed", None)),
                },
            }
        )
    return features


def _inline(values: Any, **format: str) -> dict[str, Any]:
    """Inline data as a plain dict: Altair checks an `InlineData`'s values against the
    schema when it is made, which for the outline and 2,000 lines took 0.4 s a drawing."""
    return {"values": values, "format": format} if format else {"values": values}


def _shape(geometry: dict[str, Any], kind: str) -> dict[str, Any]:
    return _inline([{"type": "Feature", "geometry": geometry, "properties": {"layer": kind}}])


def map_chart(features: list[dict[str, Any]], when: datetime) -> alt.LayerChart:
    """The world, night shaded as at `when`, and the paths `features` (`path_features` of
    the `map_paths` rows) coloured by band. Raises `ValueError` for a naive `when`."""
    sun_lon, sun_lat = subsolar_point(when)
    layers: list[alt.Chart] = [
        alt.Chart(alt.sphere()).mark_geoshape(fill=OCEAN, stroke=COAST, strokeWidth=0.5),
        alt.Chart(alt.graticule(step=[30, 30])).mark_geoshape(
            filled=False, stroke="#c9d3dc", strokeWidth=0.4
        ),
        alt.Chart(_inline(land(), type="topojson", feature="land")).mark_geoshape(
            fill=LAND, stroke=COAST, strokeWidth=0.5
        ),
        alt.Chart(_shape({"type": "Polygon", "coordinates": [night(when)]}, "night"))
        .mark_geoshape(fill=NIGHT, fillOpacity=0.22, stroke=None)
        .encode(tooltip=alt.value(None)),
        alt.Chart(_shape({"type": "LineString", "coordinates": terminator(when)}, "terminator"))
        .mark_geoshape(filled=False, stroke=TERMINATOR, strokeWidth=1.5)
        .encode(tooltip=alt.value(f"Day/night line at {when:%H:%M} UTC")),
        alt.Chart(_inline([{"lon": round(sun_lon, 2), "lat": round(sun_lat, 2)}]))
        .mark_point(shape="circle", size=90, filled=True, color="#f2b705", stroke="#8a6d00")
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            tooltip=alt.value(f"Sun overhead at {when:%H:%M} UTC"),
        ),
    ]
    if features:
        layers.append(
            alt.Chart(_inline(features))
            .mark_geoshape(filled=False, strokeWidth=1.1, strokeOpacity=0.55)
            .encode(
                stroke=alt.Color(
                    "properties.band:N",
                    scale=band_scale([f["properties"]["band"] for f in features]),
                    legend=alt.Legend(title="Band", orient="bottom", direction="horizontal"),
                ),
                tooltip=[
                    alt.Tooltip("properties.band:N", title="Band"),
                    alt.Tooltip("properties.spots:Q", title="Spots"),
                    alt.Tooltip("properties.dx_calls:Q", title="DX calls"),
                    alt.Tooltip("properties.dx_call:N", title="DX (one of them)"),
                    alt.Tooltip("properties.spotter:N", title="Spotter (one of them)"),
                ],
            )
        )
    wanted = [needed_end(f) for f in features if f["properties"]["needed"]]
    if wanted:  # what the chosen log needs: a mark at the DX end
        layers.append(
            alt.Chart(_inline(wanted))
            .mark_point(shape="diamond", size=110, filled=True, color=NEEDED, stroke="white")
            .encode(
                longitude="lon:Q",
                latitude="lat:Q",
                tooltip=[
                    alt.Tooltip("needed:N", title="Needed"),
                    alt.Tooltip("dx_call:N", title="DX (one of them)"),
                    alt.Tooltip("band:N", title="Band"),
                ],
            )
        )
    return alt.LayerChart(
        layer=layers, projection=alt.Projection(type="equirectangular"), height=HEIGHT
    )


def needed_end(feature: dict[str, Any]) -> dict[str, Any]:
    """The DX end of a path the chosen log needs, as a point with what it needs."""
    lon, lat = feature["geometry"]["coordinates"][1]
    properties = feature["properties"]
    return {"lon": lon, "lat": lat, "needed": properties["needed"],
            "dx_call": properties["dx_call"], "band": properties["band"]}  # fmt: skip

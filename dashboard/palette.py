"""One colour per band, the same in every chart and on the map (a legend read once holds
everywhere): a qualitative palette in frequency order, grey for bands it does not list."""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt

from dxspots.bands import band_order

BAND_COLOURS = {
    "160m": "#6a3d9a", "80m": "#1f78b4", "60m": "#a6cee3", "40m": "#33a02c",
    "30m": "#b2df8a", "20m": "#e31a1c", "17m": "#fb9a99", "15m": "#ff7f00",
    "12m": "#fdbf6f", "10m": "#cab2d6", "6m": "#b15928", "4m": "#8c6d31", "2m": "#17becf",
}  # fmt: skip
OTHER_BAND_COLOUR = "#7f7f7f"


def band_scale(bands: Iterable[str]) -> alt.Scale:
    """A colour scale for these bands, in frequency order, each in its own colour."""
    domain = sorted(set(bands), key=band_order)
    return alt.Scale(domain=domain, range=[BAND_COLOURS.get(b, OTHER_BAND_COLOUR) for b in domain])

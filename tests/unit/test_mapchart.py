"""The map's Vega-Lite spec: the shipped outline inline, night and the day/night line, one
line per path coloured by band, nothing to fetch."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from dashboard.mapchart import PATH_COLUMNS, WORLD, map_chart, path_features
from dashboard.palette import BAND_COLOURS
from dashboard.terminator import subsolar_point

WHEN = datetime(2025, 6, 21, 12, 0, tzinfo=UTC)


def paths(*rows: tuple[Any, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=PATH_COLUMNS)


LONDON_TOKYO = ("20m", 51.5, -0.1, 35.7, 139.7, 3, 2, "JA1ZZ", "G4ABC")
BOSTON_FALKLANDS = ("40m", 42.4, -71.1, -51.7, -57.9, 1, 1, "VP8PJ", "KM3T-#")


def layers_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The layers, each with its data's values in place (Altair hoists them to `datasets`)."""
    layers = []
    for layer in spec["layer"]:
        data = dict(layer["data"])
        if "name" in data:
            data["values"] = spec["datasets"][data.pop("name")]
        layers.append({**layer, "data": data})
    return layers


def test_the_spec_carries_the_outline_the_night_the_line_and_one_line_per_path() -> None:
    features = path_features(paths(LONDON_TOKYO, BOSTON_FALKLANDS))
    spec = map_chart(features, WHEN).to_dict()  # validates it
    assert spec["projection"] == {"type": "equirectangular"}
    layers = layers_of(spec)
    assert len(layers) == 7
    land = [ly for ly in layers if ly["data"].get("format", {}).get("type") == "topojson"]
    assert len(land) == 1 and land[0]["data"]["format"]["feature"] == "land"
    assert land[0]["data"]["values"]["objects"]["land"]["type"] == "GeometryCollection"
    shapes = {
        ly["data"]["values"][0]["properties"].get("layer"): ly
        for ly in layers
        if isinstance(ly["data"].get("values"), list) and "properties" in ly["data"]["values"][0]
    }
    night = shapes["night"]["data"]["values"][0]["geometry"]
    assert night["type"] == "Polygon" and len(night["coordinates"][0]) == 181
    line = shapes["terminator"]
    assert line["data"]["values"][0]["geometry"]["type"] == "LineString"
    assert line["mark"]["filled"] is False and line["mark"]["stroke"] == "#6e6e6e"  # grey
    sun = next(ly for ly in layers if ly["mark"]["type"] == "point")
    assert sun["data"]["values"] == [
        {"lon": round(subsolar_point(WHEN)[0], 2), "lat": round(subsolar_point(WHEN)[1], 2)}
    ]
    drawn = next(ly for ly in layers if ly.get("encoding", {}).get("stroke"))
    lines = drawn["data"]["values"]
    assert [f["geometry"]["coordinates"] for f in lines] == [
        [[-0.1, 51.5], [139.7, 35.7]],
        [[-71.1, 42.4], [-57.9, -51.7]],
    ]
    assert [f["properties"]["band"] for f in lines] == ["20m", "40m"]
    stroke = drawn["encoding"]["stroke"]
    assert stroke["field"] == "properties.band"
    assert stroke["scale"] == {
        "domain": ["40m", "20m"],  # frequency order, not text order
        "range": [BAND_COLOURS["40m"], BAND_COLOURS["20m"]],
    }
    tips = {t["field"] for t in drawn["encoding"]["tooltip"]}
    assert {"properties.band", "properties.spots", "properties.dx_call"} <= tips


def test_nothing_in_the_spec_points_at_the_network() -> None:
    text = json.dumps(map_chart(path_features(paths(LONDON_TOKYO)), WHEN).to_dict())
    spec = json.loads(text)
    spec.pop("$schema")  # a name for the schema version; no renderer fetches it
    assert "http" not in json.dumps(spec) and '"url"' not in json.dumps(spec)


def test_a_band_keeps_its_colour_whatever_else_is_in_the_window() -> None:
    alone = map_chart(path_features(paths(LONDON_TOKYO)), WHEN).to_dict()
    stroke = next(ly for ly in layers_of(alone) if ly.get("encoding", {}).get("stroke"))
    assert stroke["encoding"]["stroke"]["scale"]["range"] == [BAND_COLOURS["20m"]]


@pytest.mark.parametrize(
    "bad",
    [
        (None, -0.1, 35.7, 139.7),
        (math.nan, -0.1, 35.7, 139.7),
        (51.5, math.inf, 35.7, 139.7),
        (91.0, -0.1, 35.7, 139.7),
        (51.5, -0.1, 35.7, 181.0),
    ],
)
def test_rows_without_real_coordinates_are_left_out(bad: tuple[Any, ...]) -> None:
    row = ("20m", *bad, 1, 1, "JA1ZZ", "G4ABC")
    assert path_features(paths(row, BOSTON_FALKLANDS)) == path_features(paths(BOSTON_FALKLANDS))


def test_no_paths_still_draws_the_world_and_the_night() -> None:
    spec = map_chart(path_features(paths()), WHEN).to_dict()
    assert not any(ly.get("encoding", {}).get("stroke") for ly in layers_of(spec))
    assert any(ly["data"].get("format", {}).get("type") == "topojson" for ly in layers_of(spec))


def test_outside_text_in_a_path_is_data_not_markup() -> None:
    hostile = ("20m", 51.5, -0.1, 35.7, 139.7, 1, 1, "<img src=x onerror=alert(1)>", "[a](b)")
    (feature,) = path_features(paths(hostile))
    assert feature["properties"]["dx_call"] == "<img src=x onerror=alert(1)>"  # a value, shown
    # as text by Vega's tooltip (which escapes it), never spliced into the spec's markup


def test_the_shipped_outline_is_small_and_natural_earth_land() -> None:
    assert WORLD.stat().st_size < 64_000
    assert (WORLD.parent / "LICENSE").is_file()
    assert "Natural Earth" in (WORLD.parent / "README.md").read_text()

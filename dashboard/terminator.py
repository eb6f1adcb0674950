"""Where the sun is overhead at a UTC moment, and the day/night line on the map.

The subsolar point comes from the sun's declination and right ascension (the Astronomical
Almanac's low-precision series, good to about 0.01° for centuries either side of 2000: far
finer than the 110m world outline it is drawn on). The terminator is the great circle 90°
from that point, traced by bearing around it, so it has no special case at the equinoxes
(where the usual `tan(lat) = -cos(lon - lon_sun) / tan(declination)` divides by zero).

Points are `(lon, lat)` in degrees, the order GeoJSON uses. Pure functions, no I/O.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)
"""The epoch the solar series count days from."""

Point = tuple[float, float]
"""(longitude, latitude) in degrees."""


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("when must be timezone-aware (UTC), not a naive datetime")
    return when.astimezone(UTC)


def _wrap(lon: float) -> float:
    """A longitude in [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def subsolar_point(when: datetime) -> Point:
    """Return where the sun stands overhead at `when`: (lon, lat) in degrees.

    The latitude is the sun's declination; the longitude is its right ascension less the
    sidereal time at Greenwich (so the equation of time is in it). Raises `ValueError` for a
    naive datetime (the caller's clock must say it is UTC).
    """
    n = (_utc(when) - J2000).total_seconds() / 86400
    mean_longitude = 280.460 + 0.9856474 * n
    anomaly = math.radians(357.528 + 0.9856003 * n)
    ecliptic = math.radians(
        mean_longitude + 1.915 * math.sin(anomaly) + 0.020 * math.sin(2 * anomaly)
    )
    obliquity = math.radians(23.439 - 0.0000004 * n)
    declination = math.asin(math.sin(obliquity) * math.sin(ecliptic))
    right_ascension = math.atan2(math.cos(obliquity) * math.sin(ecliptic), math.cos(ecliptic))
    sidereal = 280.46061837 + 360.98564736629 * n  # at Greenwich, degrees
    return _wrap(math.degrees(right_ascension) - sidereal), math.degrees(declination)


def solar_elevation(lon: float, lat: float, when: datetime) -> float:
    """Return the sun's height above the horizon at a place, in degrees (negative at night).

    Geometric (no refraction): 90° at the subsolar point, -90° at its antipode.
    """
    sun_lon, sun_lat = subsolar_point(when)
    phi, sun_phi = math.radians(lat), math.radians(sun_lat)
    cos_angle = math.sin(phi) * math.sin(sun_phi) + math.cos(phi) * math.cos(sun_phi) * math.cos(
        math.radians(lon - sun_lon)
    )
    return 90.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos_angle))))


def circle(centre: Point, radius: float, steps: int = 180) -> list[Point]:
    """Return the closed ring of points `radius` degrees of arc from `centre`, clockwise.

    Clockwise as seen on a north-up map (bearing 0°, 90°, 180°...), which is how d3-geo (and
    so Vega-Lite) reads a polygon's inside: a clockwise ring encloses its centre.
    """
    lon0, lat0 = (math.radians(v) for v in centre)
    arc = math.radians(radius)
    ring: list[Point] = []
    for i in range(steps + 1):
        bearing = 2 * math.pi * (i % steps) / steps
        sin_lat = math.sin(lat0) * math.cos(arc) + math.cos(lat0) * math.sin(arc) * math.cos(
            bearing
        )
        lat = math.asin(max(-1.0, min(1.0, sin_lat)))
        lon = lon0 + math.atan2(
            math.sin(bearing) * math.sin(arc) * math.cos(lat0),
            math.cos(arc) - math.sin(lat0) * sin_lat,
        )
        ring.append((round(_wrap(math.degrees(lon)), 3), round(math.degrees(lat), 3)))
    return ring


def antisolar_point(when: datetime) -> Point:
    """Return the point opposite the sun: the middle of the night."""
    lon, lat = subsolar_point(when)
    return _wrap(lon + 180.0), -lat


def terminator(when: datetime, steps: int = 180) -> list[Point]:
    """Return the day/night line at `when`: a closed ring 90° from the subsolar point."""
    return circle(antisolar_point(when), 90.0, steps)


def night(when: datetime, steps: int = 180) -> list[Point]:
    """Return the ring around the night side at `when` (clockwise about the antisolar point).

    A hair under a hemisphere (89.9°), so the ring's inside is never ambiguous to a
    spherical renderer; a tenth of a degree is well inside the line's width.
    """
    return circle(antisolar_point(when), 89.9, steps)

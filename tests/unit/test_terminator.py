"""The subsolar point and the day/night line, against cases known from the sky."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from dashboard.terminator import (
    antisolar_point,
    circle,
    night,
    solar_elevation,
    subsolar_point,
    terminator,
)


def arc(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Degrees of great-circle arc between two (lon, lat) points."""
    (lon1, lat1), (lon2, lat2) = ((math.radians(x), math.radians(y)) for x, y in (a, b))
    cos_d = math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(
        lon1 - lon2
    )
    return math.degrees(math.acos(max(-1.0, min(1.0, cos_d))))


def lon_gap(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


@pytest.mark.parametrize("hour", [0, 6, 12, 15, 21])
def test_at_the_march_equinox_the_sun_is_over_the_equator_at_fifteen_degrees_an_hour(
    hour: int,
) -> None:
    lon, lat = subsolar_point(datetime(2025, 3, 20, hour, 0, tzinfo=UTC))
    assert abs(lat) < 0.25  # 0.4° a day; the equinox itself was at 09:01 UTC
    # -15° per hour from Greenwich's noon; the equation of time adds ~-7.5 min (~1.9°).
    assert lon_gap(lon, -15 * (hour - 12)) < 2.5
    assert lon_gap(lon, -15 * (hour - 12) + 1.9) < 0.5


def test_at_the_equinox_moment_the_declination_is_zero() -> None:
    assert subsolar_point(datetime(2025, 3, 20, 9, 1, tzinfo=UTC))[1] == pytest.approx(0, abs=0.02)
    assert subsolar_point(datetime(2025, 9, 22, 18, 19, tzinfo=UTC))[1] == pytest.approx(
        0, abs=0.02
    )


def test_at_the_june_solstice_the_sun_is_over_the_tropic_of_cancer() -> None:
    lon, lat = subsolar_point(datetime(2025, 6, 21, 12, 0, tzinfo=UTC))
    assert lat == pytest.approx(23.44, abs=0.2)
    assert lon_gap(lon, 0.0) < 1.0  # the equation of time is ~-1.6 min then


def test_at_the_december_solstice_the_sun_is_over_the_tropic_of_capricorn() -> None:
    _, lat = subsolar_point(datetime(2025, 12, 21, 12, 0, tzinfo=UTC))
    assert lat == pytest.approx(-23.44, abs=0.2)


def test_early_november_the_equation_of_time_puts_noon_sixteen_minutes_early() -> None:
    lon, _ = subsolar_point(datetime(2025, 11, 3, 12, 0, tzinfo=UTC))
    assert lon == pytest.approx(-16.4 * 15 / 60, abs=0.5)  # the sun is 4° west of Greenwich


def test_a_moment_in_another_zone_is_the_same_moment() -> None:
    utc = datetime(2025, 6, 21, 12, 0, tzinfo=UTC)
    tokyo = utc.astimezone(timezone(timedelta(hours=9)))
    assert subsolar_point(tokyo) == subsolar_point(utc)


def test_a_naive_time_is_refused_naming_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        subsolar_point(datetime(2025, 6, 21, 12, 0))


@pytest.mark.parametrize(
    "when",
    [
        datetime(2025, 3, 20, 9, 1, tzinfo=UTC),
        datetime(2025, 6, 21, 18, 30, tzinfo=UTC),
        datetime(2024, 12, 21, 3, 45, tzinfo=UTC),
    ],
)
def test_the_subsolar_point_is_lit_the_antipode_dark_and_the_line_is_the_horizon(
    when: datetime,
) -> None:
    sun = subsolar_point(when)
    assert solar_elevation(*sun, when) == pytest.approx(90, abs=1e-6)
    assert solar_elevation(*antisolar_point(when), when) == pytest.approx(-90, abs=1e-6)
    line = terminator(when)
    assert line[0] == line[-1]  # a closed ring
    assert len(line) == 181
    for point in line:
        assert solar_elevation(*point, when) == pytest.approx(0, abs=0.01)
        assert arc(point, sun) == pytest.approx(90, abs=0.01)
    for point in night(when)[:-1]:
        assert -0.2 < solar_elevation(*point, when) < 0  # just inside the dark side


def test_in_june_the_north_pole_has_no_night_and_the_south_pole_no_day() -> None:
    when = datetime(2025, 6, 21, 0, 0, tzinfo=UTC)
    assert solar_elevation(0.0, 90.0, when) > 23
    assert solar_elevation(0.0, -90.0, when) < -23
    assert max(lat for _, lat in terminator(when)) == pytest.approx(90 - 23.44, abs=0.3)


def test_a_circle_runs_clockwise_round_its_centre() -> None:
    ring = circle((10.0, 20.0), 30.0, steps=4)
    north, east, south, west, back = ring
    assert north == (10.0, 50.0)
    assert east[0] > 10 and south == (10.0, -10.0) and west[0] < 10
    assert back == north

"""Spot times: clusters send only HHMMZ, so the date comes from when the line arrived."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

FUTURE_TOLERANCE = timedelta(minutes=10)
"""How far ahead of the received time a spot may be before it is taken to be yesterday's.

Node clocks drift by a minute or two: a spot sent at 2359Z and received at 0000Z is
yesterday's, and one stamped 0000Z by a fast clock and received at 2358Z is tomorrow's.
"""

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
_ONE_DAY = timedelta(days=1)
_MINUTES = tuple(timedelta(minutes=minute) for minute in range(24 * 60))


@lru_cache(maxsize=1024)
def _midnight(day: date) -> datetime:
    """UTC midnight of `day`, memoised: building a datetime from parts costs far more than
    the one addition `spot_time` then needs."""
    return datetime.combine(day, time(), tzinfo=UTC)


def spot_time(hour: int, minute: int, received_at: datetime) -> datetime:
    """Combine an HH:MM with the received date: the moment nearest the received time that
    is at most `FUTURE_TOLERANCE` after it (yesterday's, today's or tomorrow's)."""
    candidate = _midnight(received_at.date()) + _MINUTES[hour * 60 + minute]
    ahead = candidate - received_at
    if ahead > FUTURE_TOLERANCE:
        return candidate - _ONE_DAY
    if ahead <= FUTURE_TOLERANCE - _ONE_DAY:
        return candidate + _ONE_DAY
    return candidate


def parse_hhmm(text: str) -> tuple[int, int] | None:
    """Read `HHMM` (digits only); None when it is not a valid time of day."""
    if len(text) != 4 or not text.isdecimal():
        return None
    hour, minute = int(text[:2]), int(text[2:])
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def parse_cluster_date(text: str, received_at: datetime) -> date | None:
    """Read `27-Nov-2026` (or `27-Nov` with the year inferred from the received date).

    Returns None for anything that is not a real calendar date.
    """
    parts = text.split("-")
    if len(parts) not in (2, 3) or not parts[0].isdecimal():
        return None
    month = _MONTHS.get(parts[1].upper())
    if month is None:
        return None
    day = int(parts[0])
    try:
        if len(parts) == 3:
            if not parts[2].isdecimal() or len(parts[2]) != 4:
                return None
            return date(int(parts[2]), month, day)
        guess = date(received_at.year, month, day)
        if guess > received_at.date() + _ONE_DAY:
            guess = date(received_at.year - 1, month, day)
        return guess
    except ValueError:
        return None


def at_time(day: date, hour: int, minute: int) -> datetime:
    """The UTC datetime for a date and HH:MM."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)

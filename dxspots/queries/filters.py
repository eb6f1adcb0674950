"""The pieces of SQL every spot query shares: the time window and the spot filters.

Each filter adds a fixed SQL fragment with a bound parameter; only the fragments for the
filters given are joined, so PostgreSQL plans each combination on its own (an `IS NULL OR`
catch-all would hide the indexes). Every time filter is on `spot_time`, the partition key,
so only the months in the window are read. `matches` is the same filter in Python, for the
live stream's spots that are already in memory; tests hold the two to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import sql

from dxspots.bands import BAND_NAMES
from dxspots.queries.params import ParameterError, SpotFilters, Window

BAND_ORDER = list(BAND_NAMES)
"""Bound as `%(band_order)s` to sort bands by frequency: `array_position(...)`."""
BAND_RANK = sql.SQL("array_position(%(band_order)s::text[], band)")


@dataclass(frozen=True, slots=True)
class Span:
    """A resolved window: `since` <= spot_time < `until`; `live` when it ends now."""

    since: datetime
    until: datetime
    live: bool


def resolve_window(
    params: Window, now: datetime, default: timedelta, cap: timedelta | None, query: str
) -> Span:
    """Turn since/until/minutes/days into one window; `ParameterError` naming what is wrong."""
    live = params.until is None
    until = now if params.until is None else params.until
    given = [name for name in ("since", "minutes", "days") if getattr(params, name) is not None]
    if len(given) > 1:
        raise ParameterError(given[1], f"give one of since, minutes or days (got {given})")
    name = given[0] if given else "since"
    try:
        if params.since is not None:
            since = params.since
        elif params.minutes is not None:
            since = until - timedelta(minutes=params.minutes)
        elif params.days is not None:
            since = until - timedelta(days=params.days)
        else:
            since = until - default
    except OverflowError:
        raise ParameterError(name, "the window starts before year 1") from None
    if since >= until:
        raise ParameterError(name, f"the window must end after it starts ({since} >= {until})")
    if cap is not None and until - since > cap:
        raise ParameterError(
            name, f"{query} covers at most {_span_text(cap)}; ask for a shorter window"
        )
    return Span(since, until, live)


def _span_text(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440} days ({minutes} minutes)"
    return f"{minutes} minutes"


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def spot_conditions(
    params: SpotFilters, span: Span | None, values: dict[str, Any]
) -> list[sql.Composable]:
    """The WHERE conditions for `params`' filters (and the window), their values into `values`."""
    parts: list[sql.Composable] = []
    if span is not None:
        parts.append(sql.SQL("spot_time >= %(since)s AND spot_time < %(until)s"))
        values["since"], values["until"] = span.since, span.until
    simple = (
        ("band", "band = ANY(%(band)s)"),
        ("mode", "mode = ANY(%(mode)s)"),
        ("dx_call", "dx_call = ANY(%(dx_call)s)"),
        ("dx_continent", "dx_continent = ANY(%(dx_continent)s)"),
        ("spotter_continent", "spotter_continent = ANY(%(spotter_continent)s)"),
        ("node", "node = ANY(%(node)s)"),
    )
    for name, fragment in simple:
        value = getattr(params, name)
        if value:
            parts.append(sql.SQL(fragment))
            values[name] = list(value)
    if params.dx_prefix:
        parts.append(sql.SQL("dx_call LIKE ANY(%(dx_prefix)s)"))
        values["dx_prefix"] = [_like_prefix(prefix) for prefix in params.dx_prefix]
    if params.dx_entity:
        parts.append(sql.SQL("lower(dx_entity) = ANY(%(dx_entity)s)"))
        values["dx_entity"] = [entity.lower() for entity in params.dx_entity]
    if params.spotter:
        bases = [call for call in params.spotter if "-" not in call]
        exact = [call for call in params.spotter if "-" in call]
        either = []
        if bases:
            either.append(sql.SQL("spotter_base = ANY(%(spotter_base)s)"))
            values["spotter_base"] = bases
        if exact:
            either.append(sql.SQL("spotter = ANY(%(spotter)s)"))
            values["spotter"] = exact
        parts.append(sql.SQL("({})").format(sql.SQL(" OR ").join(either)))
    if params.skimmer is not None:
        parts.append(sql.SQL("is_skimmer = %(skimmer)s"))
        values["skimmer"] = params.skimmer
    return parts


def where(parts: list[sql.Composable]) -> sql.SQL | sql.Composed:
    """`WHERE a AND b`, or nothing."""
    if not parts:
        return sql.SQL("")
    return sql.SQL("WHERE ") + sql.SQL(" AND ").join(parts)


def matches(params: SpotFilters, spot: dict[str, Any]) -> bool:
    """Whether a spot row passes `params`' filters (not the window): `spot_conditions` in Python."""
    for name in ("band", "mode", "dx_call", "dx_continent", "spotter_continent", "node"):
        wanted = getattr(params, name)
        if wanted and spot.get(name) not in wanted:
            return False
    dx_call = spot.get("dx_call") or ""
    if params.dx_prefix and not dx_call.startswith(params.dx_prefix):
        return False
    if params.dx_entity:
        entity = spot.get("dx_entity")
        if entity is None or entity.lower() not in {e.lower() for e in params.dx_entity}:
            return False
    if params.spotter:
        base, spotter = spot.get("spotter_base"), spot.get("spotter")
        if not any((call == spotter) if "-" in call else (call == base) for call in params.spotter):
            return False
    return params.skimmer is None or spot.get("is_skimmer") == params.skimmer

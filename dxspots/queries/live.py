"""The queries of the live views: each band against its own normal, the DX board, the map.

Each is bounded: `band_normal` reads at most 31 hourly slots of `spot_hours`, `dx_board` and
`map_paths` at most a day of spots (default the last 30 minutes), with a row limit. Their
time filters are on `spot_time` (or `spot_hours.hour`), so only the months concerned are read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar

from psycopg import sql
from pydantic import AfterValidator, BeforeValidator, Field

from dxspots.queries.filters import BAND_ORDER, BAND_RANK, resolve_window, spot_conditions, where
from dxspots.queries.needed import NEEDED_JOIN, NEEDED_KINDS, NEEDED_SQL, Owner, needed_values
from dxspots.queries.params import (
    Band,
    DxContinent,
    Filters,
    Limited,
    Mode,
    Skimmer,
    SpotFilters,
    SpotterContinent,
    _iso,
    _single,
    _utc,
)
from dxspots.queries.statement import Built, Statement

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)

At = Annotated[
    datetime | None,
    BeforeValidator(_iso),
    AfterValidator(lambda v: None if v is None else _utc(v)),
    Field(default=None, description="The moment to judge, ISO 8601 (no offset: UTC); "
          "default now. Its UTC hour is compared with the same hour of the days before."),
]  # fmt: skip


class BandNormalParams(Limited):
    """Only the filters the hourly counts keep: anything else is an unknown parameter."""

    LIMIT_DEFAULT: ClassVar[int] = 100
    LIMIT_MAX: ClassVar[int] = 100
    band: Band = None
    mode: Mode = None
    spotter_continent: SpotterContinent = None
    dx_continent: DxContinent = None
    skimmer: Skimmer = None
    days: Annotated[
        int,
        BeforeValidator(_single),
        Field(ge=1, le=31, description="How many days before `at` to take the normal over "
              "(default 14, at most 31)."),
    ] = 14  # fmt: skip
    at: At = None


class DxBoardParams(Filters):
    LIMIT_DEFAULT: ClassVar[int] = 100
    LIMIT_MAX: ClassVar[int] = 1000
    owner: Owner = None


class MapPathsParams(Filters):
    LIMIT_DEFAULT: ClassVar[int] = 2000
    LIMIT_MAX: ClassVar[int] = 5000
    owner: Owner = None


def band_normal_slots(at: datetime, days: int) -> list[datetime]:
    """The hours a band's normal is taken over: `at`'s UTC hour on each of the `days` days
    before, newest first (the hour in progress is what is judged, so it is not among them)."""
    hour = at.replace(minute=0, second=0, microsecond=0)
    return [hour - day * _DAY for day in range(1, days + 1)]


def band_normal(p: BandNormalParams, now: datetime, fetch: int) -> Built:
    """Spots per 15 minutes each band has in this UTC hour on a usual day, from `spot_hours`.

    A day counts from the first hour the database has counts for (a young database has
    fewer days than asked); a counted day without spots on the band counts as zero. The
    extra `history` gives that count of days alone.
    """
    slots = band_normal_slots(p.at or now, p.days)
    values: dict[str, Any] = {"fetch": fetch, "band_order": BAND_ORDER, "slots": slots}
    filters = SpotFilters.model_construct(
        band=p.band, mode=p.mode, spotter_continent=p.spotter_continent,
        dx_continent=p.dx_continent, skimmer=p.skimmer,
    )  # fmt: skip
    # The hourly counts have the spots' column names: the spots' conditions apply (a listed
    # value is never '', the counts' unknown).
    parts: list[sql.Composable] = [sql.SQL("hour = ANY(%(slots)s::timestamptz[])")]
    parts += spot_conditions(filters, None, values)
    present = (
        "SELECT count(*)::int AS days FROM unnest(%(slots)s::timestamptz[]) AS slot"
        " WHERE slot >= (SELECT min(hour) FROM spot_hours)"
    )
    statement = sql.SQL(
        "WITH present AS (" + present + "),"
        " counts AS (SELECT NULLIF(band, '') AS band, hour, sum(spots)::bigint AS spots"
        "  FROM spot_hours {where} GROUP BY 1, 2)"
        " SELECT band, sum(spots)::float8 / present.days / 4 AS normal,"
        " max(spots)::float8 / 4 AS peak, present.days"
        " FROM counts, present GROUP BY band, present.days ORDER BY {rank}, band"
        " LIMIT %(fetch)s"
    ).format(where=where(parts), rank=BAND_RANK)
    # Days of history even when no band had spots in those hours (a quiet hour is history).
    history = Statement(sql.SQL(present), {"slots": slots})
    return Statement(statement, values), {"history": history}, p.at is None


def dx_board(p: DxBoardParams, now: datetime, fetch: int) -> Built:
    """One row per DX call and band in the window, newest first, with its latest spot's
    frequency, mode, comment and spotter."""
    values: dict[str, Any] = {"fetch": fetch}
    span = resolve_window(p, now, timedelta(minutes=30), _DAY, "dx_board")
    conditions = where(spot_conditions(p, span, values))
    latest_conditions = sql.SQL(" AND ").join(spot_conditions(p, span, {}))
    # The groups first (one pass over the window), then each group's latest spot by one
    # index probe (dx_call, spot_time): the row at its last_seen.
    statement = sql.SQL(
        "WITH groups AS (SELECT dx_call, band, count(*) AS spots,"
        "  count(DISTINCT spotter_base) AS spotters, min(spot_time) AS first_seen,"
        "  max(spot_time) AS last_seen, max(snr_db)::int AS best_snr,"
        "  bool_and(is_skimmer) AS is_skimmer_only"
        "  FROM spots {conditions} GROUP BY dx_call, band"
        "  ORDER BY last_seen DESC, dx_call, band LIMIT %(fetch)s)"
        " SELECT g.dx_call, g.band, l.freq_khz, l.mode, l.dx_entity, l.dx_continent, g.spots,"
        " g.spotters, g.first_seen, g.last_seen, g.best_snr, l.comment AS latest_comment,"
        " l.spotter AS latest_spotter, g.is_skimmer_only"
        " FROM groups g CROSS JOIN LATERAL (SELECT freq_khz, mode, dx_entity, dx_continent,"
        "  comment, spotter FROM spots WHERE dx_call = g.dx_call AND spot_time = g.last_seen"
        "  AND band IS NOT DISTINCT FROM g.band AND {latest}"
        "  ORDER BY id DESC LIMIT 1) l"
        " ORDER BY g.last_seen DESC, g.dx_call, g.band"
    ).format(conditions=conditions, latest=latest_conditions)
    if p.owner is not None:  # each row judged against the owner's log by its latest spot
        values |= needed_values(p.owner)
        statement = sql.SQL(
            "SELECT s.*, {} AS needed FROM ({}) AS s {}"
            " ORDER BY s.last_seen DESC, s.dx_call, s.band"
        ).format(sql.SQL(NEEDED_SQL), statement, sql.SQL(NEEDED_JOIN))
    return Statement(statement, values), {}, span.live


_PLACED = sql.SQL(
    "spotter_lat IS NOT NULL AND spotter_lon IS NOT NULL"
    " AND dx_lat IS NOT NULL AND dx_lon IS NOT NULL"
)


def map_paths(p: MapPathsParams, now: datetime, fetch: int) -> Built:
    """Spots as lines spotter -> DX, grouped by band and both ends to 0.1 degree, biggest
    first; `totals` says how many spots of the window had no coordinates and were left out."""
    values: dict[str, Any] = {"fetch": fetch, "band_order": BAND_ORDER}
    span = resolve_window(p, now, timedelta(minutes=30), _DAY, "map_paths")
    parts = spot_conditions(p, span, values)
    ends = ("spotter_lat", "spotter_lon", "dx_lat", "dx_lon")
    rounded = sql.SQL(", ").join(
        sql.SQL("round({}::numeric, 1)::float8 AS {}").format(sql.Identifier(n), sql.Identifier(n))
        for n in ends
    )
    judged: sql.Composable = sql.SQL("")
    needed: sql.Composable = sql.SQL("")
    source: sql.Composable = sql.SQL("spots")
    if p.owner is not None:  # a path is what its most wanted spot is for the owner's log
        values |= needed_values(p.owner) | {"kinds": list(NEEDED_KINDS)}
        judged, needed = (
            sql.SQL(", needed"),
            sql.SQL(
                ", (%(kinds)s::text[])[min(array_position(%(kinds)s::text[], {}))] AS needed"
            ).format(sql.SQL(NEEDED_SQL)),
        )
        source = sql.SQL("spots s {}").format(sql.SQL(NEEDED_JOIN))
    statement = sql.SQL(
        "SELECT band, spotter_lat, spotter_lon, dx_lat, dx_lon, spots, dx_calls,"
        " latest[1][1] AS dx_call, latest[1][2] AS spotter{judged} FROM ("
        "  SELECT band, {rounded}, count(*) AS spots, count(DISTINCT dx_call) AS dx_calls,"
        "  array_agg(ARRAY[dx_call, spotter] ORDER BY spot_time DESC, id DESC) AS latest"
        "  {needed} FROM {source} {where} GROUP BY 1, 2, 3, 4, 5) AS paths"
        " ORDER BY spots DESC, {rank}, spotter_lat, spotter_lon, dx_lat, dx_lon, band"
        " LIMIT %(fetch)s"
    ).format(
        rounded=rounded, where=where([*parts, _PLACED]), rank=BAND_RANK, judged=judged,
        needed=needed, source=source,
    )  # fmt: skip
    totals = sql.SQL(
        "SELECT count(*) AS spots, count(*) FILTER (WHERE NOT ({placed})) AS left_out"
        " FROM spots {where}"
    ).format(placed=_PLACED, where=where(parts))
    extras = {"totals": Statement(totals, values)}
    return Statement(statement, values), extras, span.live

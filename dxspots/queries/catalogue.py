"""The catalogue: every read query of dxspots, by name, with its parameters, SQL and row type.

The dashboard and the API both run these and nothing else, so they show the same numbers.
`plan(name, raw)` validates the parameters (raising `ParameterError` naming the bad one)
and returns the SQL to run; `dxspots.queries.run` runs it. Each query's docstring is the
description the API's OpenAPI document gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from psycopg import sql
from pydantic import AfterValidator, BeforeValidator, Field

from dxspots.db.nodestatus import SILENT_AFTER_S
from dxspots.queries import live, rows
from dxspots.queries.alertlog import AlertRulesParams, AlertsParams, alert_rules, alerts
from dxspots.queries.filters import (
    BAND_ORDER,
    BAND_RANK,
    Span,
    resolve_window,
    spot_conditions,
    where,
)
from dxspots.queries.messages import MessagesParams, message_cursor, messages
from dxspots.queries.needed import (
    NEEDED_JOIN,
    NEEDED_SQL,
    LogOwnersParams,
    Needed,
    NeededParams,
    Owner,
    log_owners,
    needed,
    needed_values,
)
from dxspots.queries.params import (
    CALL_PATTERN,
    Cursor,
    Filters,
    Limited,
    ParameterError,
    SpotFilters,
    Window,
    _single,
    decode_cursor,
    one_call,
    read_params,
)
from dxspots.queries.statement import Built, Statement
from dxspots.settings import SIMULATED_NODE

SPOT_COLUMNS = tuple(rows.SpotRow.__annotations__)
_SPOT_LIST = sql.SQL(", ").join(sql.Identifier(name) for name in SPOT_COLUMNS)


@dataclass(frozen=True, slots=True)
class Plan:
    """A query with validated parameters, ready to run."""

    query: Query
    params: Limited
    main: Statement
    limit: int
    extras: dict[str, Statement] = field(default_factory=dict)
    live: bool = True
    """The window ends now: a cached answer goes stale (an explicit past `until` does not)."""


@dataclass(frozen=True, slots=True)
class Query:
    """One named read query."""

    name: str
    params: type[Limited]
    row: type
    build: Callable[[Any, datetime, int], Built]
    doc: str
    paged: bool = False
    """Keyset-paged: the answer's `next` resumes after its last row."""
    extras: Mapping[str, tuple[type, bool]] = field(default_factory=dict)
    """Further parts of the JSON answer: name -> (row type, one row rather than a list)."""
    csv_limit_max: int | None = None
    """A higher row cap for CSV exports (streamed by COPY) than for JSON."""
    cursor_of: Callable[[dict[str, Any]], str] | None = None
    """A paged query's `next` for its last row (default: a spot's time and id)."""


# Parameter models ----------------------------------------------------------------------


class SpotsParams(Filters):
    LIMIT_DEFAULT: ClassVar[int] = 100
    LIMIT_MAX: ClassVar[int] = 1000
    cursor: Cursor = None
    owner: Owner = None
    needed: Needed = None


class SpotCountParams(Filters):
    LIMIT_DEFAULT: ClassVar[int] = 1
    LIMIT_MAX: ClassVar[int] = 1


class BandActivityParams(Filters):
    LIMIT_DEFAULT: ClassVar[int] = 10_000
    LIMIT_MAX: ClassVar[int] = 10_000
    bucket: Annotated[
        int | None,
        BeforeValidator(_single),
        Field(default=None, ge=1, le=1440, description="Bucket size in minutes (default: "
              "about 60 buckets over the window, on a round size)."),
    ] = None  # fmt: skip
    by: Annotated[
        Literal["band", "band_mode"],
        BeforeValidator(_single),
        Field(description="`band`: one row per band and bucket; `band_mode`: per band, mode "
              "and bucket."),
    ] = "band"  # fmt: skip


class HeatmapParams(Filters):
    LIMIT_DEFAULT: ClassVar[int] = 10_000
    LIMIT_MAX: ClassVar[int] = 10_000


class TopDxParams(Filters):
    LIMIT_DEFAULT: ClassVar[int] = 25
    LIMIT_MAX: ClassVar[int] = 1000
    by: Annotated[
        Literal["call", "entity"],
        BeforeValidator(_single),
        Field(description="`call`: most spotted calls; `entity`: most spotted DXCC entities."),
    ] = "call"


class TopSpottersParams(Filters):
    LIMIT_DEFAULT: ClassVar[int] = 25
    LIMIT_MAX: ClassVar[int] = 1000


class CallsignParams(Limited):
    LIMIT_DEFAULT: ClassVar[int] = 50
    LIMIT_MAX: ClassVar[int] = 1000
    dx_call: Annotated[
        str,
        BeforeValidator(_single),
        AfterValidator(one_call),
        Field(
            description="The spotted call whose history to show (required).",
            json_schema_extra={"pattern": CALL_PATTERN},
        ),
    ]
    cursor: Cursor = None
    owner: Owner = None


class NodesParams(Limited):
    LIMIT_DEFAULT: ClassVar[int] = 1000
    LIMIT_MAX: ClassVar[int] = 1000


class SolarParams(Window):
    LIMIT_DEFAULT: ClassVar[int] = 200
    LIMIT_MAX: ClassVar[int] = 2000


class SummaryParams(Limited):
    pass


# SQL builders ---------------------------------------------------------------------------

_BUCKETS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _after_cursor(cursor: str | None, values: dict[str, Any], parts: list[Any]) -> None:
    """Resume a newest-first list after the row a `next` cursor names."""
    if cursor is not None:
        values["after_time"], values["after_id"] = decode_cursor(cursor)
        parts.append(sql.SQL("(spot_time, id) < (%(after_time)s, %(after_id)s)"))


def _spots(p: SpotsParams, now: datetime, fetch: int) -> Built:
    values: dict[str, Any] = {"fetch": fetch}
    span = resolve_window(p, now, timedelta(days=1), None, "spots")
    parts = spot_conditions(p, span, values)
    _after_cursor(p.cursor, values, parts)
    if p.needed:
        if p.owner is None:
            raise ParameterError("needed", "needed spots are judged against a log: give owner")
        parts.append(sql.SQL("({}) = ANY(%(needed)s)").format(sql.SQL(NEEDED_SQL)))
        values["needed"] = list(p.needed)
    return Statement(_newest_spots(parts, values, p.owner), values), {}, span.live


def _newest_spots(
    parts: list[sql.Composable], values: dict[str, Any], owner: str | None
) -> sql.Composed:
    """The spots `parts` select, newest first, up to `%(fetch)s`; with `owner`, each judged
    against that log (dxspots.queries.needed) in a `needed` column."""
    if owner is None:
        return sql.SQL(
            "SELECT {} FROM spots {} ORDER BY spot_time DESC, id DESC LIMIT %(fetch)s"
        ).format(_SPOT_LIST, where(parts))
    values |= needed_values(owner)
    return sql.SQL(
        "SELECT {}, {} AS needed FROM spots s {} {} ORDER BY spot_time DESC, id DESC"
        " LIMIT %(fetch)s"
    ).format(_SPOT_LIST, sql.SQL(NEEDED_SQL), sql.SQL(NEEDED_JOIN), where(parts))


def _spot_count(p: SpotCountParams, now: datetime, fetch: int) -> Built:
    values: dict[str, Any] = {}
    span = resolve_window(p, now, timedelta(days=1), None, "spot_count")
    statement = sql.SQL("SELECT count(*) AS spots FROM spots {}").format(
        where(spot_conditions(p, span, values))
    )
    return Statement(statement, values), {}, span.live


def _band_activity(p: BandActivityParams, now: datetime, fetch: int) -> Built:
    values: dict[str, Any] = {"fetch": fetch, "band_order": BAND_ORDER, "origin": _EPOCH}
    span = resolve_window(p, now, timedelta(hours=1), timedelta(days=7), "band_activity")
    minutes = (span.until - span.since).total_seconds() / 60
    bucket = p.bucket or next((b for b in _BUCKETS if minutes / b <= 60), 1440)
    if minutes / bucket > 2000:
        raise ParameterError("bucket", f"{minutes / bucket:.0f} buckets: at most 2000; widen it")
    values["bucket"] = bucket
    mode = sql.SQL("mode" if p.by == "band_mode" else "NULL::text")
    # The distinct calls as groups of a hash aggregate (parallel, no sort of the window's
    # spots, which a count(DISTINCT) needs), then counted.
    statement = sql.SQL(
        "SELECT bucket, band, mode, sum(n)::bigint AS spots, count(*) AS dx_calls FROM ("
        "  SELECT date_bin(make_interval(mins => %(bucket)s), spot_time, %(origin)s) AS bucket,"
        "  band, {mode} AS mode, dx_call, count(*) AS n FROM spots {where}"
        "  GROUP BY 1, 2, 3, 4) AS calls"
        " GROUP BY 1, 2, 3 ORDER BY 1, {rank}, 3 LIMIT %(fetch)s"
    ).format(mode=mode, where=where(spot_conditions(p, span, values)), rank=BAND_RANK)
    return Statement(statement, values), {}, span.live


_HOUR = timedelta(hours=1)
_ROLLUP_FILTERS = {"band", "mode", "spotter_continent", "dx_continent", "skimmer"}
"""The filters `spot_hours` keeps: a heatmap with only these reads it instead of `spots`."""


def _whole_hours(span: Span) -> Span:
    """The window as whole UTC hours: ending with the hour `until` falls in, as many hours
    as it spans (rounded up), so that every hour of the day is counted once per day."""
    until = span.until.replace(minute=0, second=0, microsecond=0)
    if until != span.until:
        until += _HOUR
    hours = -(-(span.until - span.since) // _HOUR)
    return Span(until - hours * _HOUR, until, span.live)


def _heatmap(p: HeatmapParams, now: datetime, fetch: int) -> Built:
    values: dict[str, Any] = {"fetch": fetch, "band_order": BAND_ORDER}
    window = resolve_window(p, now, timedelta(days=7), timedelta(days=31), "band_hour_heatmap")
    span = _whole_hours(window)
    given = {name for name in SpotFilters.model_fields if getattr(p, name) is not None}
    if given <= _ROLLUP_FILTERS:
        # The hourly counts the writer keeps: the same answer from far fewer rows.
        # Its columns have the spots' names, so the spots' conditions apply (a listed value
        # is never '', the rollup's unknown).
        parts: list[sql.Composable] = [sql.SQL("hour >= %(since)s AND hour < %(until)s")]
        values["since"], values["until"] = span.since, span.until
        parts += spot_conditions(p, None, values)
        statement = sql.SQL(
            "SELECT * FROM (SELECT NULLIF(band, '') AS band,"
            " extract(hour FROM hour AT TIME ZONE 'UTC')::int AS hour,"
            " sum(spots)::bigint AS spots FROM spot_hours {} GROUP BY 1, 2) AS counts"
            " ORDER BY {}, 2 LIMIT %(fetch)s"
        ).format(where(parts), BAND_RANK)
        return Statement(statement, values), {}, window.live
    statement = sql.SQL(
        "SELECT band, extract(hour FROM spot_time AT TIME ZONE 'UTC')::int AS hour,"
        " count(*) AS spots FROM spots {} GROUP BY 1, 2 ORDER BY {}, 2 LIMIT %(fetch)s"
    ).format(where(spot_conditions(p, span, values)), BAND_RANK)
    return Statement(statement, values), {}, window.live


def _paths(p: Filters, now: datetime, fetch: int) -> Built:
    values: dict[str, Any] = {"fetch": fetch, "band_order": BAND_ORDER}
    span = resolve_window(p, now, timedelta(minutes=30), timedelta(days=1), "paths")
    parts = spot_conditions(p, span, values)
    parts.append(sql.SQL("spotter_continent IS NOT NULL AND dx_continent IS NOT NULL"))
    statement = sql.SQL(
        "SELECT spotter_continent, dx_continent, band, count(*) AS spots,"
        " count(DISTINCT dx_call) AS dx_calls, count(DISTINCT spotter_base) AS spotters,"
        " max(spot_time) AS last_spot FROM spots {} GROUP BY 1, 2, 3"
        " ORDER BY 1, 2, {} LIMIT %(fetch)s"
    ).format(where(parts), BAND_RANK)
    return Statement(statement, values), {}, span.live


_BANDS_TEXT = sql.SQL(
    "coalesce((SELECT string_agg(b, ',' ORDER BY array_position(%(band_order)s::text[], b))"
    " FROM unnest(array_agg(DISTINCT band)) AS b), '') AS bands"
)
"""The bands a group was spotted on, comma-separated, in frequency order (160m before 10m)."""


def _top_dx(p: TopDxParams, now: datetime, fetch: int) -> Built:
    values: dict[str, Any] = {"fetch": fetch, "band_order": BAND_ORDER}
    span = resolve_window(p, now, timedelta(hours=1), timedelta(days=7), "top_dx")
    parts = spot_conditions(p, span, values)
    if p.by == "call":
        # Ranked first by plain counts (which PostgreSQL can aggregate in parallel, with no
        # sort of the window's spots), then the distinct spotters and bands counted for the
        # `fetch` calls ranked only, each from the index on (dx_call, spot_time): exact, and
        # bounded by those calls' spots in the window.
        statement = sql.SQL(
            "SELECT r.dx_call, r.dx_entity, r.dx_continent, r.spots, d.spotters,"
            " 1::bigint AS dx_calls, d.bands, r.last_spot"
            " FROM (SELECT dx_call, max(dx_entity) AS dx_entity,"
            "   max(dx_continent) AS dx_continent, count(*) AS spots,"
            "   max(spot_time) AS last_spot FROM spots {where} GROUP BY dx_call"
            "   ORDER BY spots DESC, dx_call LIMIT %(fetch)s) AS r"
            " CROSS JOIN LATERAL (SELECT count(DISTINCT spotter_base) AS spotters, {bands}"
            "   FROM spots {where} AND dx_call = r.dx_call) AS d"
            " ORDER BY r.spots DESC, r.dx_call"
        ).format(bands=_BANDS_TEXT, where=where(parts))
        return Statement(statement, values), {}, span.live
    # By entity the groups are few, and ranking them first then passing over the window
    # again measured slower (3M spots: 707 ms against 337 ms): one aggregation.
    parts.append(sql.SQL("dx_entity IS NOT NULL"))
    statement = sql.SQL(
        "SELECT NULL::text AS dx_call, dx_entity, max(dx_continent) AS dx_continent,"
        " count(*) AS spots, count(DISTINCT spotter_base) AS spotters,"
        " count(DISTINCT dx_call) AS dx_calls, {bands}, max(spot_time) AS last_spot"
        " FROM spots {where} GROUP BY dx_entity ORDER BY spots DESC, dx_entity LIMIT %(fetch)s"
    ).format(bands=_BANDS_TEXT, where=where(parts))
    return Statement(statement, values), {}, span.live


def _detail(
    key: sql.Composable, distinct: tuple[str, ...], parts: list[sql.Composable]
) -> sql.Composed:
    """The distinct counts of `distinct` columns and the bands of the groups `ranked` (a CTE
    with a column `key`) holds, over the spots `parts` select: one pass, each distinct
    count made as the groups of a hash aggregate (grouping sets), for those groups only."""
    sets = sql.SQL(", ").join(
        sql.SQL("(1, {})").format(sql.Identifier(name)) for name in (*distinct, "band")
    )
    counts = sql.SQL(", ").join(
        sql.SQL("count({0}) AS {0}").format(sql.Identifier(name)) for name in distinct
    )
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in (*distinct, "band"))
    # In each grouping set the columns not grouped are NULL, so count(column) counts the
    # groups of its own set: its distinct non-NULL values, as count(DISTINCT column) does.
    return sql.SQL(
        "SELECT key, {counts}, coalesce(string_agg(band, ',' ORDER BY"
        " array_position(%(band_order)s::text[], band)), '') AS bands FROM ("
        "  SELECT coalesce({key}, '') AS key, {columns} FROM spots {where}"
        "  AND coalesce({key}, '') IN (SELECT coalesce(key, '') FROM ranked)"
        "  GROUP BY GROUPING SETS ({sets})) AS g GROUP BY key"
    ).format(counts=counts, key=key, columns=columns, where=where(parts), sets=sets)


def _top_spotters(p: TopSpottersParams, now: datetime, fetch: int) -> Built:
    values: dict[str, Any] = {"fetch": fetch, "band_order": BAND_ORDER}
    span = resolve_window(p, now, timedelta(hours=1), timedelta(days=7), "top_spotters")
    parts = spot_conditions(p, span, values)
    # Ranked by plain counts (parallel, no sort), then the distinct calls and the bands of
    # the ranked spotters only.
    ranked = sql.SQL(
        "SELECT spotter_base AS key, max(spotter_entity) AS spotter_entity,"
        " max(spotter_continent) AS spotter_continent, bool_or(is_skimmer) AS is_skimmer,"
        " count(*) AS spots, max(spot_time) AS last_spot FROM spots {where}"
        " GROUP BY spotter_base ORDER BY spots DESC, spotter_base LIMIT %(fetch)s"
    ).format(where=where(parts))
    statement = sql.SQL(
        "WITH ranked AS ({ranked}) SELECT r.key AS spotter, r.spotter_entity,"
        " r.spotter_continent, r.is_skimmer, r.spots, d.dx_call AS dx_calls, d.bands,"
        " r.last_spot FROM ranked r JOIN ({detail}) AS d ON d.key = coalesce(r.key, '')"
        " ORDER BY r.spots DESC, r.key"
    ).format(ranked=ranked, detail=_detail(sql.SQL("spotter_base"), ("dx_call",), parts))
    return Statement(statement, values), {}, span.live


def _callsign(p: CallsignParams, now: datetime, fetch: int) -> Built:
    values: dict[str, Any] = {"fetch": fetch, "dx_call": p.dx_call}
    parts: list[sql.Composable] = [sql.SQL("dx_call = %(dx_call)s")]
    _after_cursor(p.cursor, values, parts)
    recent = _newest_spots(parts, values, p.owner)
    one = {"dx_call": p.dx_call, "band_order": BAND_ORDER}
    # From the call's rollups (migration 0012): O(days it was active), not O(its spots),
    # and still whole after raw partitions are dropped. The entity and continent are those
    # of the day-row holding the latest spot.
    summary = sql.SQL(
        "SELECT %(dx_call)s::text AS dx_call, NULLIF(latest.dx_entity, '') AS dx_entity,"
        " NULLIF(latest.dx_continent, '') AS dx_continent, t.first_seen, t.last_seen,"
        " t.spots, (SELECT count(*) FROM call_spotters WHERE dx_call = %(dx_call)s"
        "   AND spotter_base <> '' AND spots > 0) AS spotters"
        " FROM (SELECT min(first_spot) AS first_seen, max(last_spot) AS last_seen,"
        "   coalesce(sum(spots), 0)::bigint AS spots FROM call_days"
        "   WHERE dx_call = %(dx_call)s) AS t"
        " LEFT JOIN LATERAL (SELECT dx_entity, dx_continent FROM call_days"
        "   WHERE dx_call = %(dx_call)s ORDER BY last_spot DESC, dx_entity DESC LIMIT 1)"
        " AS latest ON true"
    )

    def counted(column: str, order: sql.Composable) -> Statement:
        text = sql.SQL(
            "SELECT * FROM (SELECT NULLIF({col}, '') AS value, sum(spots)::bigint AS spots,"
            " max(last_spot) AS last_spot FROM call_days WHERE dx_call = %(dx_call)s"
            " GROUP BY 1) AS counts ORDER BY {order}"
        ).format(col=sql.Identifier(column), order=order)
        return Statement(text, one)

    extras = {
        "summary": Statement(summary, one),
        "bands": counted("band", sql.SQL("array_position(%(band_order)s::text[], value)")),
        "modes": counted("mode", sql.SQL("spots DESC, value")),
        "spotter_continents": counted("spotter_continent", sql.SQL("spots DESC, value")),
    }
    return Statement(recent, values), extras, True


def _nodes(p: NodesParams, now: datetime, fetch: int) -> Built:
    gap_columns = ("gaps_24h", "missed_24h", "last_gap_from", "last_gap_to")
    columns = sql.SQL(", ").join(
        sql.Identifier("n", name) for name in rows.NodeRow.__annotations__
        if name not in gap_columns
    )  # fmt: skip
    statement = sql.SQL(
        "SELECT {}, g.gaps_24h, g.missed_24h, g.last_gap_from, g.last_gap_to"
        " FROM node_status n LEFT JOIN LATERAL ("
        "  SELECT count(*)::int AS gaps_24h, coalesce(sum(missed), 0)::bigint AS missed_24h,"
        "   (array_agg(gap_from ORDER BY found_at DESC))[1] AS last_gap_from,"
        "   (array_agg(gap_to ORDER BY found_at DESC))[1] AS last_gap_to"
        "  FROM collector_gaps WHERE node = n.node AND found_at > now() - interval '1 day'"
        " ) g ON true ORDER BY n.node LIMIT %(fetch)s"
    ).format(columns)
    collectors = sql.SQL("SELECT {} FROM collector_status ORDER BY collector").format(
        sql.SQL(", ").join(sql.Identifier(n) for n in rows.CollectorRow.__annotations__)
    )
    extras = {"collectors": Statement(collectors, {})}
    return Statement(statement, {"fetch": fetch}), extras, True


def _solar(p: SolarParams, now: datetime, fetch: int) -> Built:
    span = resolve_window(p, now, timedelta(days=1), timedelta(days=31), "solar")
    columns = sql.SQL(", ").join(sql.Identifier(n) for n in rows.SolarRow.__annotations__)
    values = {"fetch": fetch, "since": span.since, "until": span.until}
    recent = sql.SQL(
        "SELECT {} FROM solar_reports WHERE report_time >= %(since)s AND report_time < %(until)s"
        " ORDER BY report_time DESC, kind LIMIT %(fetch)s"
    ).format(columns)
    latest = sql.SQL(
        "SELECT {} FROM (SELECT DISTINCT ON (kind) * FROM solar_reports"
        " WHERE report_time < %(until)s ORDER BY kind, report_time DESC) AS latest ORDER BY kind"
    ).format(columns)
    extras = {"latest": Statement(latest, {"until": span.until})}
    return Statement(recent, values), extras, span.live


def _next_hour(moment: datetime) -> datetime:
    """The first whole UTC hour at or after `moment`."""
    moment = moment.astimezone(UTC)
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + _HOUR


def _summary(p: SummaryParams, now: datetime, fetch: int) -> Built:
    day = now - timedelta(days=1)
    # The last hour and day each as the rest of its first hour from the spots, then whole
    # hours from the hourly counts (every hour from that one on: no end); the day's distinct
    # calls and spotters from the day rollups (0014): a row of the first day counts when its
    # last spot is in the window, a row of any later day always. Exact, and read from a few
    # thousand rows however many spots the day had.
    hour = now - _HOUR
    values = {
        "hour": hour, "hour_next": _next_hour(hour), "day": day, "day_hour": _next_hour(day),
        "first_day": day.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0),
        "simulator": SIMULATED_NODE, "reported": now - timedelta(seconds=SILENT_AFTER_S),
    }  # fmt: skip
    counted = (
        "((SELECT count(*) FROM spots WHERE spot_time >= %({0})s AND spot_time < %({1})s)"
        " + (SELECT coalesce(sum(spots), 0) FROM spot_hours WHERE hour >= %({1})s))"
    )
    active = (
        "(SELECT count(DISTINCT {0}) FROM {1} WHERE day >= %(first_day)s"
        " AND (day > %(first_day)s OR last_spot >= %(day)s){2})"
    )
    calls = active.format("dx_call", "dx_days", "")
    spotters = active.format("spotter_base", "spotter_days", " AND spotter_base <> ''")
    statement = sql.SQL(
        "SELECT (SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint FROM pg_inherits i"
        "        JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'spots'::regclass)"
        "        AS spots_estimate,"
        f" {counted.format('hour', 'hour_next')} AS spots_last_hour,"
        f" {counted.format('day', 'day_hour')} AS spots_last_day,"
        f" {calls} AS dx_calls_last_day, {spotters} AS spotters_last_day,"
        " (SELECT min(spot_time) FROM spots) AS first_spot,"
        " (SELECT max(spot_time) FROM spots) AS last_spot,"
        " (SELECT count(*) FROM node_status) AS nodes,"
        " (SELECT count(*) FROM node_status WHERE logged_in"
        "         AND updated_at > now() - interval '1 minute') AS nodes_logged_in,"
        " (SELECT count(*) FROM rejected_lines WHERE received_at >= %(day)s) AS rejected_last_day,"
        # The built-in simulated node, logged in and reported lately: the data are not real.
        " EXISTS (SELECT FROM node_status WHERE node = %(simulator)s AND logged_in"
        "         AND updated_at > %(reported)s) AS simulated,"
        # The collector that reported last runs without a country file: no entities.
        " coalesce((SELECT country_file IS NULL FROM collector_status"
        "           ORDER BY updated_at DESC LIMIT 1), false) AS country_file_missing,"
        # By the partial index of the spots without an entity (0014).
        " (SELECT count(*) FROM spots WHERE spot_time >= %(day)s AND dx_entity IS NULL)"
        "  AS spots_without_entity_last_day"
    )
    return Statement(statement, values), {}, True


def _query(name: str, params: type[Limited], row: type, build: Any, **more: Any) -> Query:
    return Query(name, params, row, build, **more)


_SPOTS_DOC = (
    "Spots, newest first, filtered; keyset-paged (`next`). Window: `since`/`minutes`/`days` "
    "(default the last day), no cap: `limit` bounds the page."
)
CATALOGUE: dict[str, Query] = {
    q.name: q
    for q in (
        _query("spots", SpotsParams, rows.SpotRow, _spots, doc=_SPOTS_DOC, paged=True,
               csv_limit_max=1_000_000),
        _query("spot_count", SpotCountParams, rows.SpotCountRow, _spot_count,
               doc="How many spots pass the filters in the window (default the last day, no "
               "cap): what an export of `spots` with the same parameters would hold."),
        _query("band_activity", BandActivityParams, rows.BandActivityRow, _band_activity,
               doc="Spots and distinct DX calls per band (and mode, `by=band_mode`) per time "
               "bucket. Window default the last hour, at most 7 days."),
        _query("band_hour_heatmap", HeatmapParams, rows.HeatmapRow, _heatmap,
               doc="Spots per band per UTC hour of the day over the window's whole UTC hours "
               "(default the last 7 days, at most 31); read from the hourly counts when the "
               "filters are among band, mode, continents and skimmer."),
        _query("paths", Filters, rows.PathRow, _paths,
               doc="Spotter continent to DX continent per band: which bands are open between "
               "where. Window default the last 30 minutes, at most a day."),
        _query("top_dx", TopDxParams, rows.TopDxRow, _top_dx,
               doc="The most spotted DX calls (or DXCC entities, `by=entity`). Window default "
               "the last hour, at most 7 days."),
        _query("top_spotters", TopSpottersParams, rows.TopSpotterRow, _top_spotters,
               doc="The spotters (base calls) with the most spots. Window default the last "
               "hour, at most 7 days."),
        _query("callsign", CallsignParams, rows.SpotRow, _callsign, paged=True,
               doc="One DX call's history: `summary` (first and last seen, totals), `bands`, "
               "`modes`, `spotter_continents`, and its spots newest first as `items` (paged).",
               extras={"summary": (rows.CallSummaryRow, True), "bands": (rows.CountRow, False),
                       "modes": (rows.CountRow, False),
                       "spotter_continents": (rows.CountRow, False)}),
        _query("nodes", NodesParams, rows.NodeRow, _nodes,
               doc="The collector's nodes: connected, logged in, last line, counts, lines per "
               "minute; and each collector's spool and queue as `collectors`.",
               extras={"collectors": (rows.CollectorRow, False)}),
        _query("solar", SolarParams, rows.SolarRow, _solar,
               doc="WWV and WCY reports in the window (default the last day, at most 31), "
               "newest first, and the `latest` of each kind.",
               extras={"latest": (rows.SolarRow, False)}),
        _query("summary", SummaryParams, rows.SummaryRow, _summary,
               doc="Totals: stored spots (an estimate), exact counts of the last hour and "
               "day, nodes logged in, lines rejected in the last day; whether the data come "
               "from the built-in simulated node (`simulated`), whether the collector runs "
               "without a country file (`country_file_missing`), and how many of the last "
               "day's spots have no DXCC entity."),
        _query("band_normal", live.BandNormalParams, rows.BandNormalRow, live.band_normal,
               doc="Each band's normal for this UTC hour of the day: mean and peak spots per "
               "15 minutes in the same hour over the `days` days before `at` (default 14, at "
               "most 31; days without spots count as zero), from the hourly counts; `days` "
               "per row says how many days there were, and `history` says it when no band "
               "had spots then. Filters: band, mode, continents, skimmer.",
               extras={"history": (rows.BandNormalHistoryRow, True)}),
        _query("messages", MessagesParams, rows.MessageRow, messages, paged=True,
               cursor_of=message_cursor,
               doc="Announcements (to ALL and LOCAL), talk and WX messages, newest first, "
               "keyset-paged (`next`). Window default the last day, at most 31 days."),
        _query("needed", NeededParams, rows.NeededRow, needed,
               doc="What is on the air that `owner`'s log needs (imported with `dxspots log "
               "import`): one row per DX call, band and mode class, as `entity` (never "
               "worked), `band` or `mode` (new for the entity), or `unconfirmed`, entities "
               "first; `needed` narrows to some kinds. Window default the last 30 minutes, "
               "at most a day."),
        _query("log_owners", LogOwnersParams, rows.LogOwnerRow, log_owners,
               doc="The owners of imported logs (`dxspots log import --owner`): QSOs, "
               "confirmed QSOs, distinct entities worked and confirmed, last import."),
        _query("alert_rules", AlertRulesParams, rows.AlertRuleRow, alert_rules,
               doc="The alert rules `dxspots alerts` runs, in their file's order, as it "
               "loaded them at its start: conditions in words, channels by service name "
               "(never a URL), cool-down."),
        _query("alerts", AlertsParams, rows.AlertRow, alerts,
               doc="Alerts, newest first, one row per alert and channel: `sent`, `given up` "
               "after every try, `dropped` (the channel's queue was full) or `abandoned` "
               "(not sent when the process stopped), with the spot. Window default the "
               "last day, at most 31 days (as long as they are kept)."),
        _query("dx_board", live.DxBoardParams, rows.DxBoardRow, live.dx_board,
               doc="One row per DX call and band, newest first: spots, distinct spotters, "
               "first and last seen, best SNR, the latest frequency, mode, comment and "
               "spotter, and whether only skimmers heard it. Window default the last 30 "
               "minutes, at most a day."),
        _query("map_paths", live.MapPathsParams, rows.MapPathRow, live.map_paths,
               doc="Spots as lines spotter -> DX for a map: per band and both ends to 0.1 "
               "degree, biggest first, with a sample DX call and spotter (the latest); "
               "`totals` gives the window's spots and how many were left out for want of "
               "coordinates. Window default the last 30 minutes, at most a day.",
               extras={"totals": (rows.MapTotalsRow, True)}),
    )
}  # fmt: skip


READY_CHECK = Statement(sql.SQL("SELECT 1"), {})
"""What `/readyz` runs: the database answers."""
LATEST_SPOT_ID = Statement(sql.SQL("SELECT coalesce(max(id), 0) AS id FROM spots"), {})
"""The newest spot's storage number: where a live stream starts."""


def new_spots(after_id: int, limit: int, filters: SpotFilters | None = None) -> Statement:
    """Spots stored after `after_id`, in storage order, optionally filtered (live stream)."""
    values: dict[str, Any] = {"after_id": after_id, "fetch": limit}
    parts: list[sql.Composable] = [sql.SQL("id > %(after_id)s")]
    if filters is not None:
        parts += spot_conditions(filters, None, values)
    statement = sql.SQL("SELECT {} FROM spots {} ORDER BY id LIMIT %(fetch)s").format(
        _SPOT_LIST, where(parts)
    )
    return Statement(statement, values)


def all_spots(raw: Mapping[str, Any], *, now: datetime | None = None) -> tuple[Statement, Plan]:
    """Every spot the filters and window select, oldest first, no row cap (`dxspots export`).

    Takes the parameters of `spots` but `limit` and `cursor`; returns the statement and the
    `spot_count` plan that says how many rows it will give. `ParameterError` as `plan`.
    """
    for name in ("limit", "cursor"):
        if raw.get(name) is not None:
            raise ParameterError(name, "an export has every row: no limit or cursor")
    params = read_params(SpotCountParams, raw)
    values: dict[str, Any] = {}
    span = resolve_window(params, now or datetime.now(UTC), timedelta(days=1), None, "export")
    statement = sql.SQL("SELECT {} FROM spots {} ORDER BY spot_time, id").format(
        _SPOT_LIST, where(spot_conditions(params, span, values))
    )
    fixed = {k: v for k, v in raw.items() if k not in ("minutes", "days")}
    fixed |= {"since": span.since, "until": span.until}
    return Statement(statement, values), plan("spot_count", fixed, now=now)


def plan(
    name: str, raw: Mapping[str, Any], *, now: datetime | None = None, csv: bool = False
) -> Plan:
    """Validate `raw` for the query `name` and return what to run.

    Raises `KeyError` for an unknown query and `ParameterError` for a bad parameter.
    """
    query = CATALOGUE[name]
    params = read_params(query.params, raw)
    limit = params.row_limit(query.csv_limit_max if csv and query.csv_limit_max else None)
    fetch = limit + 1 if query.paged and not csv else limit
    moment = now or datetime.now(UTC)
    main, extras, live = query.build(params, moment, fetch)
    return Plan(query, params, main, limit, extras, live)

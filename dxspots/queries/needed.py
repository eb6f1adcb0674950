"""What a spot would be for an owner's log: a new entity, a new band or mode for the entity,
a chance to confirm it, or nothing new (`log_slots`, migration 0015, made by `dxspots log
import`).

Judged in this order, as DXCC awards count (per entity: any band and mode for Mixed; per band
for the band awards; per mode class for CW, Phone and Digital):

- `entity`: no QSO with the spot's entity;
- `band`: none with the entity on the spot's band;
- `mode`: none with the entity in the spot's mode class (CW, phone, data);
- `unconfirmed`: worked on that band and in that class, but no confirmation on that band or
  none in that class (a QSO now would bring one);
- nothing (NULL): all of that is worked and confirmed, or the spot has no entity.

`NEEDED_SQL` classifies each row of a query over `spots s` joined to `NEEDED_JOIN` (one index
probe of `log_slots` per row); the owner is bound as `%(owner)s`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar

from psycopg import sql
from pydantic import AfterValidator, BeforeValidator, Field

from dxspots.logbook import PHONE_MODES
from dxspots.queries.filters import BAND_ORDER, BAND_RANK, resolve_window, spot_conditions, where
from dxspots.queries.params import (
    CALL_PATTERN,
    Filters,
    Limited,
    _each,
    _single,
    _split,
    one_call,
    shown,
)
from dxspots.queries.statement import Built, Statement

NEEDED_KINDS = ("entity", "band", "mode", "unconfirmed")
NEEDED_WORDS = {"entity": "new one", "band": "new band", "mode": "new mode",
                "unconfirmed": "to confirm"}  # fmt: skip
"""Each kind in words, for people (tables, alerts)."""

MODE_CLASS_SQL = (
    "CASE WHEN s.mode IS NULL THEN NULL WHEN s.mode = 'CW' THEN 'CW'"
    " WHEN s.mode = ANY(%(phone_modes)s) THEN 'PHONE' ELSE 'DATA' END"
)
"""A spot's mode class, as `dxspots.logbook.mode_class` gives it for its (canonical) mode."""

NEEDED_JOIN = (
    " LEFT JOIN LATERAL (SELECT count(*) AS slots,"
    " coalesce(bool_or(w.band = s.band), false) AS band_worked,"
    f" coalesce(bool_or(w.mode_class = {MODE_CLASS_SQL}), false) AS mode_worked,"
    " coalesce(bool_or(w.band = s.band AND w.confirmed), false) AS band_confirmed,"
    f" coalesce(bool_or(w.mode_class = {MODE_CLASS_SQL} AND w.confirmed), false)"
    "   AS mode_confirmed"
    " FROM log_slots w WHERE w.owner = %(owner)s AND w.dx_entity = s.dx_entity) AS worked ON true"
)
NEEDED_SQL = (
    "CASE WHEN s.dx_entity IS NULL THEN NULL WHEN worked.slots = 0 THEN 'entity'"
    " WHEN s.band IS NOT NULL AND NOT worked.band_worked THEN 'band'"
    f" WHEN ({MODE_CLASS_SQL}) IS NOT NULL AND NOT worked.mode_worked THEN 'mode'"
    " WHEN (s.band IS NOT NULL AND NOT worked.band_confirmed)"
    f"   OR (({MODE_CLASS_SQL}) IS NOT NULL AND NOT worked.mode_confirmed) THEN 'unconfirmed'"
    " END"
)


def check_kinds(values: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for value in values:
        kind = value.strip().lower()
        if kind not in NEEDED_KINDS:
            raise ValueError(f"{shown(value)} is not one of {', '.join(NEEDED_KINDS)}")
        out.append(kind)
    return tuple(dict.fromkeys(out))


Owner = Annotated[
    str | None,
    BeforeValidator(_single),
    AfterValidator(lambda v: None if v is None else one_call(v)),
    Field(default=None, description="Whose log to judge the spots against (the owner given "
          "to `dxspots log import`): adds `needed` to each row.",
          json_schema_extra={"pattern": CALL_PATTERN}),
]  # fmt: skip
Needed = Annotated[
    tuple[str, ...] | None,
    BeforeValidator(_split),
    _each(check_kinds),
    Field(default=None, max_length=4, description="Only spots that are these for the owner: "
          "`entity`, `band`, `mode`, `unconfirmed` (comma-separated); needs `owner`."),
]  # fmt: skip


def needed_values(owner: str) -> dict[str, Any]:
    """The values `NEEDED_JOIN` and `NEEDED_SQL` bind."""
    return {"owner": owner, "phone_modes": sorted(PHONE_MODES)}


class NeededParams(Filters):
    LIMIT_DEFAULT: ClassVar[int] = 200
    LIMIT_MAX: ClassVar[int] = 2000
    owner: Annotated[
        str,
        BeforeValidator(_single),
        AfterValidator(one_call),
        Field(description="Whose log to judge the spots against (required): the owner given "
              "to `dxspots log import`.", json_schema_extra={"pattern": CALL_PATTERN}),
    ]  # fmt: skip
    needed: Needed = None


def needed(p: NeededParams, now: datetime, fetch: int) -> Built:
    """What is on the air that the owner needs: one row per DX call, band and mode class
    with what it would be; `entity` first, then `band`, `mode`, `unconfirmed`, and within a
    kind by entity, band (in frequency order) and the newest spot."""
    values: dict[str, Any] = {"fetch": fetch, "band_order": BAND_ORDER, "kinds": list(NEEDED_KINDS)}
    values |= needed_values(p.owner)
    span = resolve_window(p, now, timedelta(minutes=30), timedelta(days=1), "needed")
    parts = spot_conditions(p, span, values)
    kinds = sql.SQL("")
    if p.needed:
        values["needed"] = list(p.needed)
        kinds = sql.SQL(" AND needed = ANY(%(needed)s)")
    statement = sql.SQL(
        "SELECT * FROM (SELECT s.dx_call, s.dx_entity, max(s.dx_continent) AS dx_continent,"
        " s.band, {cls} AS mode_class, {needed} AS needed, count(*) AS spots,"
        " count(DISTINCT s.spotter_base) AS spotters, max(s.spot_time) AS last_spot,"
        " (array_agg(s.freq_khz ORDER BY s.spot_time DESC, s.id DESC))[1] AS freq_khz,"
        " (array_agg(s.mode ORDER BY s.spot_time DESC, s.id DESC))[1] AS mode,"
        " (array_agg(s.comment ORDER BY s.spot_time DESC, s.id DESC))[1] AS comment"
        " FROM spots s {join} {where} GROUP BY 1, 2, 4, 5, 6) AS calls"
        " WHERE needed IS NOT NULL{kinds}"
        " ORDER BY array_position(%(kinds)s::text[], needed), dx_entity, {rank}, last_spot DESC,"
        " dx_call LIMIT %(fetch)s"
    ).format(
        cls=sql.SQL(MODE_CLASS_SQL), needed=sql.SQL(NEEDED_SQL), join=sql.SQL(NEEDED_JOIN),
        where=where(parts), kinds=kinds, rank=BAND_RANK,
    )  # fmt: skip
    return Statement(statement, values), {}, span.live


class LogOwnersParams(Limited):
    LIMIT_DEFAULT: ClassVar[int] = 100
    LIMIT_MAX: ClassVar[int] = 1000


def log_owners(p: LogOwnersParams, now: datetime, fetch: int) -> Built:
    """The owners of imported logs, with their QSOs, entities and last import."""
    statement = sql.SQL(
        "SELECT owner, count(*) AS qsos, count(*) FILTER (WHERE confirmed) AS confirmed,"
        " count(DISTINCT dx_entity) AS entities,"
        " count(DISTINCT dx_entity) FILTER (WHERE confirmed) AS entities_confirmed,"
        " max(imported_at) AS last_import FROM log_qsos GROUP BY owner ORDER BY owner"
        " LIMIT %(fetch)s"
    )
    return Statement(statement, {"fetch": fetch}), {}, True


def judge_spots(owner: str, ids: list[int], since: datetime) -> Statement:
    """What each of the stored spots `ids` (none older than `since`) is for `owner`'s log:
    rows of `id` and `needed` (NULL: nothing new). For the alerts process."""
    values = needed_values(owner) | {"ids": ids, "since": since}
    statement = sql.SQL(
        "SELECT s.id, {} AS needed FROM spots s {} WHERE s.id = ANY(%(ids)s)"
        " AND s.spot_time >= %(since)s"
    ).format(sql.SQL(NEEDED_SQL), sql.SQL(NEEDED_JOIN))
    return Statement(statement, values)

"""Re-enrich stored spots that have no DXCC entity, with the country file loaded now.

Spots stored while there was no country file (a first run, offline), or before the file knew
their prefix, have no entity, continent or zone for the DX station, the spotter or both. This
fills them in with the same code the write path enriches with (`Enricher.enrich`), in
batches of `BATCH_ROWS` spots in order of (spot_time, id), each batch one transaction: the
changed rows, the hourly counts (`spot_hours` counts by continent, so a spot whose
continents change moves from one count to another), the changed calls' days in `call_days`
(keyed on continents and entity: made again from the spots) and the progress row
(`reenrich_progress`, migration 0011). An interrupted run continues after the last batch that
committed; a run for another country file (another version or content), or after a finished
one (spots stored since may lack entities), starts again from the oldest spot. `pending` says
whether a run is owed for a file, from the progress row alone.

Each batch holds the writers' lock (`SPOTS_WRITE_LOCK`) while it writes, so a collector's
batch and a re-enrichment batch never count the same hour at once. A whole run holds
`REENRICH_LOCK`: a second run (`dxspots cty update` and the collector that has just taken the
new file, say) waits for the first, then starts again from the oldest spot, so the spots the
collector stored without an entity while the first run went are filled in too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import psycopg
from psycopg import sql

from dxspots.db.rollups import recount_call_days
from dxspots.db.writer import SPOTS_WRITE_LOCK
from dxspots.enrich import Enricher
from dxspots.spot import PARSED_FIELDS, UNENRICHED, Spot

log = logging.getLogger(__name__)

BATCH_ROWS = 5_000
"""Spots looked at per transaction."""
REENRICH_LOCK = 0x0D85_E7C1
"""Session advisory lock key held by a whole run: one run at a time, the others wait."""
ENTITY_FIELDS = Spot._fields[Spot._fields.index("dx_entity") :]
"""The columns re-enrichment writes: the DX station's and the spotter's entity fields."""

_SELECT = sql.SQL(
    "SELECT id, {columns} FROM spots"
    " WHERE (dx_entity IS NULL OR spotter_entity IS NULL) AND {after}"
    " ORDER BY spot_time, id LIMIT %(limit)s"
)
_AFTER = sql.SQL("(spot_time, id) > (%(time)s, %(id)s)")
_STAGING = sql.SQL(
    "CREATE TEMP TABLE IF NOT EXISTS reenrich_in ON COMMIT DELETE ROWS AS"
    " SELECT spot_time, id, {columns} FROM spots WITH NO DATA"
).format(columns=sql.SQL(", ").join(map(sql.Identifier, ENTITY_FIELDS)))
_COPY = sql.SQL("COPY reenrich_in (spot_time, id, {columns}) FROM STDIN").format(
    columns=sql.SQL(", ").join(map(sql.Identifier, ENTITY_FIELDS))
)
_UPDATE = sql.SQL(
    # `old` is the same row before the update (a second reference to the table sees the
    # statement's snapshot), so the hourly counts can move a spot from its old continents
    # to its new ones in the same statement. Spots a concurrent `forget` deleted are skipped.
    "WITH changed AS ("
    "   UPDATE spots s SET {assignments}"
    "   FROM reenrich_in i, spots old"
    "   WHERE s.spot_time = i.spot_time AND s.id = i.id"
    "     AND old.spot_time = i.spot_time AND old.id = i.id AND ({differs})"
    "   RETURNING s.spot_time, s.band, s.mode, s.is_skimmer,"
    "     old.spotter_continent AS old_spotter, old.dx_continent AS old_dx,"
    "     s.spotter_continent AS new_spotter, s.dx_continent AS new_dx),"
    " moved AS (SELECT * FROM changed"
    "   WHERE (old_spotter, old_dx) IS DISTINCT FROM (new_spotter, new_dx)),"
    " delta AS ("
    "   SELECT spot_time, band, mode, old_spotter AS spotter, old_dx AS dx, is_skimmer,"
    "     -1 AS n FROM moved"
    "   UNION ALL"
    "   SELECT spot_time, band, mode, new_spotter, new_dx, is_skimmer, 1 FROM moved),"
    " counted AS (INSERT INTO spot_hours"
    "   SELECT date_trunc('hour', spot_time, 'UTC'), coalesce(band, ''), coalesce(mode, ''),"
    "     coalesce(spotter, ''), coalesce(dx, ''), is_skimmer, sum(n) FROM delta"
    "   GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0"
    "   ON CONFLICT ON CONSTRAINT spot_hours_key"
    "   DO UPDATE SET spots = spot_hours.spots + excluded.spots"
    "   RETURNING hour)"
    " SELECT (SELECT count(*) FROM changed), (SELECT array_agg(DISTINCT hour) FROM counted)"
).format(
    # A side the country file finds no entity for keeps what it had (NULL, or an older
    # file's answer): one side's fields always come from one look-up.
    assignments=sql.SQL(", ").join(
        sql.SQL("{0} = CASE WHEN i.{1} IS NULL THEN s.{0} ELSE i.{0} END").format(
            sql.Identifier(name), sql.Identifier(name.partition("_")[0] + "_entity")
        )
        for name in ENTITY_FIELDS
    ),
    # Only rows a side of which changes are written (and counted as enriched).
    differs=sql.SQL(" OR ").join(
        sql.SQL("(i.{0} IS NOT NULL AND ({1}) IS DISTINCT FROM ({2}))").format(
            sql.Identifier(f"{side}_entity"),
            sql.SQL(", ").join(sql.SQL("s.") + sql.Identifier(n) for n in names),
            sql.SQL(", ").join(sql.SQL("i.") + sql.Identifier(n) for n in names),
        )
        for side in ("dx", "spotter")
        for names in [[n for n in ENTITY_FIELDS if n.startswith(f"{side}_")]]
    ),
)
_EMPTY_HOURS = "DELETE FROM spot_hours WHERE hour = ANY(%s) AND spots <= 0"
_STAGED_DAYS = (
    "(SELECT date_trunc('day', s.spot_time, 'UTC') AS day, s.dx_call FROM reenrich_in i"
    " JOIN spots s ON s.spot_time = i.spot_time AND s.id = i.id)"
)
"""The (day, DX call) pairs of the staged spots: their `call_days` rows are made again."""
_PROGRESS = (
    "SELECT country_file, after_time, after_id, examined, enriched, finished_at"
    " FROM reenrich_progress"
)
_START = (
    "INSERT INTO reenrich_progress (only_row, country_file) VALUES (true, %s)"
    " ON CONFLICT (only_row) DO UPDATE SET country_file = excluded.country_file,"
    " after_time = NULL, after_id = NULL, examined = 0, enriched = 0, started_at = now(),"
    " finished_at = NULL, updated_at = now()"
)
_ADVANCE = (
    "UPDATE reenrich_progress SET after_time = %s, after_id = %s, examined = examined + %s,"
    " enriched = enriched + %s, updated_at = now()"
)
_FINISH = "UPDATE reenrich_progress SET finished_at = now(), updated_at = now()"


class ReenrichError(RuntimeError):
    """Re-enrichment cannot run as asked; the message says why."""


@dataclass(slots=True)
class ReenrichProgress:
    """Where a run is: spots looked at and spots given an entity (this run, resumed runs
    included), and the time of the last spot looked at."""

    country_file: str
    examined: int = 0
    enriched: int = 0
    reached: datetime | None = None
    resumed: bool = False
    finished: bool = False


Report = Callable[[ReenrichProgress], None]


def pending(conn: psycopg.Connection[tuple[object, ...]], country_file: str) -> bool:
    """Whether a run for `country_file` has not finished (never started, interrupted, or
    made for another country file). One row read: cheap enough for every start."""
    row = conn.execute(_PROGRESS).fetchone()
    conn.commit()
    return row is None or row[0] != country_file or row[5] is None


def reenrich_spots(
    conn: psycopg.Connection[tuple[object, ...]],
    enricher: Enricher,
    country_file: str,
    *,
    restart: bool = False,
    batch_rows: int = BATCH_ROWS,
    report: Report | None = None,
) -> ReenrichProgress:
    """Give every stored spot without an entity the entities `enricher` finds for it.

    `country_file` names the loaded file (version and content hash): progress kept for
    another name is discarded. Continues an unfinished run for the same file unless
    `restart`; a finished one starts again. `report` is called after every batch. Returns the
    final progress. It commits as it goes: call it with no transaction open. Raises
    `ReenrichError` without a country file, psycopg errors as they come (the batches
    committed before stay done). While another run holds `REENRICH_LOCK`, it waits.
    """
    if enricher.country_file is None:
        raise ReenrichError("no country file is loaded: nothing to enrich with")
    if batch_rows < 1:
        raise ReenrichError(f"batch_rows must be at least 1, not {batch_rows}")
    conn.execute("SELECT pg_advisory_lock(%s)", (REENRICH_LOCK,))  # waits for a run going on
    conn.commit()
    try:
        return _run(conn, enricher, country_file, restart, batch_rows, report)
    finally:
        with suppress(psycopg.Error):  # a lost connection has let go of the lock by itself
            conn.rollback()
            conn.execute("SELECT pg_advisory_unlock(%s)", (REENRICH_LOCK,))
            conn.commit()


def _run(
    conn: psycopg.Connection[tuple[object, ...]],
    enricher: Enricher,
    country_file: str,
    restart: bool,
    batch_rows: int,
    report: Report | None,
) -> ReenrichProgress:
    progress, after = _begin(conn, country_file, restart)
    conn.commit()
    while True:
        looked, enriched, last = _batch(conn, enricher, after, batch_rows)
        if last is None:
            break
        after = last
        progress.examined += looked
        progress.enriched += enriched
        progress.reached = last[0]
        if report is not None:
            report(progress)
        if looked < batch_rows:
            break
    conn.execute(_FINISH)
    conn.commit()
    progress.finished = True
    return progress


def _begin(
    conn: psycopg.Connection[tuple[object, ...]], country_file: str, restart: bool
) -> tuple[ReenrichProgress, tuple[datetime, int] | None]:
    """The progress to continue from, and the key of the last spot it looked at."""
    row = conn.execute(_PROGRESS).fetchone()
    if row is None or row[0] != country_file or restart or row[5] is not None:
        conn.execute(_START, (country_file,))
        return ReenrichProgress(country_file), None
    reached = cast("datetime | None", row[1])
    after = None if reached is None else (reached, cast(int, row[2]))
    progress = ReenrichProgress(
        country_file, cast(int, row[3]), cast(int, row[4]), reached, resumed=True
    )
    return progress, after


def _batch(
    conn: psycopg.Connection[tuple[object, ...]],
    enricher: Enricher,
    after: tuple[datetime, int] | None,
    limit: int,
) -> tuple[int, int, tuple[datetime, int] | None]:
    """One transaction: look at up to `limit` spots after `after`, write what changed.
    Returns how many were looked at, how many changed, and the last one's key."""
    columns = sql.SQL(", ").join(map(sql.Identifier, PARSED_FIELDS))
    where = _AFTER if after is not None else sql.SQL("true")
    params: dict[str, object] = {"limit": limit}
    if after is not None:
        params |= {"time": after[0], "id": after[1]}
    with conn.transaction(), conn.cursor() as cur:
        rows = cur.execute(_SELECT.format(columns=columns, after=where), params).fetchall()
        if not rows:
            return 0, 0, None
        size = len(PARSED_FIELDS)
        first = Spot._fields.index("dx_entity")
        found = []
        for row in rows:
            spot = enricher.enrich(Spot._make(row[1 : size + 1] + UNENRICHED))
            fields = spot[first:]
            if fields[0] is not None or fields[7] is not None:  # an entity, either side
                found.append((spot.spot_time, row[0], *fields))
        last = (cast(datetime, rows[-1][1]), cast(int, rows[-1][0]))
        changed = 0
        if found:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SPOTS_WRITE_LOCK,))
            cur.execute(_STAGING)
            with cur.copy(_COPY) as copy:
                for values in found:
                    copy.write_row(values)
            result = cur.execute(_UPDATE).fetchone()
            changed = cast(int, result[0]) if result else 0
            hours = result[1] if result else None
            if hours:
                cur.execute(_EMPTY_HOURS, (hours,))
            if changed:  # continents or entity moved: the calls' days are counted again
                recount_call_days(cur, _STAGED_DAYS)
        cur.execute(_ADVANCE, (last[0], last[1], len(rows), changed))
    return len(rows), changed, last

"""The SQL that keeps the call rollups (migrations 0012, 0014) equal to what `spots` holds.

`call_days` (spots per UTC day, DX call and the dimensions a call's history shows) and
`call_spotters` (spots per DX call and spotter base call, all time) are added to by the
writer in the statement that stores the spots (`CALL_DAYS_UPSERT`, `CALL_SPOTTERS_UPSERT`,
over its `new` rows). Deleting spots (`forget`) or changing their continents or entity
(re-enrichment) must follow: `recount_call_days` makes the (day, call) rows it is given
again from the spots left, `CALL_SPOTTERS_SUBTRACT` takes deleted spots off the pair
counts. `dx_days` and `spotter_days` (which calls and spotters were active each UTC day,
with their first and last spot's time) are added to by `DAY_ROLLUP_UPSERTS` and made again
for whole days by `recount_days`. The callers hold the writers' lock (`SPOTS_WRITE_LOCK`),
so no batch lands between.
"""

from __future__ import annotations

import psycopg

CALL_DAY_COUNTS = (
    "SELECT date_trunc('day', spot_time, 'UTC'), dx_call, coalesce(band, ''),"
    " coalesce(mode, ''), coalesce(spotter_continent, ''), coalesce(dx_continent, ''),"
    " coalesce(dx_entity, ''), count(*), min(spot_time), max(spot_time)"
    " FROM {} GROUP BY 1, 2, 3, 4, 5, 6, 7"
)
"""The `call_days` rows of the spots in `{}` (a table or a subquery); unknowns as ''."""
CALL_DAYS_UPSERT = (
    "INSERT INTO call_days " + CALL_DAY_COUNTS.format("new")
    + " ON CONFLICT ON CONSTRAINT call_days_key DO UPDATE SET"
    " spots = call_days.spots + excluded.spots,"
    " first_spot = least(call_days.first_spot, excluded.first_spot),"
    " last_spot = greatest(call_days.last_spot, excluded.last_spot)"
)  # fmt: skip
"""Add the spots of the CTE `new` to `call_days` (the writer's statement)."""
CALL_SPOTTERS_UPSERT = (
    "INSERT INTO call_spotters SELECT dx_call, coalesce(spotter_base, ''), count(*)"
    " FROM new GROUP BY 1, 2 ON CONFLICT ON CONSTRAINT call_spotters_key"
    " DO UPDATE SET spots = call_spotters.spots + excluded.spots"
)
"""Add the spots of the CTE `new` to `call_spotters` (the writer's statement)."""
NEW_COLUMNS = (
    "spot_time, band, mode, spotter_continent, dx_continent, is_skimmer, dx_call,"
    " spotter_base, dx_entity"
)
"""What the writer's `new` CTE returns: the columns every rollup is keyed on."""
CALL_SPOTTERS_SUBTRACT = (
    "UPDATE call_spotters c SET spots = c.spots - gone.n"
    " FROM (SELECT dx_call, coalesce(spotter_base, '') AS spotter_base, count(*) AS n"
    "       FROM {0} GROUP BY 1, 2) AS gone"
    " WHERE c.dx_call = gone.dx_call AND c.spotter_base = gone.spotter_base",
    # A second statement: a DELETE in the same statement as the UPDATE would not see the
    # rows it updated, and a pair left at 0 would stay.
    "DELETE FROM call_spotters c USING (SELECT DISTINCT dx_call,"
    " coalesce(spotter_base, '') AS spotter_base FROM {0}) AS gone"
    " WHERE c.dx_call = gone.dx_call AND c.spotter_base = gone.spotter_base AND c.spots <= 0",
)
"""The two statements, in order, that take the deleted spots in `{0}` (with dx_call and
spotter_base) off `call_spotters`."""


def recount_call_days(cur: psycopg.Cursor[tuple[object, ...]], keys: str) -> None:
    """Make the `call_days` rows of the (day, dx_call) pairs `keys` selects again from the
    spots stored now. `keys` is SQL text (a subquery) with columns `day` and `dx_call`.
    Run it with the writers' lock held."""
    cur.execute(
        "CREATE TEMP TABLE IF NOT EXISTS call_days_keys (day timestamptz, dx_call text)"
        " ON COMMIT DELETE ROWS"
    )
    cur.execute("TRUNCATE call_days_keys")
    # A day of a month retention archived keeps its counts: its raw spots are gone, so a
    # recount from what is stored would lose them (forget takes its spots off instead).
    cur.execute(
        f"INSERT INTO call_days_keys SELECT DISTINCT day, dx_call FROM {keys} AS k"
        " WHERE NOT EXISTS (SELECT FROM spot_archives a"
        "                   WHERE a.month = date_trunc('month', k.day, 'UTC'))"
    )
    cur.execute(
        "DELETE FROM call_days c USING call_days_keys k"
        " WHERE c.dx_call = k.dx_call AND c.day = k.day"
    )
    there = (
        "(SELECT s.* FROM call_days_keys k JOIN spots s ON s.dx_call = k.dx_call"
        " AND s.spot_time >= k.day AND s.spot_time < k.day + interval '24 hours') AS there"
    )
    cur.execute("INSERT INTO call_days " + CALL_DAY_COUNTS.format(there))


DAY_ROLLUPS = {
    "dx_days": ("dx_call", "dx_call"),
    "spotter_days": ("spotter_base", "coalesce(spotter_base, '')"),
}
"""Each day rollup: its key column and how the spots' column gives it (unknown as '')."""
DAY_ROLLUP_COUNTS = (
    "SELECT date_trunc('day', spot_time, 'UTC'), {key}, count(*), min(spot_time),"
    " max(spot_time) FROM {source} GROUP BY 1, 2"
)
"""A day rollup's rows of the spots in `{source}`; `{key}` from `DAY_ROLLUPS`."""


def _day_upsert(table: str, key: str) -> str:
    return (
        f"INSERT INTO {table} " + DAY_ROLLUP_COUNTS.format(key=key, source="new")
        + f" ON CONFLICT ON CONSTRAINT {table}_key DO UPDATE SET"
        f" spots = {table}.spots + excluded.spots,"
        f" first_spot = least({table}.first_spot, excluded.first_spot),"
        f" last_spot = greatest({table}.last_spot, excluded.last_spot)"
    )  # fmt: skip


DAY_ROLLUP_UPSERTS = {table: _day_upsert(table, key) for table, (_, key) in DAY_ROLLUPS.items()}
"""Add the spots of the CTE `new` to each day rollup (the writer's statement), by table."""


def recount_days(cur: psycopg.Cursor[tuple[object, ...]], days: list[object]) -> None:
    """Make the day rollups' rows of the UTC `days` (their first instants) again from the
    spots stored now, whole days at a time. Days of months retention archived are not
    recounted (their raw spots are gone): take forgotten spots off with
    `subtract_days` instead. Run it with the writers' lock held."""
    for table, (_, key) in DAY_ROLLUPS.items():
        cur.execute(f"DELETE FROM {table} WHERE day = ANY(%s)", (days,))
        there = (
            "(SELECT s.* FROM unnest(%s::timestamptz[]) AS d(day) JOIN spots s"
            " ON s.spot_time >= d.day AND s.spot_time < d.day + interval '24 hours') AS there"
        )
        cur.execute(
            f"INSERT INTO {table} " + DAY_ROLLUP_COUNTS.format(key=key, source=there), (days,)
        )


def subtract_days(cur: psycopg.Cursor[tuple[object, ...]], gone: str) -> None:
    """Take the spots in `gone` (SQL text: a table or an aliased subquery of spots) off the
    day rollups, deleting rows left with none. Their first and last times stay as they were:
    for days whose raw spots retention dropped, where nothing can tell them again."""
    for table, (column, key) in DAY_ROLLUPS.items():
        counts = DAY_ROLLUP_COUNTS.format(key=key, source=gone)
        cur.execute(
            f"UPDATE {table} t SET spots = t.spots - g.n FROM ({counts}) AS g(day, k, n, f, l)"
            f" WHERE t.day = g.day AND t.{column} = g.k"
        )
        cur.execute(
            f"DELETE FROM {table} WHERE spots <= 0 AND day IN"
            f" (SELECT date_trunc('day', spot_time, 'UTC') FROM {gone})"
        )

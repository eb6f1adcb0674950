"""Forget one node: its spots, reports, rejected lines and status, and its share of the
hourly counts and the call rollups. `dxspots up` uses it to take out the built-in simulated
node's spots once the collector is set to collect live ones, so that no made-up spot is
counted beside real ones.
"""

from __future__ import annotations

import psycopg

from dxspots.db.rollups import (
    CALL_DAY_COUNTS,
    CALL_SPOTTERS_SUBTRACT,
    recount_call_days,
    recount_days,
    subtract_days,
)
from dxspots.db.writer import HOUR_COUNTS, SPOTS_WRITE_LOCK

TABLES = ("solar_reports", "announcements", "rejected_lines", "node_status")
"""The tables besides `spots` that record which node a row came from."""


_ARCHIVED = "EXISTS (SELECT FROM spot_archives a WHERE a.month = date_trunc('month', {}, 'UTC'))"
"""Whether a time is in a month retention archived: its rollup rows outlive its raw rows."""


def forget_node(conn: psycopg.Connection[tuple[object, ...]], node: str) -> dict[str, int]:
    """Delete every row that came from `node`; return how many, by table. One transaction,
    holding the writers' lock, so the counts are redone with no batch in between.

    The rollups of hours and days whose month is still stored whole are made again from the
    spots left; in a month retention archived (only its restored or imported rows are
    there), the forgotten spots' counts are taken off instead, so the archived spots stay
    counted.
    """
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (SPOTS_WRITE_LOCK,))
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS forgotten (spot_time timestamptz, dx_call text,"
            " spotter_base text, band text, mode text, spotter_continent text,"
            " dx_continent text, is_skimmer boolean, dx_entity text) ON COMMIT DELETE ROWS"
        )
        cur.execute("TRUNCATE forgotten")  # a call earlier in the same transaction
        cur.execute(
            "WITH gone AS (DELETE FROM spots WHERE node = %s"
            " RETURNING spot_time, dx_call, spotter_base, band, mode, spotter_continent,"
            " dx_continent, is_skimmer, dx_entity)"
            " INSERT INTO forgotten SELECT * FROM gone",
            (node,),
        )
        cur.execute(
            "SELECT hour, n, " + _ARCHIVED.format("hour") + " FROM (SELECT"
            " date_trunc('hour', spot_time, 'UTC') AS hour, count(*) AS n FROM forgotten"
            " GROUP BY 1) AS g"
        )
        hours = cur.fetchall()
        counts = {"spots": sum(int(n) for _, n, _ in hours)}  # type: ignore[call-overload]
        touched = [hour for hour, _, archived in hours if not archived]
        if touched:  # those hours' counts, made again from what is left
            cur.execute("DELETE FROM spot_hours WHERE hour = ANY(%s)", (touched,))
            spots_there = (
                "(SELECT spots.* FROM unnest(%s::timestamptz[]) AS h(hour) JOIN spots"
                " ON spot_time >= h.hour AND spot_time < h.hour + interval '1 hour') AS there"
            )
            cur.execute("INSERT INTO spot_hours " + HOUR_COUNTS.format(spots_there), (touched,))
            recount_call_days(
                cur,
                "(SELECT date_trunc('day', spot_time, 'UTC') AS day, dx_call FROM forgotten"
                f" WHERE NOT {_ARCHIVED.format('spot_time')})",
            )
            cur.execute(
                "SELECT DISTINCT date_trunc('day', hour, 'UTC') FROM unnest(%s::timestamptz[])"
                " AS h(hour)",
                (touched,),
            )
            recount_days(cur, [day for (day,) in cur.fetchall()])
        if any(archived for _, _, archived in hours):
            archived_rows = f"(SELECT * FROM forgotten WHERE {_ARCHIVED.format('spot_time')}) f"
            cur.execute(
                "INSERT INTO spot_hours SELECT hour, band, mode, sc, dc, sk, -n FROM ("
                + HOUR_COUNTS.format(archived_rows)
                + ") AS t(hour, band, mode, sc, dc, sk, n)"
                " ON CONFLICT ON CONSTRAINT spot_hours_key"
                " DO UPDATE SET spots = spot_hours.spots + excluded.spots"
            )
            cur.execute(
                "INSERT INTO call_days SELECT day, c, b, m, sc, dc, e, -n, f, l FROM ("
                + CALL_DAY_COUNTS.format(archived_rows)
                + ") AS t(day, c, b, m, sc, dc, e, n, f, l)"
                " ON CONFLICT ON CONSTRAINT call_days_key"
                " DO UPDATE SET spots = call_days.spots + excluded.spots"
            )
            subtract_days(cur, archived_rows)
            cur.execute(
                "DELETE FROM spot_hours WHERE spots <= 0 AND hour IN"
                f" (SELECT date_trunc('hour', spot_time, 'UTC') FROM {archived_rows})"
            )
            cur.execute(
                "DELETE FROM call_days c USING (SELECT DISTINCT dx_call,"
                f" date_trunc('day', spot_time, 'UTC') AS day FROM {archived_rows}) g"
                " WHERE c.dx_call = g.dx_call AND c.day = g.day AND c.spots <= 0"
            )
        if hours:
            for statement in CALL_SPOTTERS_SUBTRACT:
                cur.execute(statement.format("forgotten"))
        for table in TABLES:
            cur.execute(f"DELETE FROM {table} WHERE node = %s", (node,))  # fixed names
            counts[table] = cur.rowcount
    return counts

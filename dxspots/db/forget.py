"""Forget one node: its spots, reports, rejected lines and status, and its share of the
hourly counts and the call rollups. `dxspots up` uses it to take out the built-in simulated
node's spots once the collector is set to collect live ones, so that no made-up spot is
counted beside real ones.
"""

from __future__ import annotations

import psycopg

from dxspots.db.rollups import CALL_SPOTTERS_SUBTRACT, recount_call_days
from dxspots.db.writer import HOUR_COUNTS, SPOTS_WRITE_LOCK

TABLES = ("solar_reports", "announcements", "rejected_lines", "node_status")
"""The tables besides `spots` that record which node a row came from."""


def forget_node(conn: psycopg.Connection[tuple[object, ...]], node: str) -> dict[str, int]:
    """Delete every row that came from `node`; return how many, by table. One transaction,
    holding the writers' lock, so the counts are redone with no batch in between."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (SPOTS_WRITE_LOCK,))
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS forgotten (spot_time timestamptz, dx_call text,"
            " spotter_base text) ON COMMIT DELETE ROWS"
        )
        cur.execute("TRUNCATE forgotten")  # a call earlier in the same transaction
        cur.execute(
            "WITH gone AS (DELETE FROM spots WHERE node = %s"
            " RETURNING spot_time, dx_call, spotter_base)"
            " INSERT INTO forgotten SELECT * FROM gone",
            (node,),
        )
        cur.execute(
            "SELECT date_trunc('hour', spot_time, 'UTC') AS hour, count(*) FROM forgotten"
            " GROUP BY 1"
        )
        hours = cur.fetchall()
        counts = {"spots": sum(int(n) for _, n in hours)}  # type: ignore[call-overload]
        if hours:  # those hours' counts, made again from what is left
            touched = [hour for hour, _ in hours]
            cur.execute("DELETE FROM spot_hours WHERE hour = ANY(%s)", (touched,))
            spots_there = (
                "(SELECT spots.* FROM unnest(%s::timestamptz[]) AS h(hour) JOIN spots"
                " ON spot_time >= h.hour AND spot_time < h.hour + interval '1 hour') AS there"
            )
            cur.execute("INSERT INTO spot_hours " + HOUR_COUNTS.format(spots_there), (touched,))
            recount_call_days(
                cur, "(SELECT date_trunc('day', spot_time, 'UTC') AS day, dx_call FROM forgotten)"
            )
            cur.execute(CALL_SPOTTERS_SUBTRACT.format("forgotten"))
        for table in TABLES:
            cur.execute(f"DELETE FROM {table} WHERE node = %s", (node,))  # fixed names
            counts[table] = cur.rowcount
    return counts

"""Forgetting a node (the simulated one, when `dxspots up` goes live): its rows go, the
others stay, and the hourly counts and call rollups are those of what is left."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import psycopg

from dxspots.db.forget import forget_node
from dxspots.db.nodestatus import NodeStatusRow, write_node_status
from dxspots.db.rollups import CALL_DAY_COUNTS
from tests.spotset import make_spots, store

NOW = datetime.now(UTC).replace(microsecond=0)
COUNTS = (
    "SELECT hour, band, mode, spotter_continent, dx_continent, is_skimmer, spots"
    " FROM spot_hours ORDER BY 1, 2, 3, 4, 5, 6"
)
RECOUNT = (
    "SELECT date_trunc('hour', spot_time, 'UTC'), coalesce(band, ''), coalesce(mode, ''),"
    " coalesce(spotter_continent, ''), coalesce(dx_continent, ''), is_skimmer, count(*)::int"
    " FROM spots GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
)


def status(node: str) -> NodeStatusRow:
    return NodeStatusRow(node, "127.0.0.1", 7300, None, True, NOW, NOW, 10, 5, 0, 0, 0, None)


def test_forgetting_a_node_takes_its_rows_and_recounts_its_hours(db_dsn: str) -> None:
    spots = make_spots(NOW)
    simulated = [spot._replace(node="simulator") for spot in spots[::3]]
    live = [spot for i, spot in enumerate(spots) if i % 3]
    assert store(db_dsn, simulated + live) == len(spots)
    with psycopg.connect(db_dsn) as conn:
        write_node_status(conn, [status("simulator"), status("club")])
        for node in ("simulator", "club"):
            conn.execute(
                "INSERT INTO rejected_lines (received_at, node, reason, raw)"
                " VALUES (now(), %s, 'garbage', 'x')",
                (node,),
            )
        conn.commit()
        before = conn.execute(COUNTS).fetchall()

        counts = forget_node(conn, "simulator")

        assert counts["spots"] == len(simulated)
        assert counts["node_status"] == 1 and counts["rejected_lines"] == 1
        nodes = conn.execute("SELECT coalesce(node, ''), count(*) FROM spots GROUP BY 1")
        assert dict(nodes.fetchall()) == Counter(spot.node or "" for spot in live)
        after = conn.execute(COUNTS).fetchall()
        assert after == conn.execute(RECOUNT).fetchall()  # the counts of what is left
        assert after != before
        days = set(conn.execute("SELECT * FROM call_days").fetchall())
        assert days == set(conn.execute(CALL_DAY_COUNTS.format("spots")).fetchall())  # type: ignore[arg-type]
        pairs = conn.execute("SELECT dx_call, spotter_base, spots FROM call_spotters")
        assert set(pairs.fetchall()) == set(
            conn.execute(
                "SELECT dx_call, spotter_base, count(*)::int FROM spots GROUP BY 1, 2"
            ).fetchall()
        )
        assert conn.execute("SELECT node FROM node_status").fetchall() == [("club",)]
        assert conn.execute("SELECT node FROM rejected_lines").fetchall() == [("club",)]
        assert forget_node(conn, "simulator")["spots"] == 0  # twice is harmless

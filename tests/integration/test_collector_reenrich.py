"""A collector that takes a new country file re-enriches the spots it stored without one,
against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from collector.app import Collector
from collector.spool import Spool
from dxspots.cli import reenrich_stored
from dxspots.db.migrate import migrate
from dxspots.runtime import CountryFileWatch, load_country_file
from dxspots.settings import NodeConfig
from tests.spotset import make_spots, store
from tests.unit.test_country_watch import install, never, settings


def test_a_collector_that_takes_a_new_file_re_enriches_what_it_stored_before(
    tmp_path: Path, db_dsn: str
) -> None:
    """The spots stored while the collector had no country file get entities once it takes
    the file (after `dxspots cty update`), without waiting for the next `dxspots up`."""
    with psycopg.connect(db_dsn) as conn:
        migrate(conn)
    unknown = {"dx_entity": None, "dx_continent": None, "spotter_entity": None,
               "spotter_continent": None}  # fmt: skip
    spots = [s._replace(dx_call="DL1ABC", **unknown) for s in make_spots(datetime.now(UTC))[:30]]
    store(db_dsn, spots)
    data = tmp_path / "data"
    enricher, state = load_country_file(settings(data))
    watch = CountryFileWatch(settings(data), state)
    collector = Collector(
        [NodeConfig(name="n", host="127.0.0.1", port=7300)], "DL1ABC", never, enricher,
        Spool(tmp_path / "spool.jsonl"), country_file_check=watch.check,
        country_file_seconds=0.05, reenrich=lambda e: reenrich_stored(db_dsn, e, watch),
    )  # fmt: skip
    install(data)

    async def checks() -> None:
        task = asyncio.create_task(collector._country_file_checks())
        for _ in range(100):
            await asyncio.sleep(0.05)
            if collector.pipeline.enricher is not enricher:
                break
        task.cancel()

    asyncio.run(checks())
    deadline = time.monotonic() + 20
    while True:
        with psycopg.connect(db_dsn) as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE dx_entity IS NULL), min(dx_entity) FROM spots"
            ).fetchone()
        assert row is not None
        if row[0] == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert row[0] == 0 and row[1] == "Fed. Rep. of Germany"

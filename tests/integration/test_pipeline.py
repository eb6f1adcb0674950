"""The collector's pipeline against a real PostgreSQL, including one stopped mid-stream."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from collector.pipeline import Pipeline
from collector.simfeed import SpotFeed
from collector.spool import Spool
from dxspots.db.localserver import LocalServer
from dxspots.db.writer import SPOTS_CHANNEL
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import Spot

START = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def feed_lines(count: int, seed: int = 5) -> list[tuple[str, datetime, str]]:
    feed = SpotFeed(seed)
    lines = []
    for i in range(count):
        at = START + timedelta(seconds=i)
        lines.append((feed.next_line(at), at, "sim"))
    return lines


def expected_spots(lines: list[tuple[str, datetime, str]]) -> int:
    keys = set()
    for line, at, node in lines:
        spot = parse_line(line, at, node)
        if isinstance(spot, Spot):
            keys.add((spot.spot_time, spot.dx_call, spot.spotter, round(spot.freq_khz * 10) // 10))
    return len(keys)


def stored(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM spots").fetchone()
        return int(row[0]) if row else 0


async def feed_in(pipeline: Pipeline, lines: list[tuple[str, datetime, str]]) -> None:
    for line in lines:
        await pipeline.submit(*line)


async def settle(pipeline: Pipeline) -> None:
    while not pipeline.queue.empty():
        await asyncio.sleep(0.02)
    await asyncio.sleep(pipeline.flush_seconds * 3)


def test_lines_become_rows(db_dsn: str, tmp_path: Path) -> None:
    lines = feed_lines(3000)
    listener = psycopg.connect(db_dsn, autocommit=True)
    listener.execute(f"LISTEN {SPOTS_CHANNEL}")

    async def scenario() -> None:
        spool = Spool(tmp_path / "spool")
        pipeline = Pipeline(lambda: psycopg.connect(db_dsn), Enricher(None), spool,
                            batch_size=500, flush_seconds=0.05)  # fmt: skip
        task = asyncio.create_task(pipeline.run())
        await feed_in(pipeline, lines)
        await settle(pipeline)
        task.cancel()
        assert pipeline.stats.lines == 3000 and pipeline.stats.spooled_batches == 0

    asyncio.run(scenario())
    assert stored(db_dsn) == expected_spots(lines)
    # The collector's writer tells the API's live stream: one notification per batch.
    assert len(list(listener.notifies(timeout=1))) >= 1
    listener.close()


def test_database_restart_mid_stream_loses_nothing(own_server: LocalServer, tmp_path: Path) -> None:
    lines = feed_lines(3000, seed=6)
    spool = Spool(tmp_path / "spool")

    async def scenario() -> None:
        dsn = own_server.dsn
        pipeline = Pipeline(lambda: psycopg.connect(dsn, connect_timeout=2), Enricher(None), spool,
                            batch_size=200, flush_seconds=0.05, retry_seconds=0.2)  # fmt: skip
        task = asyncio.create_task(pipeline.run())
        await feed_in(pipeline, lines[:1000])
        await settle(pipeline)
        await asyncio.to_thread(own_server.stop)
        await feed_in(pipeline, lines[1000:2000])
        await settle(pipeline)
        assert pipeline.stats.spooled_batches > 0 and spool.size > 0
        await asyncio.to_thread(own_server.start)
        await asyncio.sleep(0.3)
        await feed_in(pipeline, lines[2000:])
        await settle(pipeline)
        task.cancel()
        assert pipeline.stats.replayed_batches == pipeline.stats.spooled_batches
        assert pipeline.stats.lost_lines == 0

    asyncio.run(scenario())
    assert spool.size == 0
    assert stored(own_server.dsn) == expected_spots(lines)


def test_a_spool_left_by_an_earlier_run_is_replayed_first(db_dsn: str, tmp_path: Path) -> None:
    lines = feed_lines(1000, seed=7)
    spool = Spool(tmp_path / "spool")
    spool.append(lines[:500])  # what a collector killed with the database down left behind

    async def scenario() -> None:
        pipeline = Pipeline(lambda: psycopg.connect(db_dsn), Enricher(None), spool,
                            batch_size=100, flush_seconds=0.05)  # fmt: skip
        task = asyncio.create_task(pipeline.run())
        await feed_in(pipeline, lines[500:])
        await settle(pipeline)
        task.cancel()
        assert pipeline.stats.replayed_batches == 1

    asyncio.run(scenario())
    assert spool.size == 0
    assert stored(db_dsn) == expected_spots(lines)


def test_cancelling_the_writer_mid_batch_loses_nothing(db_dsn: str, tmp_path: Path) -> None:
    lines = feed_lines(50, seed=8)

    async def scenario() -> None:
        spool = Spool(tmp_path / "spool")
        pipeline = Pipeline(lambda: psycopg.connect(db_dsn), Enricher(None), spool,
                            batch_size=1000, flush_seconds=5)  # fmt: skip
        task = asyncio.create_task(pipeline.run())
        await feed_in(pipeline, lines)
        await asyncio.sleep(0.2)  # the writer holds a partial batch, waiting for more
        task.cancel()  # what SIGTERM does
        await asyncio.gather(task, return_exceptions=True)
        await pipeline.drain()

    asyncio.run(scenario())
    assert stored(db_dsn) == expected_spots(lines)

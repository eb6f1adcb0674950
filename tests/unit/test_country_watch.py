"""A new country file reaches a running collector without a restart, and the collector says
which one it enriches with (`collector_status.country_file`)."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import psycopg
import pytest

from collector.app import Collector
from collector.spool import Spool
from dxspots.enrich import Enricher
from dxspots.runtime import NO_VERSION, CountryFileWatch, load_country_file
from dxspots.settings import NodeConfig, Settings
from tests.conftest import FIXTURES

EXTRA = "Bouvet:                   38:  67:  AF:  -54.42:    -3.38:    -1.0:  3Y:\n    3Y;\n"


def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)


def install(data_dir: Path, extra: str = "", mtime: int = 1_700_000_000) -> None:
    data_dir.mkdir(exist_ok=True)
    text = (FIXTURES / "cty_small.dat").read_text() + extra
    (data_dir / "cty.dat").write_text(text)
    shutil.copy(FIXTURES / "cty_small.csv", data_dir / "cty.csv")
    os.utime(data_dir / "cty.dat", (mtime, mtime))


def test_watch_loads_a_changed_file_once_and_ignores_a_touch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    watch = CountryFileWatch(settings(data), load_country_file(settings(data))[1])
    assert watch.loaded.label is None and watch.check() is None  # none yet, none now

    install(data)
    first = watch.check()  # a first file (`dxspots cty update` while running)
    assert first is not None and first.country_file is not None
    assert first.country_file.lookup("3Y0K") is None
    assert watch.check() is None  # unchanged: nothing loaded again

    install(data, mtime=1_700_000_100)  # the same bytes written again
    assert watch.check() is None

    install(data, EXTRA, mtime=1_700_000_200)
    second = watch.check()
    assert second is not None and second.country_file is not None
    assert second.country_file.lookup("3Y0K") is not None  # the new file's entity
    assert watch.loaded.identity != load_country_file(settings(tmp_path / "none"))[1].identity


def test_watch_keeps_the_loaded_file_when_the_new_one_is_broken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    install(data)
    watch = CountryFileWatch(settings(data), load_country_file(settings(data))[1])
    (data / "cty.dat").write_text("this is not a country file")
    assert watch.check() is None
    assert "the country file loaded before is kept" in caplog.text
    assert watch.check() is None  # said once, not every minute


def never(*_: object) -> psycopg.Connection[tuple[object, ...]]:
    raise psycopg.OperationalError("no database in this test")


def test_collector_enriches_with_the_new_file_and_reports_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    enricher, state = load_country_file(settings(data))
    collector = Collector(
        [NodeConfig(name="n", host="127.0.0.1", port=7300)], "DL1ABC", never, enricher,
        Spool(tmp_path / "spool.jsonl"),
        country_file_check=CountryFileWatch(settings(data), state).check,
        country_file_seconds=0.05,
    )  # fmt: skip
    assert collector.collector_row().country_file is None  # NULL: no country file
    install(data)

    async def checks() -> None:
        task = asyncio.create_task(collector._country_file_checks())
        for _ in range(100):
            await asyncio.sleep(0.05)
            if collector.pipeline.enricher is not enricher:
                break
        task.cancel()

    asyncio.run(checks())
    assert collector.pipeline.enricher is not enricher
    assert collector.collector_row().country_file == "20250102"
    unversioned = Enricher(load_country_file(settings(data))[0].country_file)
    assert unversioned.country_file is not None
    unversioned.country_file.version = None
    collector.pipeline.enricher = unversioned
    assert collector.collector_row().country_file == NO_VERSION

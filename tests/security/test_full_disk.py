"""A full disk under the spool: the database is away and the file system has no room left.

The spool's own cap is tested elsewhere (test_collector_health.py); here the disk fills
before the cap does (a 64 KiB tmpfs, needs root to mount). Every line that cannot be kept
must be counted as lost, and health must say so, not "ok".
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from collector.health import assess
from collector.pipeline import Pipeline
from collector.spool import Spool
from dxspots.enrich import Enricher

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB file system of its own, filled to the last byte but for a few blocks."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def no_database() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect("host=127.0.0.1 port=1 dbname=x connect_timeout=1")


def test_lines_the_full_disk_cannot_take_are_counted_lost_and_health_says_so(
    full_disk: Path,
) -> None:
    spool = Spool(full_disk / "spool.jsonl", cap_bytes=1 << 30)  # the cap is not what stops it
    pipeline = Pipeline(no_database, Enricher(None), spool)
    batch = [(f"DX de K1ABC: 14025.0 DL1ABC line {i:04d} " + "x" * 80, AT, "n") for i in range(50)]
    offered = 0
    for _ in range(40):  # ~6 KiB a batch: the 64 KiB disk is full long before 40
        pipeline._to_spool(batch)
        offered += len(batch)
    assert pipeline.stats.lost_lines > 0
    kept = sum(len(b) for b in spool.replay())
    assert kept + pipeline.stats.lost_lines == offered  # every line kept or counted
    assert pipeline.losses.recent() == pipeline.stats.lost_lines
    verdict = assess([], pipeline)
    assert not verdict.ok
    assert any("lines lost" in reason for reason in verdict.reasons)
    # The disk was what refused them, with the spool far under its cap.
    assert spool.size < spool.cap_bytes
    with pytest.raises(OSError) as refused:
        spool.append(batch)
    assert refused.value.errno == errno.ENOSPC

"""The spool file: durable batches, in order, a cap, and a torn last batch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.spool import Spool, SpoolFullError

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_batches_come_back_in_order_with_latin1_intact(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append([("DX de K1ABC: 14025.0 DL1ABC tnx Jürgen 1200Z", AT, "a")])
    spool.append([("line 2", AT, None), ("line 3", AT, "b")])
    assert list(spool.replay()) == [
        [("DX de K1ABC: 14025.0 DL1ABC tnx Jürgen 1200Z", AT, "a")],
        [("line 2", AT, None), ("line 3", AT, "b")],
    ]
    assert (tmp_path / "spool").stat().st_mode & 0o077 == 0
    spool.clear()
    assert spool.size == 0 and list(spool.replay()) == []


def test_a_torn_batch_is_skipped_and_does_not_swallow_the_next(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append([("kept", AT, "a")])
    with (tmp_path / "spool").open("a") as raw:
        raw.write('[["torn", "2026-11-27T12:')  # a crash in the middle of a write
    spool.append([("after", AT, "a")])  # the next run appends behind it
    assert list(spool.replay()) == [[("kept", AT, "a")], [("after", AT, "a")]]


def test_the_cap_refuses_batches_and_warns_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path / "spool", cap_bytes=400, warn_fraction=0.5)
    spool.append([("x" * 180, AT, "a")])  # about 220 bytes: past half of the cap
    assert "full" in caplog.text  # the warning, past half of the cap
    with pytest.raises(SpoolFullError):
        spool.append([("y" * 300, AT, "a")])
    assert spool.refused_batches == 1 and len(list(spool.replay())) == 1

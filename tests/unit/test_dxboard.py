"""The DX board's memory of what it showed: new rows marked, for a while, per view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from dashboard.dxboard import BOARD_COLUMNS, NEW_FOR, NEW_MARK, SHOWN_ORDER, mark_new, shown

T0 = datetime(2025, 6, 21, 18, 0, tzinfo=UTC)


def board(*keys: tuple[str, str]) -> pd.DataFrame:
    rest = {
        "freq_khz": 14025.0, "mode": None, "dx_entity": None, "dx_continent": "SA",
        "spots": 2, "spotters": 2, "first_seen": T0, "last_seen": T0, "best_snr": None,
        "latest_comment": None, "latest_spotter": "G4ABC", "is_skimmer_only": False,
    }  # fmt: skip
    rows = [{"dx_call": call, "band": band, **rest} for call, band in keys]
    return pd.DataFrame(rows, columns=BOARD_COLUMNS)


def test_the_first_drawing_marks_nothing_and_a_later_arrival_is_marked() -> None:
    first, seen = mark_new(board(("VP8PJ", "20m"), ("3Y0K", "40m")), None, "v", T0)
    assert first == [False, False]
    later = board(("JA1ZZ", "20m"), ("VP8PJ", "20m"), ("VP8PJ", "40m"), ("3Y0K", "40m"))
    new, seen = mark_new(later, seen, "v", T0 + timedelta(seconds=10))
    assert new == [True, False, True, False]  # the same call on another band is new too
    new, seen = mark_new(later, seen, "v", T0 + timedelta(seconds=20))
    assert new == [True, False, True, False]  # still marked at the next refresh
    new, _ = mark_new(later, seen, "v", T0 + timedelta(seconds=10) + NEW_FOR)
    assert new == [False] * 4  # but not for ever


def test_another_view_starts_over() -> None:
    _, seen = mark_new(board(("VP8PJ", "20m")), None, "20m, 30 min", T0)
    new, seen = mark_new(board(("3Y0K", "40m")), seen, "40m, 30 min", T0)
    assert new == [False]
    assert seen.view == "40m, 30 min"


def test_a_row_that_left_the_board_is_new_when_it_returns_and_memory_stays_bounded() -> None:
    _, seen = mark_new(board(("VP8PJ", "20m"), ("3Y0K", "40m")), None, "v", T0)
    _, seen = mark_new(board(("3Y0K", "40m")), seen, "v", T0 + timedelta(minutes=1))
    assert set(seen.noticed) == {("3Y0K", "40m")}
    new, _ = mark_new(board(("VP8PJ", "20m")), seen, "v", T0 + timedelta(minutes=2))
    assert new == [True]


def test_the_shown_board_has_a_mark_column_and_no_none() -> None:
    table = board(("VP8PJ", "20m"), ("3Y0K", "40m"))
    table.loc[1, "best_snr"] = 23
    out = shown(table, [True, False])
    assert list(out.columns) == SHOWN_ORDER and set(SHOWN_ORDER) == {"new", *BOARD_COLUMNS}
    assert SHOWN_ORDER[:3] == ["new", "dx_call", "band"]
    assert list(out["new"]) == [NEW_MARK, ""]
    assert list(out["best_snr"]) == ["", "23 dB"]
    text = out.drop(columns=["first_seen", "last_seen"]).astype(str)
    assert not text.isin(["None", "nan", "NaT"]).any().any()

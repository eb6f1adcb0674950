"""The catalogue without a database: parameters, windows, cursors, the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from openapi_spec_validator import validate

from api.openapi import build_document
from dxspots.queries import CATALOGUE, ParameterError, SpotFilters, matches, plan, read_params
from dxspots.queries.catalogue import SpotsParams
from dxspots.queries.params import decode_cursor, encode_cursor
from tests.spotset import REQUIRED

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def bad(name: str, raw: dict[str, object]) -> ParameterError:
    with pytest.raises(ParameterError) as caught:
        plan(name, raw, now=NOW)
    return caught.value


def test_lists_come_repeated_or_comma_separated_and_are_normalised() -> None:
    params = read_params(
        SpotsParams, {"band": ["20M", "40m,15m"], "mode": "usb,CW,lsb", "dx_continent": "eu,na"}
    )
    assert params.band == ("20m", "40m", "15m")
    assert params.mode == ("SSB", "CW")
    assert params.dx_continent == ("EU", "NA")


@pytest.mark.parametrize(
    ("raw", "parameter", "words"),
    [
        ({"band": "21m"}, "band", "unknown band"),
        ({"mode": "!!"}, "mode", "not a mode"),
        ({"dx_continent": "XX"}, "dx_continent", "not a continent"),
        ({"dx_call": "no such call!"}, "dx_call", "not a callsign"),
        ({"limit": "0"}, "limit", "greater than or equal to 1"),
        ({"limit": "1001"}, "limit", "at most 1000"),
        ({"limit": "ten"}, "limit", "valid integer"),
        ({"since": "yesterday"}, "since", "ISO 8601"),
        ({"until": "1700000000"}, "until", "ISO 8601"),
        ({"skimmer": "perhaps"}, "skimmer", "boolean"),
        ({"minutes": ["5", "6"]}, "minutes", "once"),
        ({"bnad": "20m"}, "bnad", "unknown parameter"),
        ({"band": ""}, "band", "empty value"),
        ({"mode": "CW,,SSB"}, "mode", "empty value"),
        ({"cursor": "not-a-cursor"}, "cursor", "not a `next` value"),
        ({"since": "2026-11-27T13:00:00Z"}, "since", "must end after it starts"),
        ({"since": "2026-11-27T10:00:00Z", "minutes": "5"}, "minutes", "one of since"),
        ({"days": "366", "until": "0001-06-01T00:00:00Z"}, "days", "before year 1"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since", "out of range"),
        ({"until": "9999-12-31T23:59:59-01:00"}, "until", "out of range"),
    ],
)
def test_a_bad_parameter_is_named(raw: dict[str, object], parameter: str, words: str) -> None:
    error = bad("spots", raw)
    assert error.parameter == parameter
    assert words in str(error)


def test_aggregates_cap_their_window_and_say_so() -> None:
    error = bad("band_activity", {"days": "8"})
    assert error.parameter == "days"
    assert "at most 7 days" in str(error)
    assert bad("paths", {"minutes": "1441"}).parameter == "minutes"
    assert bad("band_hour_heatmap", {"since": "2026-01-01T00:00:00Z"}).parameter == "since"
    # A list with a far `since` is fine: `limit` bounds it.
    far = plan("spots", {"since": "2000-01-01T00:00:00Z"}, now=NOW)
    assert far.main.values["since"] == datetime(2000, 1, 1, tzinfo=UTC)


def test_windows_default_per_query_and_naive_times_are_utc() -> None:
    assert plan("spots", {}, now=NOW).main.values["since"] == NOW - timedelta(days=1)
    assert plan("band_activity", {}, now=NOW).main.values["since"] == NOW - timedelta(hours=1)
    planned = plan("top_dx", {"until": "2026-11-27T10:00:00", "minutes": "30"}, now=NOW)
    assert planned.main.values["until"] == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert planned.main.values["since"] == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    assert not planned.live
    assert plan("top_dx", {}, now=NOW).live


def test_band_activity_picks_a_round_bucket_and_refuses_too_many() -> None:
    assert plan("band_activity", {"minutes": "60"}, now=NOW).main.values["bucket"] == 1
    assert plan("band_activity", {"days": "1"}, now=NOW).main.values["bucket"] == 30
    assert plan("band_activity", {"days": "7"}, now=NOW).main.values["bucket"] == 180
    assert bad("band_activity", {"days": "7", "bucket": "1"}).parameter == "bucket"


def test_limits_default_per_query_and_csv_may_ask_for_more() -> None:
    assert plan("spots", {}, now=NOW).limit == 100
    assert plan("top_dx", {}, now=NOW).limit == 25
    assert plan("spots", {"limit": "500000"}, now=NOW, csv=True).limit == 500_000
    assert bad("top_dx", {"limit": "5000"}).parameter == "limit"


def test_a_cursor_round_trips_and_garbage_is_refused() -> None:
    moment = datetime(2026, 11, 27, 9, 13, tzinfo=UTC)
    assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)
    for garbage in ("", "e30", encode_cursor(moment, 1)[:-3], "WyJ4IiwxXQ"):
        with pytest.raises(ParameterError):
            decode_cursor(garbage)


def test_every_query_plans_with_its_defaults() -> None:
    for name, query in CATALOGUE.items():
        planned = plan(name, REQUIRED.get(name, {}), now=NOW)
        assert planned.limit >= 1
        assert set(planned.extras) == set(query.extras)
        assert query.doc


def test_callsign_wants_its_call() -> None:
    assert bad("callsign", {}).parameter == "dx_call"
    assert plan("callsign", {"dx_call": "vp8pj"}, now=NOW).main.values["dx_call"] == "VP8PJ"


def spot(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "band": "20m", "mode": "CW", "dx_call": "VP8PJ", "dx_continent": "SA",
        "dx_entity": "Falkland Islands", "spotter": "KM3T-2-#", "spotter_base": "KM3T",
        "spotter_continent": "NA", "is_skimmer": True, "node": "rbn",
    }  # fmt: skip
    return base | fields


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, True),
        ({"band": "20m,40m"}, True),
        ({"band": "40m"}, False),
        ({"mode": "cw"}, True),
        ({"mode": "FT8"}, False),
        ({"dx_call": "VP8PJ"}, True),
        ({"dx_prefix": "VP8"}, True),
        ({"dx_prefix": "VP9"}, False),
        ({"dx_entity": "falkland islands"}, True),
        ({"dx_continent": "EU"}, False),
        ({"spotter": "KM3T"}, True),
        ({"spotter": "KM3T-2-#"}, True),
        ({"spotter": "KM3T-3-#"}, False),
        ({"spotter_continent": "NA"}, True),
        ({"skimmer": "false"}, False),
        ({"node": "rbn"}, True),
        ({"node": "other"}, False),
    ],
)
def test_matches_is_the_filter_in_python(raw: dict[str, object], expected: bool) -> None:
    assert matches(read_params(SpotFilters, raw), spot()) is expected


def test_the_openapi_document_is_valid_and_names_every_route_and_parameter() -> None:
    for secured in (False, True):
        document = build_document(secured=secured, version="1")
        validate(document)  # type: ignore[arg-type]
        for name, query in CATALOGUE.items():
            for suffix in ("", ".json", ".csv"):
                operation = document["paths"][f"/v1/{name}{suffix}"]["get"]
                names = {p["name"] for p in operation["parameters"]}
                assert names == set(query.params.model_fields)
                assert "401" in operation["responses"] or not secured
        assert "/v1/stream" in document["paths"]


def test_exported_frames_keep_integers_integers() -> None:
    from dxspots.db.export import spots_frame

    base = {name: None for name in spots_frame([]).columns}
    rows = [
        base | {"id": 1, "spot_time": NOW, "snr_db": None, "is_skimmer": False},
        base | {"id": 2, "spot_time": NOW, "snr_db": 12, "is_skimmer": True},
    ]
    text = spots_frame(rows).to_csv(index=False)
    assert ",12," in text and "12.0" not in text
    assert str(spots_frame(rows)["spot_time"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize(
    ("name", "raw", "parameter", "words"),
    [
        ("band_normal", {"dx_call": "VP8PJ"}, "dx_call", "unknown parameter"),
        ("band_normal", {"node": "rbn"}, "node", "unknown parameter"),
        ("band_normal", {"minutes": "60"}, "minutes", "unknown parameter"),
        ("band_normal", {"days": "32"}, "days", "less than or equal to 31"),
        ("band_normal", {"days": "0"}, "days", "greater than or equal to 1"),
        ("band_normal", {"at": "noon"}, "at", "ISO 8601"),
        ("band_normal", {"band": "21m"}, "band", "unknown band"),
        ("band_normal", {"limit": "101"}, "limit", "at most 100"),
        ("messages", {"kind": "spot"}, "kind", "not a message kind"),
        ("messages", {"kind": "talk,,wx"}, "kind", "empty value"),
        ("messages", {"sender": "no call!"}, "sender", "not a callsign"),
        ("messages", {"sender": ["G4ABC", "K1ABC"]}, "sender", "once"),
        ("messages", {"days": "32"}, "days", "at most 31 days"),
        ("messages", {"band": "20m"}, "band", "unknown parameter"),
        ("messages", {"cursor": "e30"}, "cursor", "not a `next` value"),
        ("messages", {"limit": "1001"}, "limit", "at most 1000"),
        ("dx_board", {"minutes": "1441"}, "minutes", "at most 1 days"),
        ("dx_board", {"limit": "1001"}, "limit", "at most 1000"),
        ("dx_board", {"mode": "!!"}, "mode", "not a mode"),
        ("dx_board", {"by": "call"}, "by", "unknown parameter"),
        ("map_paths", {"days": "2"}, "days", "at most 1 days"),
        ("map_paths", {"limit": "5001"}, "limit", "at most 5000"),
        ("map_paths", {"dx_continent": "XX"}, "dx_continent", "not a continent"),
    ],
)
def test_the_live_queries_name_a_bad_parameter(
    name: str, raw: dict[str, object], parameter: str, words: str
) -> None:
    error = bad(name, raw)
    assert error.parameter == parameter
    assert words in str(error)


def test_the_live_queries_default_and_cap_their_windows_and_limits() -> None:
    from dxspots.queries.live import band_normal_slots

    assert plan("dx_board", {}, now=NOW).main.values["since"] == NOW - timedelta(minutes=30)
    assert plan("map_paths", {}, now=NOW).main.values["since"] == NOW - timedelta(minutes=30)
    assert plan("messages", {}, now=NOW).main.values["since"] == NOW - timedelta(days=1)
    assert plan("dx_board", {"days": "1"}, now=NOW).limit == 100
    assert plan("map_paths", {}, now=NOW).limit == 2000
    normal = plan("band_normal", {}, now=NOW + timedelta(minutes=37))
    assert normal.main.values["slots"] == band_normal_slots(NOW, 14)
    assert normal.main.values["slots"][0] == NOW - timedelta(days=1)  # not the hour in progress
    assert normal.live
    at = plan("band_normal", {"at": "2026-11-20T08:59:00", "days": "3"}, now=NOW)
    assert at.main.values["slots"] == [datetime(2026, 11, d, 8, tzinfo=UTC) for d in (19, 18, 17)]
    assert not at.live
    kinds = plan("messages", {"kind": "Announcement,wx"}, now=NOW).main.values["kinds"]
    assert kinds == ["all", "local", "wx"]


def test_a_messages_cursor_round_trips_and_a_spots_cursor_is_not_one() -> None:
    from dxspots.queries.messages import message_cursor

    row = {"sent_time": datetime(2026, 11, 27, 9, 13, 40, tzinfo=UTC), "kind": "talk",
           "sender": "G4ABC", "text": "hi",
           "received_at": datetime(2026, 11, 27, 9, 14, tzinfo=UTC)}  # fmt: skip
    values = plan("messages", {"cursor": message_cursor(row)}, now=NOW).main.values
    assert values["after_minute"] == datetime(2026, 11, 27, 9, 13, tzinfo=UTC)
    assert values["after_md5"] == "49f68a5c8493ec2c0bf489821c21fc3b"  # md5('hi')
    spots_cursor = encode_cursor(datetime(2026, 11, 27, tzinfo=UTC), 5)
    assert bad("messages", {"cursor": spots_cursor}).parameter == "cursor"

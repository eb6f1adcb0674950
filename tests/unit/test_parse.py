"""The parser on real node output and on hand-written lines for the tricky cases."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dxspots.parse
from dxspots.parse import clean_line, decode_line, parse_line
from dxspots.spot import Announcement, Other, SolarReport, Spot, record_kind
from tests.conftest import shared_file

RECEIVED = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
NO_FIXTURE_CHECK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True, params=["c", "python"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test with the C reader of DX de lines, and with the Python one alone."""
    if request.param == "python":
        monkeypatch.setattr(dxspots.parse, "_fast_dx_de", None)
    elif dxspots.parse._fast_dx_de is None:
        pytest.skip("C speed-up not built")


def spot(line: str, received: datetime = RECEIVED) -> Spot:
    record = parse_line(line, received)
    assert isinstance(record, Spot), record
    return record


# -- DX de lines ------------------------------------------------------------------------


def test_dxspider_line_fields() -> None:
    s = spot("DX de CT3FW:     21004.8  HC2AO        599 TKS(CW)QSL READ,QRZ.COM    2132Z")
    assert (s.spotter, s.freq_khz, s.dx_call) == ("CT3FW", 21004.8, "HC2AO")
    assert s.comment == "599 TKS(CW)QSL READ,QRZ.COM"
    assert s.spot_time == datetime(2026, 11, 26, 21, 32, tzinfo=UTC)  # rolled back a day
    assert s.source == "dx" and not s.is_skimmer
    assert s.raw.startswith("DX de CT3FW:")


def test_ten_gigahertz_pushes_columns_out() -> None:
    s = spot("DX de DL6NAA: 10368887.0  DL7VTX/B     55s in JO50VFjo62 never hrd B4 1505Z")
    assert s.freq_khz == 10368887.0 and s.dx_call == "DL7VTX/B"
    assert s.comment == "55s in JO50VFjo62 never hrd B4"


def test_two_decimal_frequency_and_spotter_without_colon() -> None:
    s = spot("DX de 9K2/K2SES  14205.05 DK0HY                                       0921Z")
    assert (s.spotter, s.freq_khz, s.dx_call, s.comment) == ("9K2/K2SES", 14205.05, "DK0HY", "")


def test_control_bytes_ansi_cr_and_nbsp_are_removed() -> None:
    line = (
        "\x1b[1;32mDX de W4LT:\xa0\xa0\xa0\xa014204.0  EA3HSO  tnx\r QSO  2218Z EL88"
        "\x07\x07\x00\r\n"
    )
    s = spot(line)
    assert (s.spotter, s.freq_khz, s.dx_call) == ("W4LT", 14204.0, "EA3HSO")
    assert s.comment == "tnx QSO"
    assert s.spotter_locator == "EL88"
    assert "\x07" not in s.raw and "\x1b" not in s.raw and "\r" not in s.raw


def test_latin1_comment_is_kept_not_dropped() -> None:
    raw = "DX de F5LEN:     7083.0  OP17A        Spécial call Ørsted ÿ         0859Z".encode(
        "latin-1"
    )
    s = spot(decode_line(raw))
    assert s.comment == "Spécial call Ørsted ÿ"


@pytest.mark.parametrize(
    ("tail", "locator", "state"),
    [("JO62", "JO62", None), ("jo62", "JO62", None), ("WI", None, "WI")],
)
def test_tail_after_time(tail: str, locator: str | None, state: str | None) -> None:
    s = spot(f"DX de NK9O:      14074.0  TI4DJ        FT8 EN63>EK70                 0021Z {tail}")
    assert (s.spotter_locator, s.spotter_state) == (locator, state)


def test_unknown_word_after_the_time_means_the_line_was_cut() -> None:
    # "QRV 1200Z FT8": a truncated line whose only time is inside the comment.
    for line in (
        "DX de NK9O:      14074.0  TI4DJ        FT8 EN63>EK70                 0021Z XYZ",
        "DX de W3LPL:     14025.0  UA0ZZZ       QRV 1200Z FT8",
    ):
        record = parse_line(line, RECEIVED)
        assert isinstance(record, Other) and record.reason == "no time"


def test_time_inside_the_comment_stays_in_the_comment() -> None:
    s = spot("DX de W3LPL:     14025.0  UA0ZZZ       QRV 1200Z tomorrow             2259Z")
    assert s.comment == "QRV 1200Z tomorrow" and s.spot_time.hour == 22


def test_two_letters_at_the_end_of_a_comment_are_not_a_state() -> None:
    s = spot("DX de K1ABC:     14025.0  UA0ZZZ       CQ  DE                         0913Z")
    assert (s.comment, s.dx_state) == ("CQ  DE", None)


def test_ar_cluster_dx_state_before_time() -> None:
    s = spot("DX de N7RD:      10112.5  W8RIK        SORRY QSB NO COPY           OH 0011Z AZ")
    assert (s.comment, s.dx_state, s.spotter_state) == ("SORRY QSB NO COPY", "OH", "AZ")


def test_time_rolls_forward_when_the_node_clock_is_fast() -> None:
    before_midnight = datetime(2026, 11, 27, 23, 58, 30, tzinfo=UTC)
    assert spot("DX de K1ABC:  14025.0  DL1ABC   cq  0000Z", before_midnight).spot_time == (
        datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    )
    report = parse_line("WWV de VE7CC <00>:   SFI=113, A=18, K=2, No Storms", before_midnight)
    assert isinstance(report, SolarReport)
    assert report.report_time == datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def test_time_rolls_back_only_when_in_the_future() -> None:
    at_midnight = datetime(2026, 11, 27, 0, 0, 30, tzinfo=UTC)
    assert spot("DX de K1ABC:  14025.0  DL1ABC   cq  2359Z", at_midnight).spot_time == datetime(
        2026, 11, 26, 23, 59, tzinfo=UTC
    )
    # A node clock a couple of minutes fast stays on the same day.
    assert spot("DX de K1ABC:  14025.0  DL1ABC   cq  0003Z", at_midnight).spot_time == datetime(
        2026, 11, 27, 0, 3, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("DX de DF2MX", "truncated spot"),
        (
            "DX de DK1CS:9330368887.0  DL7VTX/B                                    1505Z",
            "bad frequency",
        ),
        (
            "DX de DH1TW:        23.0  DS1TW                                       1505Z",
            "bad frequency",
        ),
        ("DX de K1ABC:  14025.0  DL1ABC   no time here", "no time"),
        ("DX de K1ABC:  14025.0  DL1ABC   cq  2561Z", "bad time"),
    ],
)
def test_broken_spot_lines_are_other_with_a_reason(line: str, reason: str) -> None:
    record = parse_line(line, RECEIVED)
    assert isinstance(record, Other)
    assert (record.reason, record.raw) == (reason, line)


# -- Reverse Beacon Network -------------------------------------------------------------


def test_rbn_skimmer_line() -> None:
    s = spot("DX de KM3T-2-#:  14100.0  CS3B           CW    24 dB  22 WPM  NCDXF B 2259Z")
    assert (s.spotter, s.mode, s.snr_db, s.wpm, s.spot_type) == (
        "KM3T-2-#",
        "CW",
        24,
        22,
        "NCDXF B",
    )
    assert s.is_skimmer and s.source == "rbn"


def test_rbn_rtty_in_bps_and_negative_snr() -> None:
    s = spot("DX de W3LPL-#:   14083.0  K1ABC          RTTY  -3 dB  45 BPS  CQ      1200Z")
    assert (s.mode, s.snr_db, s.wpm, s.bps, s.spot_type) == ("RTTY", -3, None, 45, "CQ")


def test_rbn_ft8_with_locator_in_place_of_speed() -> None:
    s = spot("DX de K9LC-#:    14074.0  JA1XYZ         FT8  -12 dB  PM95  CQ      1200Z")
    assert (s.mode, s.snr_db, s.wpm, s.locator, s.spot_type) == ("FT8", -12, None, "PM95", "CQ")


@pytest.mark.parametrize(
    ("comment", "mode", "wpm", "spot_type"),
    [
        ("23 dB  18 WPM  CQ", None, 18, "CQ"),
        ("CW    23 dB  CQ", "CW", None, "CQ"),
        ("CW 30 dB 23 WPM CQ", "CW", 23, "CQ"),
        ("CW    12 dB  25 WPM  DX", "CW", 25, "DX"),
    ],
)
def test_rbn_missing_columns(
    comment: str, mode: str | None, wpm: int | None, spot_type: str
) -> None:
    s = spot(f"DX de DL3DTH-#:   1816.5  ON7PQ        {comment}             2201Z")
    assert (s.mode, s.wpm, s.spot_type) == (mode, wpm, spot_type)
    assert s.source == "rbn"


def test_dxspider_curated_rbn_with_zones() -> None:
    s = spot("DX de VE7CC-#:     3573.0 N8ADO        FT8 -14dB Q:4 Z:4,5          4 0647Z  3")
    assert (s.mode, s.snr_db, s.comment) == ("FT8", -14, "FT8 -14dB Q:4 Z:4,5")
    assert s.spot_time == datetime(2026, 11, 27, 6, 47, tzinfo=UTC)


# -- shapes an outside check on held-out real output found missed (issue 13) -------------


@pytest.mark.parametrize(
    "line",
    [
        "DX de CT3FW:     21004.8  HC2AO        599 TKS(CW)QSL READ,QRZ.COM    2132Z",
        "DX de KM3T-2-#:  14100.0  CS3B           CW    24 dB  22 WPM  NCDXF B 2259Z",
        "DX de F8DGY-#:     7018.3 RW1M         CW  23dB Q:9* Z:20           16 2259Z 14",
        "WWV de VE7CC <09>:   SFI=113, A=18, K=2, Minor w/G1 -> No Storms",
        "WCY de DK0WCY-1 <22> : K=9 expK=0 A=139 R=156 SFI=223 SA=maj GMF=sev Au=aurora",
        "To ALL de EA8CEN-9: carnaval de tenerife ea8urt",
        "G4XYZ de DL1ABC: are you QRV on 40m tonight?",
        "CC11^14260.0^IQ2XZ/P^26-Aug-2017^0859Z^AWARD^IZ1VZG^85^85^GB7UJS^28^15^28^15^^",
    ],
)
@pytest.mark.parametrize("blanks", [" ", "   ", "\t", " \t "])
def test_leading_blanks_change_nothing_but_raw(line: str, blanks: str) -> None:
    plain = parse_line(line, RECEIVED, "n")
    indented = parse_line(blanks + line + "\r\n", RECEIVED, "n")
    assert record_kind(indented) == record_kind(plain) != "other"
    assert indented.raw == blanks.replace("\t", " ") + line  # the blanks stay in raw
    if isinstance(plain, Spot):
        assert isinstance(indented, Spot)
        assert indented._replace(raw=plain.raw) == plain
    else:
        assert dataclasses.replace(indented, raw=plain.raw) == plain  # type: ignore[type-var]


@pytest.mark.parametrize("line", ["   ", "  \t hello", "  * Please login *"])
def test_indented_lines_that_are_nothing_stay_other(line: str) -> None:
    record = parse_line(line, RECEIVED)
    assert isinstance(record, Other) and record.raw == line.replace("\t", " ")


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        (
            "DX de W3LPL-#:   14025.1  N1BRI          CW    18 dB  24 WPM  CQ      0913",
            ("CW", 18, 24, None, "CQ", None, "CW    18 dB  24 WPM  CQ"),
        ),
        (
            "DX de KM3T-2-#:  14100.0  CS3B           CW    24 dB  22 WPM  NCDXF B 0913",
            ("CW", 24, 22, None, "NCDXF B", None, "CW    24 dB  22 WPM  NCDXF B"),
        ),
        (
            "DX de W3LPL-#:   14083.0  K1ABC          RTTY  -3 dB  45 BPS  CQ      0913  ",
            ("RTTY", -3, None, 45, "CQ", None, "RTTY  -3 dB  45 BPS  CQ"),
        ),
        (
            "DX de K1TTT-#:   14074.0  W1AW           FT8   -9 dB  FN31  CQ      0913",
            ("FT8", -9, None, None, "CQ", "FN31", "FT8   -9 dB  FN31  CQ"),
        ),
        (
            "DX de DL3DTH-#:   1816.5  ON7PQ        CW 30 dB 23 WPM CQ 0913",
            ("CW", 30, 23, None, "CQ", None, "CW 30 dB 23 WPM CQ"),
        ),
    ],
)
def test_skimmer_time_without_z(line: str, fields: tuple[object, ...]) -> None:
    s = spot(line)
    assert s.spot_time == datetime(2026, 11, 27, 9, 13, tzinfo=UTC)
    assert (s.mode, s.snr_db, s.wpm, s.bps, s.spot_type, s.locator, s.comment) == fields
    assert s.is_skimmer and s.source == "rbn" and s.raw == line


@pytest.mark.parametrize(
    "line",
    [
        "DX de K1ABC:     14025.0  DL1ABC       up 1234",  # a human's: may be cut short
        "DX de K1ABC:     14025.0  DL1ABC       CW 24 dB 22 WPM CQ 1234",  # not a skimmer
        "DX de F8DGY-#:     7018.3 RW1M         CW  23dB Q:9* Z:20           1234",
        "DX de KM3T-#:    14025.0  CS3B         heard it                     1234",
        "DX de KM3T-#:    14025.0  CS3B         CW    24 dB  22 WPM  CQ      2561",
    ],
)
def test_four_digits_without_z_are_a_time_only_after_a_skimmers_report(line: str) -> None:
    record = parse_line(line, RECEIVED)
    assert isinstance(record, Other) and record.reason == "no time"


@pytest.mark.parametrize(
    ("line", "dx_state", "spotter_state"),
    [
        ("DX de K1TTT-#:  14025.0  W1AW  CW 22 dB 20 WPM CQ  MA  1234Z", "MA", None),
        ("DX de K1TTT-#:   14025.0  W1AW         CW 22 dB 20 WPM CQ  MA EMA  1234Z", "MA", None),
        ("DX de K1TTT-#:   14025.0  W1AW         CW 22 dB 20 WPM CQ  + 5 8     1234Z", None, None),
        ("DX de K1TTT-#:   14025.0  W1AW         CW 22 dB 20 WPM CQ  CT CT  1234Z MA", "CT", "MA"),
        ("DX de K1TTT-#:   14025.0  W1AW         CW 22 dB 20 WPM CQ     CT 1234Z MA", "CT", "MA"),
        ("DX de K1TTT-#:  14025.0  W1AW  CW 22 dB 20 WPM CQ  MA  1234", "MA", None),
    ],
)
def test_ar_cluster_dx_extension_after_a_skimmers_report(
    line: str, dx_state: str | None, spotter_state: str | None
) -> None:
    s = spot(line, datetime(2026, 11, 27, 12, 40, tzinfo=UTC))
    assert (s.mode, s.snr_db, s.wpm, s.spot_type) == ("CW", 22, 20, "CQ")
    assert s.comment == "CW 22 dB 20 WPM CQ"  # the node's words stay in raw only
    assert (s.dx_state, s.spotter_state) == (dx_state, spotter_state)
    assert s.spot_time == datetime(2026, 11, 27, 12, 34, tzinfo=UTC)
    assert s.is_skimmer and s.source == "rbn" and s.raw == line


def test_a_humans_comment_keeps_words_that_look_like_an_extension() -> None:
    s = spot("DX de K1ABC:     14025.0  W1AW         tnx QSO  MA EMA  1234Z")
    assert (s.comment, s.dx_state, s.is_skimmer) == ("tnx QSO  MA EMA", None, False)


def test_the_c_reader_takes_the_held_out_shapes_itself() -> None:
    speedups = pytest.importorskip("dxspots.parse._cdxde", reason="C speed-up not built")
    for line in (
        "  DX de CT3FW:     21004.8  HC2AO        599 TKS(CW)QSL READ,QRZ.COM    2132Z",
        "DX de W3LPL-#:   14025.1  N1BRI          CW    18 dB  24 WPM  CQ      0913",
        "DX de K1TTT-#:  14025.0  W1AW  CW 22 dB 20 WPM CQ  MA  1234Z",
        "DX de DL1ABC:  1840.5  OX3XR  FT8 -12 dB  1234Z",
    ):
        assert speedups.read_line(line, RECEIVED, "n") is not None, line


# -- CC11, sh/dx ------------------------------------------------------------------------


def test_cc11_all_fields() -> None:
    line = (
        "CC11^7074^AE1AA^12-Dec-2025^0019Z^FT8 ~ -14 dB^N2CR-#^1^^RBNFT8^8^5^8^5^NH^NJ"
        "^K^K^FN43^FN20^40^43.5/71^"
    )
    s = spot(line)
    assert (s.freq_khz, s.dx_call, s.spotter) == (7074.0, "AE1AA", "N2CR-#")
    assert s.spot_time == datetime(2025, 12, 12, 0, 19, tzinfo=UTC)
    assert s.comment == "FT8 ^ -14 dB"
    assert (s.dx_state, s.spotter_state, s.locator, s.spotter_locator) == (
        "NH",
        "NJ",
        "FN43",
        "FN20",
    )
    assert s.origin_node == "RBNFT8" and s.is_skimmer and s.source == "cc11"


def test_cc11_truncated_is_other() -> None:
    assert isinstance(parse_line("CC11^7074^AE1AA^12-Dec-2025", RECEIVED), Other)


@pytest.mark.parametrize(
    "line",
    [
        "  14025.0 UA0ZZZ      27-Nov-2026 0913Z comment here  <DL1ABC>",
        "14025.0  UA0ZZZ      27-Nov-2026 0913Z comment here                 <DL1ABC>",
        "  14025.0  UA0ZZZ     27-Nov 0913Z comment here <DL1ABC>",
    ],
)
def test_shdx_rows_keep_their_date(line: str) -> None:
    s = spot(line, datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    assert (s.freq_khz, s.dx_call, s.spotter, s.comment) == (
        14025.0,
        "UA0ZZZ",
        "DL1ABC",
        "comment here",
    )
    assert s.spot_time == datetime(2026, 11, 27, 9, 13, tzinfo=UTC)
    assert s.source == "shdx"


def test_shdx_skimmer_row() -> None:
    s = spot("  7018.3  RW1M         5-Jul-2020 2259Z CW 23dB Q:9* Z:20          <F8DGY-#>")
    assert s.spot_time == datetime(2020, 7, 5, 22, 59, tzinfo=UTC) and s.is_skimmer


# -- WWV, WCY ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "hour", "sfi", "a", "k", "forecast"),
    [
        (
            "WWV de VE7CC <09>:   SFI=113, A=18, K=2, Minor w/G1 -> No Storms",
            9,
            113,
            18,
            2,
            "Minor w/G1 -> No Storms",
        ),
        (
            "WWV de VE7CC <15Z> :   SFI=68, A=9, K=2, No Storms -> Minor w/G1",
            15,
            68,
            9,
            2,
            "No Storms -> Minor w/G1",
        ),
        ("WWV de W0MU <21>:   SFI=118,A=5, K=1,", 21, 118, 5, 1, None),
        ("WWV de W0MU <21>:   SFI=118, A=XX, K=1,", 21, 118, None, 1, None),
    ],
)
def test_wwv_variants(
    line: str, hour: int, sfi: int, a: int | None, k: int, forecast: str | None
) -> None:
    report = parse_line(line, RECEIVED)
    assert isinstance(report, SolarReport) and report.kind == "wwv"
    assert (report.report_time.hour, report.sfi, report.a_index, report.k_index) == (
        hour,
        sfi,
        a,
        k,
    )
    assert report.forecast == forecast
    assert report.report_time <= RECEIVED


def test_wcy_all_fields() -> None:
    report = parse_line(
        "WCY de DK0WCY-1 <22> : K=9 expK=0 A=139 R=156 SFI=223 SA=maj GMF=sev Au=aurora", RECEIVED
    )
    assert isinstance(report, SolarReport)
    assert (report.kind, report.reporter, report.k_index, report.expk, report.a_index) == (
        "wcy",
        "DK0WCY-1",
        9,
        0,
        139,
    )
    assert (report.r, report.sfi, report.sa, report.gmf, report.aurora) == (
        156,
        223,
        "maj",
        "sev",
        "aurora",
    )
    assert report.report_time == datetime(2026, 11, 26, 22, 0, tzinfo=UTC)


def test_wcy_without_hour_uses_received_hour() -> None:
    report = parse_line(
        "WCY de DK0WCY-1 #### : K=3 expK=4 A=10 R=0 SFI=71 SA=qui GMF=qui Au=no", RECEIVED
    )
    assert isinstance(report, SolarReport)
    assert report.report_time == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "line", ["WWV de VE7CC", "WCY de DK0WCY-1", "WWC de W0MU <12>:   SFI=118, A=9, K=1"]
)
def test_truncated_or_misspelt_reports_are_other(line: str) -> None:
    assert isinstance(parse_line(line, RECEIVED), Other)


# -- announcements and talk -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind", "sender", "text", "sent"),
    [
        (
            "To ALL de EA8CEN-9: carnaval de tenerife ea8urt",
            "all",
            "EA8CEN-9",
            "carnaval de tenerife ea8urt",
            None,
        ),
        ("To ALL de CT2IDL <1044Z> : TNX qso..", "all", "CT2IDL", "TNX qso..", (10, 44)),
        ("To Local de N5UXT <1405Z> : rebooting", "local", "N5UXT", "rebooting", (14, 5)),
        ("To LOCAL de IW5CLM: off", "local", "IW5CLM", "off", None),
        ("WX de VA3SAE: va3sub", "wx", "VA3SAE", "va3sub", None),
        ("WX de LA3WAA <1001Z> :  Sunny and Warm", "wx", "LA3WAA", "Sunny and Warm", (10, 1)),
    ],
)
def test_announcements(
    line: str, kind: str, sender: str, text: str, sent: tuple[int, int] | None
) -> None:
    message = parse_line(line, RECEIVED)
    assert isinstance(message, Announcement)
    assert (message.kind, message.sender, message.text) == (kind, sender, text)
    assert (
        (message.sent_time.hour, message.sent_time.minute) == sent
        if sent
        else message.sent_time is None
    )


def test_talk_message() -> None:
    message = parse_line("G4XYZ de DL1ABC: are you QRV on 40m tonight?", RECEIVED)
    assert isinstance(message, Announcement)
    assert (message.kind, message.recipient, message.sender) == ("talk", "G4XYZ", "DL1ABC")
    assert message.text == "are you QRV on 40m tonight?"


@pytest.mark.parametrize(
    "line",
    [
        "To ALL de SV5FRI-1",
        "TO ALL de 222DL5ML: to DX0HQ pse lsn",
        "TO ALL de: to DX0HQ",
        "ALL de DL5ML: hi",
    ],
)
def test_broken_announcements_are_other(line: str) -> None:
    assert isinstance(parse_line(line, RECEIVED), Other)


@pytest.mark.parametrize(
    "line",
    [
        "login: ",
        "Please enter your call:",
        "DL1ABC de GB7DJK 27-Nov-2026 0913Z dxspider >",
        "",
        "   ",
        "\x07\x07",
    ],
)
def test_prompts_banners_and_blank_lines_are_other(line: str) -> None:
    record = parse_line(line, RECEIVED)
    assert isinstance(record, Other)
    assert record.reason in ("unrecognised", "empty")


# -- the real lines ---------------------------------------------------------------------

EXPECTED_KINDS = {
    # file: (spots, wwv, wcy, announcements) — counted by hand from the files
    "dxspider-rbn-feed.txt": (37, 0, 0, 0),
    "dxspider-rbn-node-output.txt": (8, 0, 0, 0),
    "dh1tw-dx-cluster-parser.txt": (8, 10, 2, 2),
    "dxclparser.txt": (7, 3, 2, 6),
    "tlf.txt": (1, 2, 7, 0),
}


@pytest.mark.needs_shared
@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_real_files_kinds(name: str) -> None:
    path = shared_file("lines", name)
    kinds = [
        record_kind(parse_line(line, RECEIVED)) for line in path.read_text("latin-1").splitlines()
    ]
    counts = tuple(kinds.count(kind) for kind in ("spot", "wwv", "wcy", "announcement"))
    assert counts == EXPECTED_KINDS[name]


@pytest.mark.needs_shared
def test_real_flcluster_lines_with_textual_markers() -> None:
    path = shared_file("lines", "flcluster-spots.txt")
    text = (
        path.read_text("latin-1")
        .replace("<cr>", "\r")
        .replace("<lf>", "")
        .replace("<BELL>", "\x07")
    )
    records = [parse_line(line, RECEIVED) for line in text.split("\n") if line]
    spots = [r for r in records if isinstance(r, Spot)]
    assert len(spots) == 16
    by_spotter = {s.spotter: s for s in spots}
    assert by_spotter["KB8O"].spotter_locator == "EN81"
    assert by_spotter["N3ZV"].spotter_locator == "FM18"
    assert by_spotter["N7RD"].dx_state == "OH" and by_spotter["N7RD"].spotter_state == "AZ"
    assert by_spotter["ON3LX"].source == "cc11" and "ï¿½" in by_spotter["ON3LX"].comment


@pytest.mark.needs_shared
def test_real_rbn_feed_every_line_is_a_skimmer_spot() -> None:
    path = shared_file("lines", "dxspider-rbn-feed.txt")
    for line in path.read_text("latin-1").splitlines():
        s = spot(line)
        assert s.is_skimmer and s.source == "rbn" and s.snr_db is not None and s.spot_type


@pytest.mark.needs_shared
def test_real_negative_lines_are_not_spots_or_reports() -> None:
    path = shared_file("lines", "dh1tw-dx-cluster-parser-negative.txt")
    records = [parse_line(line, RECEIVED) for line in path.read_text("latin-1").splitlines()]
    # The two 234 kHz lines are well-formed spots on a frequency outside every band: they are
    # kept, with no band (see test_enrich). Everything else is refused.
    assert sum(isinstance(r, Spot) for r in records) == 2
    assert all(isinstance(r, Other) for r in records if not isinstance(r, Spot))


# -- never raises -----------------------------------------------------------------------


def no_parser_error(record: object) -> bool:
    """parse_line catches everything; a caught exception shows as this reason."""
    return not (isinstance(record, Other) and record.reason.startswith("parser error"))


@pytest.mark.parametrize(
    "line",
    [
        "DX de W3LPL-#:  14025.0  K1ABC  CW 5 dB \xb222 WPM  CQ  2259Z",
        "DX de W3LPL-#:  14025.0  K1ABC  CW --5 dB  22 WPM  CQ  2259Z",
        "DX de W3LPL-#:  14025.0  K1ABC  CW 5 dB  22 WPM  CQ  \xb2259Z",
        "WWV de VE7CC <09>:   SFI=1\xb23, A=18, K=2",
        "CC11^7074^AE1AA^\xb27-Dec-2025^0019Z^FT8^N2CR-#",
        "  14025.0 UA0ZZZ      2\xb3-Nov-2026 0913Z comment  <DL1ABC>",
        "DX de K1ABC:  14025.0  DL1ABC   cq  2259Z \xb9\xb2",
    ],
)
def test_latin1_superscript_digits_are_not_numbers(line: str) -> None:
    assert no_parser_error(parse_line(line, RECEIVED))


@NO_FIXTURE_CHECK
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    record = parse_line(text, RECEIVED)
    assert record_kind(record) in {"spot", "wwv", "wcy", "announcement", "other"}
    assert record.raw == clean_line(text)
    assert no_parser_error(record)


@NO_FIXTURE_CHECK
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    assert no_parser_error(parse_line(decode_line(data), RECEIVED))


@NO_FIXTURE_CHECK
@given(
    st.sampled_from(["DX de ", "CC11^", "WWV de ", "WCY de ", "To ALL de ", "  14025.0 "]),
    st.text(max_size=120),
)
def test_format_prefixes_with_garbage_never_raise(prefix: str, rest: str) -> None:
    assert no_parser_error(parse_line(prefix + rest, RECEIVED))

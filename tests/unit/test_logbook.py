"""A log record into a QSO (dxspots/logbook.py): time, band, mode class, entity, confirmation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dxspots.cty import CountryFile
from dxspots.logbook import Qso, QsoReader, mode_class
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def reader() -> QsoReader:
    return QsoReader(CountryFile.load(FIXTURES / "cty_small.dat", FIXTURES / "cty_small.csv"))


def qso(reader: QsoReader, **fields: str) -> Qso:
    read = reader.read({"CALL": "DL1ABC", "BAND": "20M", "MODE": "CW", "QSO_DATE": "20260101",
                        **{k.upper(): v for k, v in fields.items()}})  # fmt: skip
    assert isinstance(read, Qso), read
    return read


def test_the_dxcc_number_names_the_entity_before_the_call(reader: QsoReader) -> None:
    # A German call worked from Alaska (KL7/DL1ABC) is logged with DXCC 6 by the logger.
    assert qso(reader, call="KL7/DL1ABC", dxcc="6").dx_entity == "Alaska"
    assert qso(reader, call="KL7/DL1ABC").dx_entity == "Alaska"  # from the call
    assert qso(reader, call="DL1ABC").dx_entity == "Fed. Rep. of Germany"
    assert qso(reader, call="DL1ABC", dxcc="9999").dx_entity == "Fed. Rep. of Germany"
    assert qso(reader, call="DL1ABC", dxcc="230").dxcc == 230


def test_without_a_country_file_there_is_no_entity() -> None:
    read = QsoReader(None).read({"CALL": "DL1ABC", "BAND": "20M", "MODE": "CW",
                                 "QSO_DATE": "20260101", "DXCC": "230"})  # fmt: skip
    assert isinstance(read, Qso) and read.dx_entity is None and read.dxcc == 230


@pytest.mark.parametrize(
    ("mode", "submode", "expected"),
    [("CW", "", "CW"), ("SSB", "USB", "PHONE"), ("AM", "", "PHONE"), ("FM", "", "PHONE"),
     ("DIGITALVOICE", "", "PHONE"), ("MFSK", "FT4", "DATA"), ("FT4", "", "DATA"),
     ("FT8", "", "DATA"), ("RTTY", "", "DATA"), ("PSK", "PSK31", "DATA"), ("ssb", "", "PHONE"),
     ("", "", None)],
)  # fmt: skip
def test_mode_classes_as_dxcc_counts_them(mode: str, submode: str, expected: str | None) -> None:
    assert mode_class(mode, submode) == expected


def test_the_logged_mode_is_the_submode_when_there_is_one(reader: QsoReader) -> None:
    read = qso(reader, mode="MFSK", submode="FT4")
    assert (read.mode, read.mode_class) == ("FT4", "DATA")


def test_time_date_and_band_from_what_the_record_has(reader: QsoReader) -> None:
    read = qso(reader, qso_date="20251231", time_on="2359")
    assert read.qso_time == datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
    assert qso(reader, time_on="235959").qso_time.second == 59
    assert qso(reader).qso_time == datetime(2026, 1, 1, tzinfo=UTC)  # no TIME_ON: 00:00
    assert qso(reader, band="40m").band == "40m"
    no_band = reader.read({"CALL": "K1ZZ", "FREQ": "7.0255", "MODE": "CW", "QSO_DATE": "20260101"})
    assert isinstance(no_band, Qso) and no_band.band == "40m"


def test_confirmed_by_card_or_lotw(reader: QsoReader) -> None:
    assert not qso(reader).confirmed
    assert qso(reader, qsl_rcvd="Y").confirmed
    assert qso(reader, lotw_qsl_rcvd="V").confirmed
    assert qso(reader, qsl_rcvd="y").confirmed
    assert not qso(reader, qsl_rcvd="N", lotw_qsl_rcvd="R").confirmed
    # LoTW's own fields on its QSL records.
    assert qso(reader, app_lotw_2xqsl="Y").confirmed
    assert qso(reader, app_lotw_rxqsl="2026-11-29 12:00:00").confirmed
    assert not qso(reader, app_lotw_2xqsl="N", app_lotw_rxqsl=" ").confirmed


def test_lotws_mode_group_is_the_class_when_given(reader: QsoReader) -> None:
    assert qso(reader, mode="DIGITALVOICE", app_lotw_modegroup="PHONE").mode_class == "PHONE"
    assert qso(reader, mode="SSTV", app_lotw_modegroup="data").mode_class == "DATA"
    assert qso(reader, mode="CW", app_lotw_modegroup="IMAGE").mode_class == "CW"  # unknown: MODE


@pytest.mark.parametrize(
    ("fields", "reason"),
    [({"CALL": ""}, "no CALL"), ({"CALL": "K1<ZZ"}, "no usable CALL"),
     ({"QSO_DATE": "2026011"}, "no usable QSO_DATE"), ({"QSO_DATE": "20261301"}, "no usable"),
     ({"TIME_ON": "2561"}, "no usable QSO_DATE/TIME_ON"), ({"BAND": "21m"}, "no usable BAND"),
     ({"MODE": ""}, "no MODE")],
)  # fmt: skip
def test_records_that_are_not_qsos_say_why(
    reader: QsoReader, fields: dict[str, str], reason: str
) -> None:
    record = {"CALL": "DL1ABC", "BAND": "20M", "MODE": "CW", "QSO_DATE": "20260101"} | fields
    read = reader.read(record)
    assert isinstance(read, str) and read.startswith(reason)


def test_a_dxcc_of_other_digits_is_no_number(reader: QsoReader) -> None:
    read = qso(reader, call="DL1ABC", dxcc="²")  # str.isdigit() takes it, int() does not
    assert read.dxcc is None and read.dx_entity == "Fed. Rep. of Germany"

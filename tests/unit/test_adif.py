"""The ADIF reader (dxspots/adif.py) on the shapes loggers, LoTW and Club Log write, and on
broken and hostile input: every readable record read, every other one named by its line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dxspots.adif import AdifProblem, AdifRecord, read_adi, read_adx, read_header, read_log

LOTW = b"""ARRL Logbook of the World Status Report
Generated at 2026-11-30 10:00:00
<PROGRAMID:4>LoTW
<APP_LoTW_LASTQSL:19>2026-11-29 12:00:00
<eoh>
<CALL:5>VP8PJ
<BAND:3>20M
<MODE:2>CW
<QSO_DATE:8:D>20251231
<TIME_ON:6>235930
<QSL_RCVD:1>Y
<DXCC:3>141
<APP_LoTW_MODEGROUP:2>CW
<eor>
<call:4>K1ZZ<band:3>40m<mode:4>MFSK<submode:3>FT4<qso_date:8>20260101<eor>
<APP_LoTW_EOF>
"""


def records(items: list[AdifRecord | AdifProblem]) -> list[dict[str, str]]:
    return [item.fields for item in items if isinstance(item, AdifRecord)]


def problems(items: list[AdifRecord | AdifProblem]) -> list[tuple[int, str]]:
    return [(item.line, item.reason) for item in items if isinstance(item, AdifProblem)]


def test_a_lotw_report_its_header_and_records_in_any_case() -> None:
    items = list(read_adi(LOTW))
    assert problems(items) == []
    first, second = records(items)
    assert first["CALL"] == "VP8PJ" and first["QSO_DATE"] == "20251231"  # typed <..:8:D>
    assert first["APP_LOTW_MODEGROUP"] == "CW" and first["QSL_RCVD"] == "Y"
    assert second == {"CALL": "K1ZZ", "BAND": "40m", "MODE": "MFSK", "SUBMODE": "FT4",
                      "QSO_DATE": "20260101"}  # fmt: skip
    assert [item.line for item in items] == [6, 15]
    assert read_header(LOTW) == {"PROGRAMID": "LoTW", "APP_LOTW_LASTQSL": "2026-11-29 12:00:00"}


def test_a_value_is_read_by_its_length_even_holding_tags() -> None:
    data = b"<CALL:4>OK5A<COMMENT:20>see <eor> in text ok<EOR><CALL:4>OK6A<EOR>"
    assert records(list(read_adi(data))) == [
        {"CALL": "OK5A", "COMMENT": "see <eor> in text ok"}, {"CALL": "OK6A"},
    ]  # fmt: skip


def test_non_ascii_values_counted_in_bytes_or_in_characters() -> None:
    data = (
        "<CALL:4>DL2X<COMMENT:12>Grüße <73><BAND:3>20M<EOR>\n"  # 12 UTF-8 bytes
        "<CALL:4>DL3X<COMMENT:10>Grüße <73><BAND:3>20M<EOR>\n"  # 10 characters
    ).encode()
    read = records(list(read_adi(data)))
    assert [r["COMMENT"] for r in read] == ["Grüße <73>", "Grüße <73>"]
    assert [r["BAND"] for r in read] == ["20M", "20M"]


def test_latin_1_values_are_read_not_refused() -> None:
    data = "<CALL:4>F5AB<NAME:6>Hélène<EOR>".encode("latin-1")
    assert records(list(read_adi(data))) == [{"CALL": "F5AB", "NAME": "Hélène"}]


def test_broken_records_are_named_by_line_and_the_rest_read() -> None:
    data = b"""<ADIF_VER:5>3.1.4<EOH>
<CALL:4>OK1A<BAND:3>20M<EOR>
<CALL:x>OK3A<BAND:3>20M<EOR>
<CALL:4>OK4A<CALL:4>OK4B<EOR>
<CALL:4>OK7A<STRAY>
<BAND:3>20M<EOR>
<CALL:4>OK5A<BAND:3>20M<EOR>
<CALL:4>OK6A<BAND:9>20M"""
    items = list(read_adi(data))
    assert records(items) == [{"CALL": "OK1A", "BAND": "20M"}, {"CALL": "OK5A", "BAND": "20M"}]
    assert problems(items) == [
        (3, "bad length in <CALL:x>"),
        (4, "the field CALL twice"),
        (5, "a <STRAY> tag with no length"),
        (8, "the value of BAND runs past the end"),
    ]
    bad = [item for item in items if isinstance(item, AdifProblem)]
    assert bad[0].text == "<CALL:x>OK3A<BAND:3>20M<EOR>"


def test_a_cut_file_names_its_last_record() -> None:
    items = list(read_adi(b"<CALL:4>OK1A<EOR>\n<CALL:4>OK2A<BAND:3>20M\n"))
    assert records(items) == [{"CALL": "OK1A"}]
    assert problems(items) == [(2, "the last record has no <EOR> (a cut file?)")]


def test_empty_and_header_only_files_have_no_records() -> None:
    for data in (b"", b"\n", b"just text\n", b"header<EOH>\n", b"<EOH>"):
        assert list(read_log(data)) == []


def test_a_record_with_too_many_fields_is_a_problem_not_a_cost() -> None:
    fields = b"".join(b"<F%d:1>x" % n for n in range(600))
    items = list(read_adi(b"<CALL:4>OK1A" + fields + b"<EOR><CALL:4>OK2A<EOR>"))
    assert problems(items) == [(1, "more than 500 fields")]
    assert records(items) == [{"CALL": "OK2A"}]


ADX = b"""<?xml version="1.0" encoding="UTF-8"?>
<ADX>
  <HEADER><ADIF_VER>3.1.4</ADIF_VER><PROGRAMID>LoTW</PROGRAMID></HEADER>
  <RECORDS>
    <RECORD>
      <CALL>VP8PJ</CALL><BAND>20M</BAND><MODE>CW</MODE><QSO_DATE>20251231</QSO_DATE>
      <APP PROGRAMID="LoTW" FIELDNAME="MODEGROUP" TYPE="S">CW</APP>
      <COMMENT>Gr\xc3\xbc\xc3\x9fe &lt;73&gt;</COMMENT>
    </RECORD>
    <RECORD><CALL>K1ZZ</CALL><CALL>K1ZY</CALL></RECORD>
    <RECORD><CALL>OK1A</CALL></RECORD>
  </RECORDS>
</ADX>
"""


def test_adx_records_application_fields_and_problems() -> None:
    items = list(read_log(ADX))
    first, second = records(items)
    assert first == {"CALL": "VP8PJ", "BAND": "20M", "MODE": "CW", "QSO_DATE": "20251231",
                     "APP_LOTW_MODEGROUP": "CW", "COMMENT": "Grüße <73>"}  # fmt: skip
    assert second == {"CALL": "OK1A"}
    assert problems(items) == [(10, "the field CALL twice")]


def test_broken_xml_ends_with_a_problem_at_its_line() -> None:
    items = list(read_adx(ADX[: ADX.index(b"<RECORD><CALL>OK1A")] + b"<RECORD><CALL>X"))
    assert records(items)[0]["CALL"] == "VP8PJ"
    line, reason = problems(items)[-1]
    assert line == 11 and reason.startswith("not well-formed XML")


def test_adx_does_not_expand_entities_without_bound() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE ADX [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
<!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>
<ADX><RECORDS><RECORD><CALL>&i;</CALL></RECORD></RECORDS></ADX>"""
    items = list(read_adx(bomb))  # expat refuses the amplification: a problem, no blow-up
    assert records(items) == [] and problems(items)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_nothing_makes_the_readers_raise(data: bytes) -> None:
    for item in list(read_adi(data)) + list(read_adx(data)) + list(read_log(b"<?xml" + data)):
        assert isinstance(item, AdifRecord | AdifProblem)


SOUP = [b"<CALL:4>", b"OK1A", b"<EOR>", b"<EOH>", b"<BAND:", b"3>", b"20M", b"\xc3\xbc", b"<",
        b">", b":", b"\n"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SOUP), max_size=40))
def test_tag_soup_never_raises_and_lines_stay_in_the_file(parts: list[bytes]) -> None:
    data = b"".join(parts)
    lines = data.count(b"\n") + 1
    for item in read_adi(data):
        assert 1 <= item.line <= lines and 0 <= item.end <= len(data)


def test_tags_never_closed_cost_a_linear_pass() -> None:
    # Once quadratic (each unclosed tag scanned to the end): 1 MB would have taken minutes.
    # The suite's timeout is the bound; nothing in it is a record.
    assert list(read_log(b"<a:1:" * 200_000)) == []


def test_an_eoh_inside_a_value_is_not_the_header_end() -> None:
    data = b"<CALL:4>K1AB<COMMENT:5><eoh><EOR><CALL:4>K2AB<EOR>"
    assert records(list(read_log(data))) == [{"CALL": "K1AB", "COMMENT": "<eoh>"},
                                              {"CALL": "K2AB"}]  # fmt: skip
    assert read_header(data) == {}
    assert read_header(b"<PROGRAMID:4>LoTW<EOH><CALL:4>K1AB<EOR>") == {"PROGRAMID": "LoTW"}


def test_adx_in_utf_16_or_starting_with_a_comment_and_an_unreadable_encoding() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><ADX><RECORDS><RECORD><CALL>JA1ZZ</CALL>' \
        "<NAME>Tarō</NAME></RECORD></RECORDS></ADX>"
    assert records(list(read_log(text.encode("utf-16")))) == [{"CALL": "JA1ZZ", "NAME": "Tarō"}]
    commented = b"<!-- LoTW --><ADX><RECORDS><RECORD><CALL>A1A</CALL></RECORD></RECORDS></ADX>"
    assert records(list(read_log(commented))) == [{"CALL": "A1A"}]
    shift_jis = text.replace("UTF-16", "Shift_JIS").replace("Tarō", "太郎").encode("shift_jis")
    assert problems(list(read_log(shift_jis))) == [
        (1, "cannot read the XML: multi-byte encodings are not supported")
    ]

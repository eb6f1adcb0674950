"""Read ADIF logs: ADI (``.adi``, tagged text) and ADX (``.adx``, XML), as loggers, LoTW and
Club Log write them. Pure functions over the file's bytes: no I/O, and nothing in the input
makes them raise. Each record comes out as an `AdifRecord` (field names upper-cased, values
as written) or, when it cannot be read, an `AdifProblem` naming its line; reading goes on
with the next record.

ADI (ADIF 3.1, section "ADI File Format"): an optional header ended by ``<EOH>``, then
fields ``<NAME:LENGTH[:TYPE]>VALUE`` ended by ``<EOR>``; tags in any case; any text between
fields is ignored, so a value is found by its length alone and may hold ``<`` or even
``<eor>``. The spec allows only ASCII in ADI, where bytes and characters count alike; loggers
write UTF-8 anyway, most counting bytes and some characters, so a value with non-ASCII bytes
is read by whichever count ends it where a tag or the end can follow. No PyPI reader was
kept: the four judged (adif-io, adif-parser, PyADIF-File, adiftools) each lose or mangle
records on broken input, count characters, or raise for the whole file, and none gives
line numbers (issue 16's notes).

ADX (ADIF 3.1, "ADX File Format"): ``<ADX><HEADER>..</HEADER><RECORDS><RECORD>..`` with one
element per field and ``<APP PROGRAMID=".." FIELDNAME="..">`` for application fields (read
as ``APP_<PROGRAMID>_<FIELDNAME>``), through expat (no external entities or DTDs are
fetched); broken XML ends the reading with one problem at its line.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_FIELDS = 500
"""Fields in one record past which the record is a problem (a real QSO has tens)."""
MAX_PROBLEM_TEXT = 200
"""Characters of a bad record kept in its problem, for the report."""

_TAG = re.compile(rb"<([A-Za-z][A-Za-z0-9_]*)(?::([^:<>]*)(?::([^<>]*))?)?>")
"""A tag. Its parts stop at `<` too: a file of tags never closed is read in linear time."""


@dataclass(frozen=True, slots=True)
class AdifRecord:
    """One record: its fields by upper-case name, the line it starts on, where it ends."""

    fields: dict[str, str]
    line: int
    end: int = 0
    """The byte offset just past the record (for progress)."""


@dataclass(frozen=True, slots=True)
class AdifProblem:
    """A record that could not be read: its line, why, and the start of its text."""

    line: int
    reason: str
    text: str = ""
    end: int = 0


@dataclass(slots=True)
class _Reading:
    fields: dict[str, str] = field(default_factory=dict)
    line: int = 0
    start: int = 0
    problem: str | None = None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _value_end(data: bytes, start: int, length: int) -> int:
    """Where a value of `length` starting at `start` ends: by bytes, or by characters when
    the value has non-ASCII bytes and only the character count ends it before a tag."""
    by_bytes = start + length
    chunk = data[start:by_bytes]
    if chunk.isascii():
        return by_bytes
    if _clean_after(data, by_bytes) and _utf8_boundary(data, by_bytes):
        return by_bytes
    text = data[start : start + 4 * length].decode("utf-8", errors="replace")[:length]
    by_chars = start + len(text.encode("utf-8", errors="replace"))
    return by_chars if _clean_after(data, by_chars) else by_bytes


def _utf8_boundary(data: bytes, at: int) -> bool:
    return at >= len(data) or data[at] & 0xC0 != 0x80


def _clean_after(data: bytes, at: int) -> bool:
    """Only white space lies between `at` and the next tag (or the end)."""
    following = data.find(b"<", at)
    gap = data[at:] if following < 0 else data[at:following]
    return not gap.strip()


def _problem(data: bytes, reading: _Reading, reason: str, end: int) -> AdifProblem:
    text = _decode(data[reading.start : min(end, reading.start + 4 * MAX_PROBLEM_TEXT)])
    return AdifProblem(reading.line, reason, text[:MAX_PROBLEM_TEXT], end)


def read_adi(data: bytes) -> Iterator[AdifRecord | AdifProblem]:
    """The records of an ADI file, in order; `AdifProblem` for each that cannot be read."""
    position, line, scanned = 0, 1, 0
    end_of_header = _header_end(data)
    if end_of_header is not None:
        position = end_of_header
    reading = _Reading()

    def line_at(offset: int) -> int:
        nonlocal line, scanned
        line += data.count(b"\n", scanned, offset)
        scanned = offset
        return line

    while True:
        tag = _TAG.search(data, position)
        if tag is None:
            break
        name = tag.group(1).decode("ascii").upper()
        if not reading.fields and reading.problem is None:
            reading.line, reading.start = line_at(tag.start()), tag.start()
        position = tag.end()
        if name == "EOR":
            if reading.problem is not None:
                yield _problem(data, reading, reading.problem, position)
            elif reading.fields:
                yield AdifRecord(reading.fields, reading.line, position)
            reading = _Reading()
            continue
        if tag.group(2) is None:  # a tag with no length: EOH again, or LoTW's APP_LoTW_EOF
            if name not in ("EOH", "APP_LOTW_EOF") and reading.problem is None:
                reading.problem = f"a <{name}> tag with no length"
            continue
        try:
            length = int(tag.group(2).decode("ascii").strip())
            if length < 0:
                raise ValueError
        except ValueError:
            reading.problem = reading.problem or f"bad length in <{_decode(tag.group(0))[1:-1]}>"
            continue
        end = _value_end(data, position, length)
        if end > len(data):
            reading.problem = reading.problem or f"the value of {name} runs past the end"
            position = len(data)
            break
        value = _decode(data[position:end])
        position = end
        if reading.problem is not None:
            continue
        if name in reading.fields:
            reading.problem = f"the field {name} twice"
        elif len(reading.fields) >= MAX_FIELDS:
            reading.problem = f"more than {MAX_FIELDS} fields"
        else:
            reading.fields[name] = value
    if reading.fields or reading.problem is not None:
        yield _problem(
            data, reading, reading.problem or "the last record has no <EOR> (a cut file?)",
            len(data),
        )  # fmt: skip


def _header_end(data: bytes) -> int | None:
    """Just past the header's ``<EOH>``, when the file has one before its first ``<EOR>``:
    found by walking the tags and skipping each value by its length, so an ``<eoh>`` inside
    a value is not taken for it."""
    position = 0
    while (tag := _TAG.search(data, position)) is not None:
        name = tag.group(1).upper()
        if name == b"EOH":
            return tag.end()
        if name == b"EOR":
            return None
        position = tag.end()
        if tag.group(2) is not None:
            try:
                length = int(tag.group(2).decode("ascii").strip())
            except ValueError:
                continue
            position = _value_end(data, position, max(length, 0))
    return None


def read_header(data: bytes) -> dict[str, str]:
    """The header's fields of an ADI file (``ADIF_VER``, ``PROGRAMID``, ...); {} without one."""
    end = _header_end(data)
    if end is None:
        return {}
    fields: dict[str, str] = {}
    position = 0
    while (tag := _TAG.search(data, position, end)) is not None:
        position = tag.end()
        if tag.group(2) is None:
            continue
        try:
            length = max(int(tag.group(2).decode("ascii").strip()), 0)
        except ValueError:
            continue
        value_end = min(_value_end(data, position, length), end)
        fields[tag.group(1).decode("ascii").upper()] = _decode(data[position:value_end])
        position = value_end
    return fields


def read_adx(data: bytes) -> Iterator[AdifRecord | AdifProblem]:
    """The records of an ADX file, in order. Broken XML ends the reading with one problem."""
    parser = xml.parsers.expat.ParserCreate()
    records: list[AdifRecord | AdifProblem] = []
    path: list[str] = []
    current: _Reading | None = None
    text: list[str] = []
    app_name: list[str | None] = [None]

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal current
        path.append(name.upper())
        text.clear()
        if path[-1] == "RECORD" and "RECORDS" in path:
            current = _Reading(line=parser.CurrentLineNumber)
        elif path[-1] == "APP":
            program = attributes.get("PROGRAMID", "")
            app_name[0] = f"APP_{program}_{attributes.get('FIELDNAME', '')}".upper()

    def end(name: str) -> None:
        nonlocal current
        tag = path.pop() if path else name.upper()
        if current is not None and tag == "RECORD":
            offset = parser.CurrentByteIndex
            if current.problem is not None:
                records.append(AdifProblem(current.line, current.problem, end=offset))
            else:
                records.append(AdifRecord(current.fields, current.line, offset))
            current = None
        elif current is not None and path and path[-1] == "RECORD":
            key = app_name[0] if tag == "APP" and app_name[0] else tag
            if key in current.fields:
                current.problem = current.problem or f"the field {key} twice"
            elif len(current.fields) >= MAX_FIELDS:
                current.problem = current.problem or f"more than {MAX_FIELDS} fields"
            else:
                current.fields[key] = "".join(text)
        text.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    chunk = 1 << 16
    for offset in range(0, max(len(data), 1), chunk):
        try:
            parser.Parse(data[offset : offset + chunk], offset + chunk >= len(data))
        except xml.parsers.expat.ExpatError as error:
            yield from records
            reason = xml.parsers.expat.ErrorString(error.code) or str(error)
            yield AdifProblem(error.lineno, f"not well-formed XML: {reason}", end=len(data))
            return
        except ValueError as error:  # an encoding expat cannot read (multi-byte ones)
            yield from records
            yield AdifProblem(
                parser.CurrentLineNumber, f"cannot read the XML: {error}"[:200], end=len(data)
            )
            return
        yield from records
        records.clear()


_XML_STARTS = (b"<?xml", b"<!--", b"<!DOCTYPE", b"<!doctype", b"<ADX", b"<adx")
_DECLARED = re.compile(rb"""(<\?xml[^>]*?encoding=["'])[^"']*(["'])""")


def read_log(data: bytes) -> Iterator[AdifRecord | AdifProblem]:
    """The records of an ADI or ADX file, told apart by their start (ADX is XML, whose first
    markup may be a declaration, a comment or a DOCTYPE). A UTF-16 file (by its byte order
    mark) is read as the same text in UTF-8."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return iter([AdifProblem(1, "not UTF-16, though it starts as if it were")])
        data = _DECLARED.sub(rb"\1UTF-8\2", data, count=1)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return read_adx(data) if head.startswith(_XML_STARTS) else read_adi(data)

"""Records as plain data: JSON lines and CSV rows, as `dxspots parse` prints them.

JSON lines are what the standard library's encoder writes (`json.dumps(row,
ensure_ascii=False)`), in UTF-8. For spots, the bulk of any feed, the optional C writer
`dxspots._crecordio.SpotLines` writes the same bytes about six times faster: encoding a
spot the standard way cost four to five times what parsing and enriching its line do
(docs/benchmarks.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import IO, Any

from dxspots.spot import Announcement, Other, Record, SolarReport, Spot, record_kind

try:  # the optional C writer of spots as JSON lines (dxspots/_crecordio.pyx)
    from dxspots._crecordio import SpotLines
except ModuleNotFoundError as missing:  # built without Cython or a compiler
    if missing.name != "dxspots._crecordio":
        raise
    SpotLines = None  # type: ignore[assignment, misc]


def iso(moment: datetime) -> str:
    """Format a UTC datetime as ISO 8601 with a `Z`."""
    return moment.isoformat().replace("+00:00", "Z")


def record_dict(record: Record) -> dict[str, Any]:
    """The record's fields as JSON-ready values (datetimes as ISO 8601 UTC)."""
    if isinstance(record, Spot):
        values: dict[str, Any] = record._asdict()
    else:
        values = {f.name: getattr(record, f.name) for f in fields(record) if f.name != "extra"}
        kind = values.pop("kind", None)
        if isinstance(record, Announcement):
            values["message_kind"] = kind  # all, local, wx or talk
    return {
        key: iso(value) if isinstance(value, datetime) else value for key, value in values.items()
    }


CSV_COLUMNS: tuple[str, ...] = (
    "line",
    "kind",
    *Spot._fields,
    *dict.fromkeys(
        f.name
        for cls in (SolarReport, Announcement, Other)
        for f in fields(cls)
        if f.name not in Spot._fields and f.name not in ("kind", "extra")
    ),
    "message_kind",
)
"""One header for every kind of record; fields a kind does not have are left empty."""


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
"""`json.dumps(..., ensure_ascii=False)` without building an encoder for every call."""
_FLUSH_AT = 1 << 16
"""Bytes of JSON lines gathered before they are written."""


def jsonl_line(number: int, record: Record) -> bytes:
    """One record as a JSON line, UTF-8: `line`, `kind`, then the record's fields, as
    `record_dict` gives them (text as it is, non-ASCII unescaped)."""
    row = {"line": number, "kind": record_kind(record), **record_dict(record)}
    return (_ENCODE(row) + "\n").encode()


def write_jsonl(numbered: Iterable[tuple[int, Record]], out: IO[bytes]) -> None:
    """Write one JSON line per record (`jsonl_line`) to a binary stream, in order."""
    write = out.write
    if SpotLines is None:
        for number, record in numbered:
            write(jsonl_line(number, record))
        return
    spots = SpotLines(Spot._fields)
    for number, record in numbered:
        if type(record) is Spot:
            waiting = spots.add(number, record)
            if waiting >= _FLUSH_AT:
                write(spots.take())
            if waiting >= 0:
                continue
        write(spots.take())  # the spots before it, then the line the C writer left alone
        write(jsonl_line(number, record))
    write(spots.take())


def write_csv(numbered: Iterable[tuple[int, Record]], out: IO[str]) -> None:
    """Write a header and one CSV row per record, in `CSV_COLUMNS` order."""
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for number, record in numbered:
        writer.writerow({"line": number, "kind": record_kind(record), **record_dict(record)})

"""Records as plain data: JSON lines and CSV rows, as `dxspots parse` prints them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import IO, Any

from dxspots.spot import Announcement, Other, Record, SolarReport, Spot, record_kind


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


def write_jsonl(numbered: Iterable[tuple[int, Record]], out: IO[str]) -> None:
    """Write one JSON object per record: `line`, `kind`, then the record's fields."""
    for number, record in numbered:
        row = {"line": number, "kind": record_kind(record), **record_dict(record)}
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_csv(numbered: Iterable[tuple[int, Record]], out: IO[str]) -> None:
    """Write a header and one CSV row per record, in `CSV_COLUMNS` order."""
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for number, record in numbered:
        writer.writerow({"line": number, "kind": record_kind(record), **record_dict(record)})

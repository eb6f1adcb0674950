"""Load saved cluster output into the database: telnet logs and RBN daily archives.

A telnet log is read line by line through the same parser as the live collector. Lines may
carry a timestamp prefix (ISO 8601, or DXSpider's debug log `05Jul2020@22:59:31 (chan) <- I
NODE`), which becomes the received time; otherwise the file's own received time is used.
The Reverse Beacon Network's archive CSV (zipped or not) is recognised by its header.
Re-running an import doubles nothing: the writer's dedupe drops what is already stored.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from dxspots.db.writer import IGNORED_REASONS, SpotWriter
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import Announcement, Other, Record, SolarReport, Spot

RBN_HEADER = "callsign,de_pfx,de_cont,freq,band,dx,dx_pfx,dx_cont,mode,db,date,speed,tx_mode"
_ISO_PREFIX_RE = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?)(?:Z|\+00:?00)?\s+(.*)$")
_SPIDER_PREFIX_RE = re.compile(r"(\d\d[A-Z][a-z]{2}\d{4})@(\d\d:\d\d:\d\d) \(\w+\) <- I \S+ (.*)$")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of an import file with its received time."""

    number: int
    text: str
    received_at: datetime


def split_prefix(text: str, default: datetime) -> tuple[str, datetime]:
    """Take a known timestamp prefix off a logged line; return the line and its time."""
    if text[:2].isdigit():
        iso = _ISO_PREFIX_RE.match(text)
        if iso is not None:
            try:
                moment = datetime.fromisoformat(iso[1].replace(" ", "T")).replace(tzinfo=UTC)
            except ValueError:
                return text, default
            return iso[2], moment
        spider = _SPIDER_PREFIX_RE.match(text)
        if spider is not None:
            try:
                moment = datetime.strptime(f"{spider[1]} {spider[2]}", "%d%b%Y %H:%M:%S")
            except ValueError:
                return text, default
            return spider[3], moment.replace(tzinfo=UTC)
    return text, default


def rbn_record(row: list[str], raw: str, node: str | None) -> Record:
    """Turn one RBN archive row into a spot (or `Other` when a field is unreadable)."""
    try:
        (callsign, _, _, freq, _, dx, _, _, spot_type, db, date, speed, tx_mode) = row
        moment = datetime.fromisoformat(date).replace(tzinfo=UTC)
        freq_khz = float(freq)
        snr = int(db)
        speed_value = int(speed) if speed.strip() else None
    except ValueError:
        return Other(raw, datetime.now(UTC), "bad rbn row", node)
    spotter = callsign.upper()
    if not spotter.endswith("-#"):
        spotter += "-#"  # the live feed's form, so archive and live rows dedupe
    mode = tx_mode.upper() or None
    wpm = speed_value if mode == "CW" else None
    bps = speed_value if mode != "CW" else None
    unit = "WPM" if mode == "CW" else "BPS"
    comment = " ".join(
        part
        for part in (mode, f"{snr} dB", f"{speed_value} {unit}" if speed_value else "", spot_type)
        if part
    )
    return Spot(
        moment.replace(second=0, microsecond=0),
        freq_khz,
        dx.upper(),
        spotter,
        comment,
        moment,
        raw,
        "rbn-archive",
        node,
        snr_db=snr,
        wpm=wpm,
        bps=bps,
        spot_type=spot_type.upper() or None,
        is_skimmer=True,
        mode=mode,
    )


def _open_texts(path: Path) -> Iterator[IO[str]]:
    """Yield a text stream for a plain file, or one for each member of a zip."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if not member.endswith("/"):
                    with archive.open(member) as raw:
                        yield io.TextIOWrapper(raw, encoding="latin-1", newline="")
    else:
        with path.open(encoding="latin-1", newline="") as stream:
            yield stream


def read_records(
    path: Path, default_received: datetime, node: str | None, progress: Callable[[int], object]
) -> Iterator[Record]:
    """Yield one record per line of a log or RBN archive, calling `progress(bytes)` as it goes."""
    for stream in _open_texts(path):
        first = stream.readline()
        is_rbn = first.strip().lower().startswith(RBN_HEADER)
        progress(len(first))
        if not is_rbn and first:
            body, received = split_prefix(first.rstrip("\r\n"), default_received)
            yield parse_line(body, received, node)
        for text in stream:
            progress(len(text))
            line = text.rstrip("\r\n")
            if is_rbn:
                if line:
                    yield rbn_record(next(csv.reader([line])), line, node)
            else:
                body, received = split_prefix(line, default_received)
                yield parse_line(body, received, node)


@dataclass(slots=True)
class ImportSummary:
    """What an import read and stored."""

    lines: int = 0
    spots: int = 0
    spots_new: int = 0
    duplicates: int = 0
    reports: int = 0
    announcements: int = 0
    rejected: int = 0
    other: int = 0


BATCH_SIZE = 5000


def import_file(
    path: Path,
    writer: SpotWriter,
    enricher: Enricher,
    *,
    default_received: datetime,
    node: str | None,
    progress: Callable[[int], object],
    summary: ImportSummary,
) -> None:
    """Parse, enrich and write one file in batches, adding its counts to `summary`."""
    batch: list[Record] = []
    for parsed in read_records(path, default_received, node, progress):
        summary.lines += 1
        record = parsed
        if isinstance(parsed, Spot):
            summary.spots += 1
            record = enricher.enrich(parsed)
        elif isinstance(parsed, SolarReport):
            summary.reports += 1
        elif isinstance(parsed, Announcement):
            summary.announcements += 1
        elif parsed.reason in IGNORED_REASONS:
            summary.other += 1
        else:
            summary.rejected += 1
        batch.append(record)
        if len(batch) >= BATCH_SIZE:
            _flush(writer, batch, summary)
    _flush(writer, batch, summary)


def _flush(writer: SpotWriter, batch: list[Record], summary: ImportSummary) -> None:
    if batch:
        result = writer.write(batch)
        summary.spots_new += result.spots_new
        summary.duplicates += result.spots_duplicate
        batch.clear()

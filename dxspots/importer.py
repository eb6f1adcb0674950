"""Load saved cluster output into the database: telnet logs and RBN daily archives.

A telnet log is read line by line (split on LF only, as a node's stream is) through the same
parser as the live collector. Lines may carry a timestamp prefix (ISO 8601 with any UTC
offset, or DXSpider's debug log `05Jul2020@22:59:31 (chan) <- I NODE`), which becomes the
received time; otherwise the caller's default is used (the CLI: `--received-at`, else the
file's modification time). The Reverse Beacon Network's archive CSV (zipped or not) is
recognised by its header. A Parquet file of spots (retention's archive, or `dxspots
export`'s) is loaded row for row by `dxspots.db.archive`. Re-running an import doubles
nothing as long as the received time of lines without a timestamp is the same both times:
the writer's dedupe drops what is already stored. Spots of a month that retention archived
and dropped are looked up in that month's archive files first (`archive_dir`), since the
writer's dedupe cannot see dropped rows: copies of archived spots are counted as duplicates
and not stored again (nor counted again in the rollups); the others are new.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from dxspots.db.writer import IGNORED_REASONS, SpotWriter
from dxspots.enrich import Enricher
from dxspots.parse import clean_line, parse_line
from dxspots.parse.fields import call_token, frequency
from dxspots.spot import Announcement, Other, Record, SolarReport, Spot

if TYPE_CHECKING:
    from dxspots.db.archive import ArchivedMonths

RBN_HEADER = "callsign,de_pfx,de_cont,freq,band,dx,dx_pfx,dx_cont,mode,db,date,speed,tx_mode"
_ISO_PREFIX_RE = re.compile(
    r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+(.*)$", re.ASCII
)
_SPIDER_PREFIX_RE = re.compile(
    r"(\d\d[A-Z][a-z]{2}\d{4})@(\d\d:\d\d:\d\d) \(\w+\) <- I \S+ (.*)$", re.ASCII
)
_SNR_RANGE = range(-99, 100)
_SPEED_RANGE = range(1000)


def split_prefix(text: str, default: datetime) -> tuple[str, datetime]:
    """Take a known timestamp prefix off a logged line; return the line and its time."""
    if text[:2].isdecimal():
        iso = _ISO_PREFIX_RE.match(text)
        if iso is not None:
            try:
                moment = datetime.fromisoformat(iso[1].replace(" ", "T"))
            except ValueError:
                return text, default
            if moment.tzinfo is None:
                return iso[2], moment.replace(tzinfo=UTC)
            return iso[2], moment.astimezone(UTC)
        spider = _SPIDER_PREFIX_RE.match(text)
        if spider is not None:
            try:
                moment = datetime.strptime(f"{spider[1]} {spider[2]}", "%d%b%Y %H:%M:%S")
            except ValueError:
                return text, default
            return spider[3], moment.replace(tzinfo=UTC)
    return text, default


def rbn_record(line: str, node: str | None, default: datetime) -> Record:
    """Turn one RBN archive CSV row into a spot, or `Other` (received at `default`) when a
    field is unreadable or out of range."""
    raw = clean_line(line)
    try:
        row = next(csv.reader([line]))
        (callsign, _, _, freq_text, _, dx, _, _, type_text, db, date, speed, tx_mode) = row
        moment = datetime.fromisoformat(date).replace(tzinfo=UTC)
        snr = int(db)
        speed_value = int(speed) if speed.strip() else None
    except (ValueError, csv.Error, StopIteration):
        return Other(raw, default, "bad rbn row", node)
    freq = frequency(freq_text.strip())
    spotter = call_token(callsign.strip())
    dx_call = call_token(dx.strip())
    mode = tx_mode.strip().upper() or None
    spot_type = type_text.strip().upper() or None
    if (
        freq is None or spotter is None or dx_call is None or snr not in _SNR_RANGE
        or (speed_value is not None and speed_value not in _SPEED_RANGE)
        or (mode is not None and not mode.isalnum()) or len(spot_type or "") > 8
    ):  # fmt: skip
        return Other(raw, moment, "bad rbn row", node)
    if not spotter.endswith("-#"):
        spotter += "-#"  # the live feed's form, so archive and live rows dedupe
    unit = "WPM" if mode == "CW" else "BPS"
    comment = " ".join(
        part
        for part in (mode, f"{snr} dB", f"{speed_value} {unit}" if speed_value else "", spot_type)
        if part
    )
    return Spot(
        moment.replace(second=0, microsecond=0),
        freq,
        dx_call,
        spotter,
        comment,
        moment,
        raw,
        "rbn-archive",
        node,
        snr_db=snr,
        wpm=speed_value if mode == "CW" else None,
        bps=speed_value if mode != "CW" else None,
        spot_type=spot_type,
        is_skimmer=True,
        mode=mode,
    )


def is_parquet(path: Path) -> bool:
    """Whether the file is Parquet (it starts with the format's magic bytes `PAR1`)."""
    with path.open("rb") as stream:
        return stream.read(4) == b"PAR1"


def input_size(path: Path) -> int:
    """The number of bytes `read_records` will read: a zip's members uncompressed; for a
    Parquet file, its rows."""
    if is_parquet(path):
        import pyarrow.parquet as pq  # noqa: PLC0415  (optional: the dashboard extra)

        return int(pq.ParquetFile(path).metadata.num_rows)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    return path.stat().st_size


def _open_texts(path: Path) -> Iterator[IO[str]]:
    """Yield a text stream for a plain file, or one for each member of a zip."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if not member.endswith("/"):
                    with archive.open(member) as raw:
                        yield io.TextIOWrapper(raw, encoding="latin-1", newline="\n")
    else:
        with path.open(encoding="latin-1", newline="\n") as stream:
            yield stream


@dataclass(slots=True)
class ImportSummary:
    """What an import read and stored."""

    lines: int = 0
    undated: int = 0
    """Log lines without a timestamp prefix: their date is the default received time's."""
    spots: int = 0
    spots_new: int = 0
    duplicates: int = 0
    reports: int = 0
    announcements: int = 0
    rejected: int = 0
    other: int = 0


def read_records(
    path: Path,
    default_received: datetime,
    node: str | None,
    progress: Callable[[int], object],
    summary: ImportSummary,
) -> Iterator[Record]:
    """Yield one record per line of a log or RBN archive, calling `progress(bytes)` as it
    goes and counting lines without a timestamp in `summary.undated`."""
    for stream in _open_texts(path):
        first = stream.readline()
        if first.strip().lower().startswith(RBN_HEADER):
            progress(len(first))
            for text in stream:
                progress(len(text))
                line = text.rstrip("\r\n")
                if line:
                    yield rbn_record(line, node, default_received)
            continue
        for text in itertools.chain((first,) if first else (), stream):
            progress(len(text))
            body, received = split_prefix(text.rstrip("\r\n"), default_received)
            if received is default_received:
                summary.undated += 1
            yield parse_line(body, received, node)


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
    archive_dir: Path | None = None,
) -> None:
    """Parse, enrich and write one file in batches, adding its counts to `summary`.
    Spots of archived months are looked up in their files in `archive_dir`
    (`ArchiveFileError`, a ValueError, when they are not there)."""
    from dxspots.db.archive import ArchivedMonths  # noqa: PLC0415  (pyarrow, if needed)

    archived = ArchivedMonths(writer.conn, archive_dir)
    batch: list[Record] = []
    for parsed in read_records(path, default_received, node, progress, summary):
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
            _flush(writer, batch, summary, archived)
    _flush(writer, batch, summary, archived)


def import_parquet(
    path: Path,
    writer: SpotWriter,
    *,
    progress: Callable[[int], object],
    summary: ImportSummary,
    archive_dir: Path | None = None,
) -> int:
    """Load a spots Parquet file (an archive or an export), adding its counts to `summary`;
    return how many rows of archived months were restored (not counted again in the
    rollups). `ArchiveFileError` (a ValueError) for a Parquet file that is not of spots, or
    when spots of an archived month cannot be looked up in its files in `archive_dir`."""
    from dxspots.db.archive import load_parquet  # noqa: PLC0415  (needs pyarrow)

    loaded = load_parquet(path, writer, progress, archive_dir=archive_dir)
    summary.spots += loaded.rows
    summary.spots_new += loaded.stored
    summary.duplicates += loaded.rows - loaded.stored
    return loaded.restored


def _flush(
    writer: SpotWriter,
    batch: list[Record],
    summary: ImportSummary,
    archived: ArchivedMonths | None = None,
) -> None:
    if archived is not None and archived.files:
        old = [i for i, r in enumerate(batch) if isinstance(r, Spot) and r.spot_time in archived]
        if old:
            spots = [spot for spot in (batch[i] for i in old) if isinstance(spot, Spot)]
            _, copies, _ = archived.sort(spots, [None] * len(spots))
            gone = {old[i] for i in copies}
            summary.duplicates += len(gone)
            batch[:] = [record for i, record in enumerate(batch) if i not in gone]
    if batch:
        result = writer.write(batch)
        summary.spots_new += result.spots_new
        summary.duplicates += result.spots_duplicate
        batch.clear()

"""The one write path: batches of records into PostgreSQL.

Spots go in with binary COPY into a session temp table, then one `INSERT ... SELECT` into
`spots` (which also adds the new ones to the hourly counts in `spot_hours` and to the call
rollups `call_days` and `call_spotters`), so a batch of
spots costs two statements however large it is (plus one per month not seen before, and the
staging table once per connection). Copies of a spot already stored or earlier in the batch
(the same spot from another node, back-filled again, or with its comment cut to a node's
column width) are dropped by the database, which counts them; a spot the node broadcast
again with new text or a frequency moved by 0.1 kHz is a spot of its own (`_INSERT_SPOTS`;
docs/database.md, "What is one spot" and "Corrections"). A writer made with `notify=True`
(the collector's) also sends `NOTIFY dxspots_spots` in a batch that stored new spots,
delivered when it commits: the API's live stream listens for it and reads the new rows by
their `id`. WWV/WCY reports and announcements dedupe by their keys; lines that looked like
records but could not be read are kept in `rejected_lines`. Each batch is one transaction:
it lands whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import psycopg
from psycopg import sql

from dxspots.db.rollups import (
    CALL_DAYS_UPSERT,
    CALL_SPOTTERS_UPSERT,
    DAY_ROLLUP_UPSERTS,
    NEW_COLUMNS,
)
from dxspots.spot import Announcement, Other, Record, SolarReport, Spot

SPOT_COLUMNS = Spot._fields
SPOTS_WRITE_LOCK = 0x0D85_9075
"""Transaction advisory lock key that serialises batches of spots between writers."""
SPOTS_CHANNEL = "dxspots_spots"
"""The LISTEN/NOTIFY channel that says new spots were stored (no payload: read by `id`)."""
IGNORED_REASONS = frozenset({"unrecognised", "empty"})
"""`Other` records that are not kept: banners, prompts and blank lines are not malformed."""

_COLUMN_LIST = sql.SQL(", ").join(sql.Identifier(name) for name in SPOT_COLUMNS)
_CREATE_STAGING = sql.SQL(
    "CREATE TEMP TABLE IF NOT EXISTS spots_in ON COMMIT DELETE ROWS AS"
    " SELECT {columns} FROM spots WITH NO DATA"
).format(columns=_COLUMN_LIST)
_COPY_SPOTS = sql.SQL("COPY spots_in ({columns}) FROM STDIN (FORMAT BINARY)").format(
    columns=_COLUMN_LIST
)
_STAGING_TYPES = (
    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
    " WHERE attrelid = 'pg_temp.spots_in'::regclass AND attnum > 0 AND NOT attisdropped"
    " ORDER BY attnum"
)
CUT_MIN = 20
"""A comment at least this long that is the start of another is that one cut short.

Nodes print a comment in a fixed width and cut what does not fit: DXSpider's `sh/dx` keeps
35 characters less the spotter's length (29 or 30 for most calls, fewer for long ones), and
the cut may end in spaces, which the parser strips. A shorter start ("up 2" of "up 20") is
a different text, not a cut.
"""
HOUR_COUNTS = (
    "SELECT date_trunc('hour', spot_time, 'UTC'), coalesce(band, ''), coalesce(mode, ''),"
    " coalesce(spotter_continent, ''), coalesce(dx_continent, ''), is_skimmer, count(*)"
    " FROM {} GROUP BY 1, 2, 3, 4, 5, 6"
)
"""The `spot_hours` rows of the spots in `{}` (a table or a subquery); unknowns as ''."""
_INSERT_SPOTS = sql.SQL(
    # A copy with the key of a stored spot, or of an earlier copy in the batch, is dropped by
    # ON CONFLICT. A human's comment long enough to be cut is looked at first: that copy is
    # dropped when a stored spot, or a longer copy in the batch, with its minute, calls and
    # tenth of a kHz has the same text: one key starts the other, the shorter text being long
    # enough to be a cut (so the whole text is kept over a cut one, whichever came first in
    # the batch). Shorter comments cannot be cuts; a skimmer's text is not in the key.
    "WITH long AS MATERIALIZED ("
    "   SELECT ctid AS slot, spot_time, dx_call, spotter, comment,"
    "     round(freq_khz * 10)::integer AS tenths"
    f"  FROM spots_in WHERE length(comment) >= {CUT_MIN} AND spotter NOT LIKE '%-#'),"
    # The texts' keys are made for the pairs found only: most long copies have none.
    " others AS ("
    "   SELECT i.slot, dxspots_comment_key(i.spotter, i.comment) AS ours, s.comment,"
    "     dxspots_comment_key(s.spotter, s.comment) AS theirs"
    "   FROM long i JOIN spots s ON s.spot_time = i.spot_time AND s.dx_call = i.dx_call"
    "     AND s.spotter = i.spotter AND round(s.freq_khz * 10)::integer = i.tenths"
    "   UNION ALL"
    "   SELECT i.slot, dxspots_comment_key(i.spotter, i.comment), j.comment,"
    "     dxspots_comment_key(j.spotter, j.comment)"
    "   FROM long i JOIN long j ON j.spot_time = i.spot_time AND j.dx_call = i.dx_call"
    "     AND j.spotter = i.spotter AND j.tenths = i.tenths"
    "     AND length(j.comment) > length(i.comment)),"
    " dropped AS (SELECT slot FROM others WHERE starts_with(theirs, ours)"
    f"   OR (length(comment) >= {CUT_MIN} AND starts_with(ours, theirs))),"
    " new AS (INSERT INTO spots ({columns}) SELECT {columns} FROM spots_in"
    "   WHERE ctid NOT IN (SELECT slot FROM dropped)"
    "   ON CONFLICT DO NOTHING"
    f"   RETURNING {NEW_COLUMNS}),"
    " hours AS (INSERT INTO spot_hours "
    + HOUR_COUNTS.format("new")
    + "   ON CONFLICT ON CONSTRAINT spot_hours_key"
    "   DO UPDATE SET spots = spot_hours.spots + excluded.spots),"
    f" days AS ({CALL_DAYS_UPSERT}),"
    f" pairs AS ({CALL_SPOTTERS_UPSERT}),"
    f" dx AS ({DAY_ROLLUP_UPSERTS['dx_days']}),"
    f" spotters AS ({DAY_ROLLUP_UPSERTS['spotter_days']})"
    " SELECT count(*) FROM new"
).format(columns=_COLUMN_LIST)
"""Store the new spots and count them into `spot_hours`, `call_days`, `call_spotters`,
`dx_days` and `spotter_days` (dxspots/db/rollups.py) in one statement; say how many."""
_INSERT_SOLAR = (
    "INSERT INTO solar_reports (kind, report_time, reporter, received_at, raw, sfi, a_index,"
    " k_index, expk, r, sa, gmf, aurora, forecast, node)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT DO NOTHING"
)
_INSERT_ANNOUNCEMENT = (
    "INSERT INTO announcements (kind, sender, recipient, text, sent_minute, sent_time,"
    " received_at, raw, node) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT DO NOTHING"
)
_INSERT_REJECT = (
    "INSERT INTO rejected_lines (received_at, node, reason, raw) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT DO NOTHING"
)


@dataclass(slots=True)
class WriteResult:
    """What one or more batches did."""

    spots_new: int = 0
    spots_duplicate: int = 0
    spots_archived: int = 0
    """Spots of a month retention archived and dropped, not stored (`skip_archived`)."""
    reports_new: int = 0
    announcements_new: int = 0
    rejected: int = 0

    def add(self, other: WriteResult) -> None:
        """Add another result's counts to this one."""
        self.spots_new += other.spots_new
        self.spots_duplicate += other.spots_duplicate
        self.spots_archived += other.spots_archived
        self.reports_new += other.reports_new
        self.announcements_new += other.announcements_new
        self.rejected += other.rejected


def _month(moment: datetime) -> tuple[int, int]:
    return moment.year, moment.month


_ARCHIVED_MONTHS = (
    "SELECT extract(year FROM month AT TIME ZONE 'UTC')::int,"
    " extract(month FROM month AT TIME ZONE 'UTC')::int FROM spot_archives"
    " WHERE month = ANY(%s)"
)


class SpotWriter:
    """Write batches of records on one connection (which the writer then owns).

    With `skip_archived` (the collector's), spots of a month that retention archived and
    dropped are not stored (`WriteResult.spots_archived`): a late back-fill must not bring a
    month back as new spots, counted again beside the rollups that kept it. Restores and
    imports write into such months on purpose (dxspots/db/archive.py) and leave it off.
    """

    def __init__(
        self,
        conn: psycopg.Connection[tuple[object, ...]],
        *,
        notify: bool = False,
        skip_archived: bool = False,
    ) -> None:
        self.conn = conn
        self.notify = notify
        self.skip_archived = skip_archived
        self.conn.autocommit = False
        self._months: set[tuple[int, int]] = set()
        self._staging_types: list[str] | None = None

    def write(self, records: Iterable[Record]) -> WriteResult:
        """Write one batch in one transaction and say what was new."""
        spots: list[Spot] = []
        reports: list[SolarReport] = []
        announcements: list[Announcement] = []
        rejects: list[Other] = []
        for record in records:
            if isinstance(record, Spot):
                spots.append(record)
            elif isinstance(record, SolarReport):
                reports.append(record)
            elif isinstance(record, Announcement):
                announcements.append(record)
            elif record.reason not in IGNORED_REASONS:
                rejects.append(record)
        result = WriteResult()
        try:
            self._write_batch(spots, reports, announcements, rejects, result)
        except BaseException:
            # The rollback undid any staging table and partitions this batch created.
            self._months.clear()
            self._staging_types = None
            raise
        return result

    def _write_batch(
        self,
        spots: list[Spot],
        reports: list[SolarReport],
        announcements: list[Announcement],
        rejects: list[Other],
        result: WriteResult,
    ) -> None:
        with self.conn.transaction():
            if spots and self.skip_archived:
                kept = self._not_archived(spots)
                result.spots_archived = len(spots) - len(kept)
                spots = kept
            if spots:
                result.spots_new = self._write_spots(spots)
                result.spots_duplicate = len(spots) - result.spots_new
            with self.conn.cursor() as cur:
                if reports:
                    cur.executemany(_INSERT_SOLAR, [_solar_row(r) for r in reports])
                    result.reports_new = max(cur.rowcount, 0)
                if announcements:
                    cur.executemany(
                        _INSERT_ANNOUNCEMENT, [_announcement_row(a) for a in announcements]
                    )
                    result.announcements_new = max(cur.rowcount, 0)
                if rejects:
                    cur.executemany(
                        _INSERT_REJECT, [(r.received_at, r.node, r.reason, r.raw) for r in rejects]
                    )
                    result.rejected = max(cur.rowcount, 0)

    def _not_archived(self, spots: list[Spot]) -> list[Spot]:
        """The spots whose month retention has not archived (a month not yet over never is)."""
        now = datetime.now(UTC)
        old = {_month(s.spot_time) for s in spots} - {_month(now)}
        if not old:
            return spots
        starts = [datetime(year, month, 1, tzinfo=UTC) for year, month in old]
        with self.conn.cursor() as cur:
            rows = cur.execute(_ARCHIVED_MONTHS, (starts,)).fetchall()
            archived = {(cast(int, y), cast(int, m)) for y, m in rows}
        return [s for s in spots if _month(s.spot_time) not in archived] if archived else spots

    def _write_spots(self, spots: list[Spot]) -> int:
        with self.conn.cursor() as cur:
            if self._staging_types is None:
                # Binary COPY needs each column's type; read them off the staging table.
                cur.execute(_CREATE_STAGING)
                self._staging_types = [str(row[0]) for row in cur.execute(_STAGING_TYPES)]
            # One writer at a time takes spot ids and commits them: ids then become visible
            # in their order, which the API's live stream relies on ("stored after id N").
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SPOTS_WRITE_LOCK,))
            months = {_month(spot.spot_time) for spot in spots} - self._months
            for year, month in sorted(months):
                cur.execute(
                    "SELECT dxspots_ensure_partition(make_timestamptz(%s, %s, 1, 0, 0, 0, 'UTC'))",
                    (year, month),
                )
            with cur.copy(_COPY_SPOTS) as copy:
                copy.set_types(self._staging_types)
                for spot in spots:
                    copy.write_row(spot)
            row = cur.execute(_INSERT_SPOTS).fetchone()
            new = cast(int, row[0]) if row else 0
            if new > 0 and self.notify:
                cur.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(SPOTS_CHANNEL)))
        # Only months not over yet are remembered: retention may drop an older one (which
        # takes this lock too), and a late spot of it must find its partition made again.
        current = _month(datetime.now(UTC))
        self._months |= {month for month in months if month >= current}
        return new


def _solar_row(report: SolarReport) -> tuple[object, ...]:
    return (
        report.kind,
        report.report_time,
        report.reporter,
        report.received_at,
        report.raw,
        report.sfi,
        report.a_index,
        report.k_index,
        report.expk,
        report.r,
        report.sa,
        report.gmf,
        report.aurora,
        report.forecast,
        report.node,
    )


def _announcement_row(item: Announcement) -> tuple[object, ...]:
    moment = item.sent_time or item.received_at
    return (
        item.kind,
        item.sender,
        item.recipient,
        item.text,
        moment.replace(second=0, microsecond=0),
        item.sent_time,
        item.received_at,
        item.raw,
        item.node,
    )

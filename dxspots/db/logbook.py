"""Store a log's QSOs (`dxspots.logbook.Qso`) for one owner: an upsert on the QSO's key
(owner, call, minute, band, mode class), so importing the same log again adds nothing and a
later confirmation (a LoTW report) marks the QSO confirmed for good; then `refresh_slots`
makes the owner's summary of worked and confirmed entities, bands and modes again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import psycopg

from dxspots.logbook import Qso

_UPSERT = (
    "INSERT INTO log_qsos (owner, call, qso_time, band, mode_class, mode, dx_entity, dxcc,"
    " confirmed) SELECT %s, * FROM unnest(%s::text[], %s::timestamptz[], %s::text[],"
    " %s::text[], %s::text[], %s::text[], %s::int[], %s::boolean[])"
    " ON CONFLICT ON CONSTRAINT log_qsos_key DO UPDATE SET"
    " confirmed = log_qsos.confirmed OR excluded.confirmed,"
    " dx_entity = coalesce(excluded.dx_entity, log_qsos.dx_entity),"
    " dxcc = coalesce(excluded.dxcc, log_qsos.dxcc)"
    " WHERE (log_qsos.confirmed OR excluded.confirmed,"
    "   coalesce(excluded.dx_entity, log_qsos.dx_entity), coalesce(excluded.dxcc, log_qsos.dxcc))"
    "   IS DISTINCT FROM (log_qsos.confirmed, log_qsos.dx_entity, log_qsos.dxcc)"
    " RETURNING (xmax = 0) AS inserted"
)


@dataclass(slots=True)
class StoreResult:
    """What storing QSOs did: new ones, known ones changed (a confirmation, an entity), and
    known ones left as they were."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0

    def add(self, other: StoreResult) -> None:
        """Add another result's counts to this one."""
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged


def store_qsos(
    conn: psycopg.Connection[tuple[object, ...]], owner: str, qsos: Iterable[Qso]
) -> StoreResult:
    """Upsert `qsos` for `owner` in one statement; the caller commits. Two QSOs of one batch
    with the same key are stored once (the first, with any confirmation of either)."""
    merged: dict[tuple[object, ...], Qso] = {}
    for given in qsos:
        qso = replace(given, qso_time=given.qso_time.replace(second=0, microsecond=0))
        key = (qso.call, qso.qso_time, qso.band, qso.mode_class)
        known = merged.get(key)
        if known is None:
            merged[key] = qso
        elif qso.confirmed and not known.confirmed:
            merged[key] = replace(known, confirmed=True)
    rows = list(merged.values())
    result = StoreResult()
    if not rows:
        return result
    columns = (
        [q.call for q in rows], [q.qso_time for q in rows], [q.band for q in rows],
        [q.mode_class for q in rows], [q.mode for q in rows], [q.dx_entity for q in rows],
        [q.dxcc for q in rows], [q.confirmed for q in rows],
    )  # fmt: skip
    returned = conn.execute(_UPSERT, (owner, *columns)).fetchall()
    result.new = sum(1 for (inserted,) in returned if inserted)
    result.changed = len(returned) - result.new
    result.unchanged = len(rows) - len(returned)
    return result


def refresh_slots(conn: psycopg.Connection[tuple[object, ...]], owner: str) -> int:
    """Make `owner`'s rows of `log_slots` again from its QSOs; return how many. The caller
    commits (readers see the old rows or the new, never none)."""
    conn.execute("DELETE FROM log_slots WHERE owner = %s", (owner,))
    done = conn.execute(
        "INSERT INTO log_slots SELECT owner, dx_entity, band, mode_class, count(*),"
        " bool_or(confirmed) FROM log_qsos WHERE owner = %s AND dx_entity IS NOT NULL"
        " GROUP BY 1, 2, 3, 4",
        (owner,),
    )
    return done.rowcount

"""The `messages` query: announcements, talk and WX as nodes sent them, newest first.

Stored in `announcements` (dxspots/db/migrations/0002_reports.sql), one row per message
however many nodes relayed it: kinds `all` and `local` (announcements), `talk`, `wx`. The
list is keyset-paged like `spots`; its order, and so its cursor, is the table's dedupe key
(kind, sender, minute, text's md5) behind the minute and the time received.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar

from psycopg import sql
from pydantic import AfterValidator, BeforeValidator, Field

from dxspots.queries.filters import resolve_window, where
from dxspots.queries.params import (
    CALL_PATTERN,
    Cursor,
    ParameterError,
    Window,
    _single,
    _split,
    _utc,
    one_call,
    shown,
)
from dxspots.queries.statement import Built, Statement

KINDS = {"announcement": ("all", "local"), "talk": ("talk",), "wx": ("wx",)}
"""The `kind` parameter's values, and the kinds stored for each."""


def _kinds(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    out = []
    for value in values:
        if value.lower() not in KINDS:
            raise ValueError(f"{shown(value)} is not a message kind ({', '.join(KINDS)})")
        out.append(value.lower())
    return tuple(dict.fromkeys(out))


class MessagesParams(Window):
    LIMIT_DEFAULT: ClassVar[int] = 100
    LIMIT_MAX: ClassVar[int] = 1000
    kind: Annotated[
        tuple[str, ...] | None,
        BeforeValidator(_split),
        AfterValidator(_kinds),
        Field(default=None, max_length=3, description="`announcement` (to ALL and to LOCAL), "
              "`talk`, `wx`; comma-separated or repeated (default: every kind)."),
    ] = None  # fmt: skip
    sender: Annotated[
        str | None,
        BeforeValidator(_single),
        AfterValidator(lambda v: None if v is None else one_call(v)),
        Field(default=None, description="Only the messages this call sent (exactly, any case).",
              json_schema_extra={"pattern": CALL_PATTERN}),
    ] = None  # fmt: skip
    cursor: Cursor = None


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def message_cursor(row: dict[str, Any]) -> str:
    """The `next` value that resumes the list after `row`."""
    minute = row["sent_time"].astimezone(UTC).replace(second=0, microsecond=0)
    key = [minute.isoformat(), row["received_at"].astimezone(UTC).isoformat(), row["kind"],
           row["sender"], _md5(row["text"])]  # fmt: skip
    text = json.dumps(key, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> dict[str, Any]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        minute, received, kind, sender, digest = json.loads(text)
        times = [datetime.fromisoformat(minute), datetime.fromisoformat(received)]
        if any(t.tzinfo is None for t in times):
            raise ValueError
        if not all(isinstance(v, str) and len(v) <= 64 for v in (kind, sender, digest)):
            raise ValueError
        return {"after_minute": _utc(times[0]), "after_received": _utc(times[1]),
                "after_kind": kind, "after_sender": sender, "after_md5": digest}  # fmt: skip
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise ParameterError("cursor", "not a `next` value of `messages` from this API") from None


def messages(p: MessagesParams, now: datetime, fetch: int) -> Built:
    """Messages sent in the window (default the last day, at most 31 days), newest first."""
    span = resolve_window(p, now, timedelta(days=1), timedelta(days=31), "messages")
    values: dict[str, Any] = {
        "fetch": fetch, "since": span.since, "until": span.until,
        "since_minute": span.since.replace(second=0, microsecond=0),
    }  # fmt: skip
    # sent_minute is indexed and is the sent time to the minute: it bounds the scan.
    parts: list[sql.Composable] = [
        sql.SQL("sent_minute >= %(since_minute)s AND sent_minute < %(until)s"),
        sql.SQL("coalesce(sent_time, sent_minute) >= %(since)s"),
        sql.SQL("coalesce(sent_time, sent_minute) < %(until)s"),
    ]
    if p.kind:
        parts.append(sql.SQL("kind = ANY(%(kinds)s)"))
        values["kinds"] = [stored for kind in p.kind for stored in KINDS[kind]]
    if p.sender:
        parts.append(sql.SQL("sender = %(sender)s"))
        values["sender"] = p.sender
    if p.cursor is not None:
        values |= _read_cursor(p.cursor)
        parts.append(sql.SQL(
            "(sent_minute, received_at, kind, sender, md5(text)) < (%(after_minute)s,"
            " %(after_received)s, %(after_kind)s, %(after_sender)s, %(after_md5)s)"
        ))  # fmt: skip
    statement = sql.SQL(
        "SELECT kind, sender, recipient, text, coalesce(sent_time, sent_minute) AS sent_time,"
        " received_at, node FROM announcements {}"
        " ORDER BY sent_minute DESC, received_at DESC, kind DESC, sender DESC, md5(text) DESC"
        " LIMIT %(fetch)s"
    ).format(where(parts))
    return Statement(statement, values), {}, span.live

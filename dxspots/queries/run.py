"""Running planned queries: rows as dicts (JSON, frames) or CSV straight from `COPY`.

Both the blocking (dashboard) and the asyncio (API) psycopg connections are served; the
SQL is the same. Connections that run catalogue queries should be set up with
`reader_setup` first: read-only transactions and a statement timeout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from dxspots.queries.catalogue import Plan
from dxspots.queries.params import encode_cursor
from dxspots.spreadsheet import CrlfLines, column_kind, csv_select


@dataclass(slots=True)
class Page:
    """A query's answer: its rows, where the next page starts, and any further parts."""

    items: list[dict[str, Any]]
    next: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The JSON answer: `{"items": [...], "next": ...}` and the extras."""
        return {"items": self.items, "next": self.next, **self.extras}


READER_ROLE = "dxspots_reader"
_SET_ROLE = sql.SQL("SET ROLE {}").format(sql.Identifier(READER_ROLE))
_NO_ROLE = (psycopg.errors.InsufficientPrivilege, psycopg.errors.InvalidParameterValue)


def reader_setup(statement_timeout_s: float) -> list[sql.SQL | sql.Composed]:
    """Statements that make a connection a safe reader: read-only, with a statement timeout."""
    return [
        sql.SQL("SET default_transaction_read_only = on"),
        sql.SQL("SET statement_timeout = {}").format(sql.Literal(int(statement_timeout_s * 1000))),
        sql.SQL("SET TIME ZONE 'UTC'"),
    ]


def prepare_reader(conn: psycopg.Connection[Any], statement_timeout_s: float) -> bool:
    """Set up an autocommit connection to run catalogue queries; say if it took the role.

    Besides `reader_setup`, the session takes the `dxspots_reader` role when its login may
    (a member of it, the owner, a superuser: the writer DSN of a one-machine install), so
    that the queries run with SELECT rights only. A login that may not keeps its own rights
    and read-only transactions.
    """
    for statement in reader_setup(statement_timeout_s):
        conn.execute(statement)
    try:
        conn.execute(_SET_ROLE)
    except _NO_ROLE:
        return False
    return True


async def aprepare_reader(conn: psycopg.AsyncConnection[Any], statement_timeout_s: float) -> bool:
    """`prepare_reader` for an asyncio connection."""
    for statement in reader_setup(statement_timeout_s):
        await conn.execute(statement)
    try:
        await conn.execute(_SET_ROLE)
    except _NO_ROLE:
        return False
    return True


def _page(plan: Plan, items: list[dict[str, Any]], extras: dict[str, Any]) -> Page:
    next_cursor = None
    if plan.query.paged and len(items) > plan.limit:
        del items[plan.limit :]
        last = items[-1]
        if plan.query.cursor_of is not None:
            next_cursor = plan.query.cursor_of(last)
        else:
            next_cursor = encode_cursor(last["spot_time"], last["id"])
    return Page(items, next_cursor, extras)


def _extra(plan: Plan, name: str, found: list[dict[str, Any]]) -> Any:
    one = plan.query.extras[name][1]
    return (found[0] if found else None) if one else found


def fetch(conn: psycopg.Connection[Any], plan: Plan) -> Page:
    """Run `plan` on a blocking connection and return its page."""
    with conn.cursor(row_factory=dict_row) as cur:
        items = cur.execute(plan.main.sql, plan.main.values).fetchall()
        extras = {
            name: _extra(plan, name, cur.execute(part.sql, part.values).fetchall())
            for name, part in plan.extras.items()
        }
    return _page(plan, items, extras)


async def afetch(conn: psycopg.AsyncConnection[Any], plan: Plan) -> Page:
    """Run `plan` on an asyncio connection and return its page."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(plan.main.sql, plan.main.values)
        items = await cur.fetchall()
        extras = {}
        for name, part in plan.extras.items():
            await cur.execute(part.sql, part.values)
            extras[name] = _extra(plan, name, await cur.fetchall())
    return _page(plan, items, extras)


def _copy_statement(plan: Plan, bound: str) -> sql.Composed:
    # COPY takes no bound parameters: `bound` has the values as quoted literals. Each column
    # is spelt as every CSV of ours spells it (dxspots.spreadsheet: true/false, times ISO
    # 8601 with Z, inert text cells); COPY's own quoting and empty NULL are that format's.
    hints = get_type_hints(plan.query.row)
    if getattr(plan.params, "owner", None) is not None and "needed" not in hints:
        hints["needed"] = str | None  # judged against a log (dxspots.queries.needed)
    columns = [csv_select(name, column_kind(hint)) for name, hint in hints.items()]
    return sql.SQL(
        "COPY (SELECT {} FROM ({}) AS answer) TO STDOUT WITH (FORMAT csv, HEADER)"
    ).format(
        sql.SQL(", ").join(columns),
        sql.SQL(bound),
    )


def copy_csv(conn: psycopg.Connection[Any], plan: Plan) -> Iterator[bytes]:
    """Yield `plan`'s rows as CSV with a header (the one format, dxspots.spreadsheet)."""
    statement = psycopg.ClientCursor(conn).mogrify(plan.main.sql, plan.main.values)
    copy = _copy_statement(plan, statement)
    crlf = CrlfLines()
    with conn.cursor() as cur, cur.copy(copy) as out:
        yield from (crlf(bytes(chunk)) for chunk in out)


async def acopy_csv(conn: psycopg.AsyncConnection[Any], plan: Plan) -> AsyncIterator[bytes]:
    """Yield `plan`'s rows as CSV with a header (the one format; asyncio)."""
    statement = psycopg.AsyncClientCursor(conn).mogrify(plan.main.sql, plan.main.values)
    copy = _copy_statement(plan, statement)
    crlf = CrlfLines()
    async with conn.cursor() as cur, cur.copy(copy) as out:
        async for chunk in out:
            yield crlf(bytes(chunk))

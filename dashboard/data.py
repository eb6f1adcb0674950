"""What the pages call: the catalogue's queries, run on a pool of reader connections, cached.

The settings are read once per dashboard process (this is its entry point's helper) and the
database DSN is the read DSN (`dxspots dashboard` fills it in for a local server). Answers
are cached for half the default refresh interval, so a page that reruns finds fresh numbers and
many browsers cost one query. A database that does not answer raises `DatabaseDown`, which
`pages` turn into one message and a retry: what to check, never the driver's words (they name
the server's host and port, which are the log's business, not a visitor's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import psycopg
import streamlit as st
from psycopg_pool import ConnectionPool, PoolTimeout

from dxspots.queries import CATALOGUE, READY_CHECK, Page, fetch, plan, prepare_reader
from dxspots.settings import Settings, load_settings

STATEMENT_TIMEOUT_S = 10.0
CACHE_TTL_S = 5.0
"""How long an answer is reused: half the default refresh, so each refresh is fresh."""


UNREACHABLE_HINT = (
    "Check that PostgreSQL is running and that `DXSPOTS_READ_DATABASE_URL` (or "
    "`DXSPOTS_DATABASE_URL`) points at it; the dashboard's log says what failed."
)
UNCONFIGURED_HINT = (
    "No database is configured: run the dashboard with `dxspots dashboard` (which starts the "
    "local one) or set `DXSPOTS_READ_DATABASE_URL`."
)


class DatabaseDown(RuntimeError):
    """The database did not answer.

    The message is the driver's (host, port, what failed) and goes to the log; `hint` is
    this module's own Markdown, the only part a page shows.
    """

    def __init__(self, detail: str, *, hint: str = UNREACHABLE_HINT) -> None:
        super().__init__(detail)
        self.hint = hint


class QueryTooSlow(RuntimeError):
    """A query ran past the statement timeout, or every connection stayed busy."""


@st.cache_resource
def settings() -> Settings:
    """The dashboard process's settings, read once (`SettingsError` if any is bad)."""
    return load_settings()


def dsn(config: Settings) -> str:
    """The DSN the dashboard reads from."""
    found = config.read_database_url or config.database_url
    if found is None:
        raise DatabaseDown("no database configured", hint=UNCONFIGURED_HINT)
    return found


@st.cache_resource
def _pool(dsn: str) -> ConnectionPool[Any]:
    def configure(conn: psycopg.Connection[Any]) -> None:
        prepare_reader(conn, STATEMENT_TIMEOUT_S)

    pool: ConnectionPool[Any] = ConnectionPool(
        dsn, min_size=1, max_size=4, timeout=5, open=False, configure=configure,
        kwargs={"autocommit": True, "connect_timeout": 5}, name="dxspots-dashboard",
    )  # fmt: skip
    pool.open(wait=False)
    return pool


@contextmanager
def connection() -> Iterator[psycopg.Connection[Any]]:
    """A reader connection from the pool; `DatabaseDown` when the database does not answer."""
    target = dsn(settings())
    pool = _pool(target)
    stats = pool.get_stats()
    try:
        if not stats.get("pool_available") and stats.get("pool_size", 0) <= 1:
            # No connection made yet, or the one there is being retried: ask the server
            # directly rather than wait out the pool's timeout to learn that it refuses.
            # (A pool whose connections are all busy is not asked: it is not away.)
            psycopg.connect(target, connect_timeout=3).close()
        with pool.connection() as conn:
            yield conn
    except psycopg.errors.QueryCanceled:
        raise QueryTooSlow(
            f"a query took longer than {STATEMENT_TIMEOUT_S:.0f} s; ask for a shorter window "
            "or fewer rows"
        ) from None
    except PoolTimeout:
        raise QueryTooSlow("every database connection is busy; try again shortly") from None
    except psycopg.OperationalError as error:
        raise DatabaseDown(str(error).strip() or type(error).__name__) from None


def _run(name: str, params: tuple[tuple[str, Any], ...], now: datetime | None) -> Page:
    planned = plan(name, dict(params), now=now)  # a bad parameter fails before any I/O
    with connection() as conn:
        return fetch(conn, planned)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=500)
def _cached(name: str, params: tuple[tuple[str, Any], ...]) -> Page:
    return _run(name, params, None)


def query(name: str, **params: Any) -> Page:
    """Run a catalogue query, parameters as the API takes them; cached for CACHE_TTL_S.

    With a refresh shorter than twice the cache's life the cache would serve stale numbers,
    so it is not used then.
    """
    assert name in CATALOGUE
    given = tuple(
        sorted(
            (key, ",".join(value) if isinstance(value, (list, tuple)) else value)
            for key, value in params.items()
            if value not in (None, "", [], ())
        )
    )
    if settings().dashboard_refresh < 2 * CACHE_TTL_S:
        return _run(name, given, None)
    return _cached(name, given)


def frame(page: Page, columns: list[str] | None = None) -> pd.DataFrame:
    """The page's rows as a frame (pandas reads the UTC times as timezone-aware itself)."""
    return pd.DataFrame(page.items, columns=columns)


def database_answers() -> bool:
    """Whether the database answers now (for the retry loop)."""
    try:
        with psycopg.connect(dsn(settings()), connect_timeout=3) as conn:
            conn.execute(READY_CHECK.sql)
    except (psycopg.Error, DatabaseDown):
        return False
    return True


def utc_now() -> datetime:
    return datetime.now(UTC)

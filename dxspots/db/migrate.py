"""Numbered SQL migrations: `migrations/NNNN_name.sql`, applied in order, each once.

Applied versions are recorded in `schema_migrations` with a checksum, so `dxspots db status`
can tell pending migrations and files changed after they were applied. Migrations run under
an advisory lock, each in its own transaction: two `migrate` runs at once are safe.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import psycopg

_NAME_RE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
_LOCK_KEY = 0x64787370  # "dxsp"


class MigrationError(RuntimeError):
    """A migration file is malformed or failed to apply; the message names it."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """The SHA-256 of the file's text."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class MigrationState:
    """A migration and whether (and when) it has been applied."""

    migration: Migration
    applied_at: datetime | None
    changed: bool
    """Applied, but the file differs from what was applied."""


def available_migrations() -> list[Migration]:
    """Read the migration files shipped in the package, in version order."""
    found = []
    for entry in resources.files("dxspots.db").joinpath("migrations").iterdir():
        match = _NAME_RE.fullmatch(entry.name)
        if match is None:
            continue
        found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version: {versions}")
    return found


def _ensure_table(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )


def migration_status(conn: psycopg.Connection[tuple[object, ...]]) -> list[MigrationState]:
    """Say, for each migration file, whether it is applied and unchanged."""
    applied: dict[int, tuple[str, datetime]] = {}
    exists = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
    if exists is not None and exists[0] is not None:
        for version, checksum, applied_at in conn.execute(
            "SELECT version, checksum, applied_at FROM schema_migrations"
        ):
            applied[int(str(version))] = (str(checksum), applied_at)  # type: ignore[assignment]
    states = []
    for migration in available_migrations():
        record = applied.get(migration.version)
        states.append(
            MigrationState(
                migration,
                record[1] if record else None,
                record is not None and record[0] != migration.checksum,
            )
        )
    return states


def migrate(conn: psycopg.Connection[tuple[object, ...]]) -> list[Migration]:
    """Apply every pending migration; return the ones applied (empty when up to date)."""
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        _ensure_table(conn)
        done = []
        for state in migration_status(conn):
            if state.applied_at is not None:
                continue
            migration = state.migration
            try:
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum)"
                        " VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
            except psycopg.Error as error:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} failed: {error}"
                ) from error
            done.append(migration)
        return done
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))

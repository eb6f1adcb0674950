"""`dxspots db migrate` and `dxspots db status`, and the migration the writing commands run."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from dxspots.runtime import (
    CommandError,
    connect,
    writer_dsn,
)
from dxspots.settings import (
    Settings,
)

if TYPE_CHECKING:
    import psycopg


log = logging.getLogger("dxspots")


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """Apply migrations, or list them."""
    from dxspots.db.migrate import MigrationError, migrate, migration_status

    with writer_dsn(settings) as dsn, connect(dsn) as conn:
        if args.db_command == "migrate":
            try:
                applied = migrate(conn)
            except MigrationError as error:
                raise CommandError(str(error)) from None
            for migration in applied:
                print(f"applied {migration.version:04d}_{migration.name}")
            print("database is up to date" if applied else "nothing to do: up to date")
            return 0
        pending = 0
        for state in migration_status(conn):
            migration = state.migration
            if state.applied_at is None:
                pending += 1
                status = "pending"
            else:
                status = f"applied {state.applied_at:%Y-%m-%d %H:%M:%SZ}"
                if state.changed:
                    status += " (file changed since)"
            print(f"{migration.version:04d}_{migration.name:<24} {status}")
        return 1 if pending else 0


def migrate_or_fail(conn: psycopg.Connection[tuple[object, ...]]) -> list[object]:
    """Bring the schema up to date; a failed migration is a `CommandError`."""
    from dxspots.db.migrate import MigrationError, migrate

    try:
        return list(migrate(conn))
    except MigrationError as error:
        raise CommandError(str(error)) from None

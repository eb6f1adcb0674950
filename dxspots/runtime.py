"""What the commands share: errors a user can fix, the database they use, the country file.

Nothing here runs at import time; each function takes the settings it needs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dxspots.settings import Settings

if TYPE_CHECKING:
    import psycopg

    from dxspots.enrich import Enricher

log = logging.getLogger("dxspots")


class CommandError(RuntimeError):
    """A command failed in a way the user can fix; the message says how."""


def load_enricher(settings: Settings) -> Enricher:
    """Load the country file the settings point at; warn once when there is none."""
    from dxspots.cty import CountryFile, CtyError, find_country_file
    from dxspots.enrich import Enricher

    if settings.cty_path is not None and not settings.cty_path.is_file():
        raise CommandError(f"DXSPOTS_CTY_PATH: no such file: {settings.cty_path}")
    path = find_country_file(settings.cty_path, settings.data_dir)
    if path is None:
        log.warning(
            "no country file: DXCC entity fields stay empty. Run `dxspots cty update` "
            "or set DXSPOTS_CTY_PATH to a cty.dat"
        )
        return Enricher(None)
    csv_path = path.with_name("cty.csv")
    try:
        country_file = CountryFile.load(path, csv_path if csv_path.is_file() else None)
    except CtyError as error:
        raise CommandError(f"country file {path}: {error}") from None
    log.info("country file %s (version %s)", path, country_file.version or "unknown")
    return Enricher(country_file)


@contextmanager
def writer_dsn(settings: Settings) -> Iterator[str]:
    """Yield the writer DSN: the configured one, or the local server in the data directory.

    The local server is started if it is not running, and stopped when the last command
    using it ends (`LocalServer.session`).
    """
    if settings.database_url is not None:
        yield settings.database_url
        return
    from dxspots.db.localserver import LocalServer

    with LocalServer(settings.data_dir / "postgres").session() as dsn:
        yield dsn


def connect(dsn: str) -> psycopg.Connection[tuple[object, ...]]:
    import psycopg

    try:
        return psycopg.connect(dsn, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise CommandError(f"cannot connect to the database: {error}".strip()) from None

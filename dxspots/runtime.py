"""What the commands share: errors a user can fix, the database they use, the country file,
and logging with the database passwords kept out.

Nothing here runs at import time; each function takes the settings it needs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from dxspots.redact import Redactor, dsn_secrets, install, learn
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


def local_server_dir(settings: Settings) -> Path:
    """The folder of the PostgreSQL server dxspots runs when no database is configured."""
    return settings.data_dir / "postgres"


def local_password_file(settings: Settings) -> Path:
    """The file that holds the local server's generated password."""
    from dxspots.db.localserver import PASSWORD_FILE

    return local_server_dir(settings) / PASSWORD_FILE


def known_secrets(settings: Settings, environ: Mapping[str, str], *dsns: str) -> set[str]:
    """The database passwords this process may meet: those of the configured DSNs and of
    `dsns` (one handed down by a parent), the local server's, and libpq's `PGPASSWORD`."""
    found: set[str] = set()
    for dsn in (settings.database_url, settings.read_database_url, *dsns):
        if dsn:
            found |= dsn_secrets(dsn)
    with suppress(OSError, UnicodeDecodeError):
        found.add(local_password_file(settings).read_text().strip())
    found.add(environ.get("PGPASSWORD", ""))
    return found


def configure_logging(settings: Settings, environ: Mapping[str, str], *dsns: str) -> Redactor:
    """Log to standard error at the configured level, with every database password masked
    (`dxspots.redact`); return the redactor for messages printed rather than logged."""
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return install(known_secrets(settings, environ, *dsns))


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

    with LocalServer(local_server_dir(settings)).session() as dsn:
        learn(dsn_secrets(dsn))  # a server made just now has a password nobody knew
        yield dsn


def connect(dsn: str) -> psycopg.Connection[tuple[object, ...]]:
    """Connect; `CommandError` when the server does not answer or the DSN is malformed
    (libpq's words, which may echo part of the DSN: print them through a `Redactor`)."""
    import psycopg

    try:
        return psycopg.connect(dsn, connect_timeout=10)
    except (psycopg.OperationalError, psycopg.ProgrammingError) as error:
        raise CommandError(f"cannot connect to the database: {error}".strip()) from None

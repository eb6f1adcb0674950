"""What the commands share: errors a user can fix, the database they use, the country file,
and logging with the database passwords kept out.

Nothing here runs at import time; each function takes the settings it needs.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
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


NO_VERSION = "unknown version"
"""What `collector_status.country_file` says of a country file without a VER line."""


@dataclass(frozen=True, slots=True)
class CountryFileState:
    """Which country file was loaded: its path and what stamped it on disk, or none."""

    path: Path | None
    stamp: tuple[int, ...] | None
    """cty.dat's (and cty.csv's) modification time and size: a change means a new file."""
    label: str | None
    """The file's version, `NO_VERSION` when it has none; None without a file."""
    identity: str | None
    """The label and a hash of the content: what re-enrichment keys its progress by."""


def _stamp(path: Path | None) -> tuple[int, ...] | None:
    if path is None:
        return None
    stamp: tuple[int, ...] = ()
    for each in (path, path.with_name("cty.csv")):
        with suppress(OSError):
            info = each.stat()
            stamp += (info.st_mtime_ns, info.st_size)
    return stamp or None


def load_country_file(settings: Settings) -> tuple[Enricher, CountryFileState]:
    """Load the country file the settings point at; warn once when there is none.

    Returns the enricher and what was loaded. Raises `CommandError` naming
    DXSPOTS_CTY_PATH when it points at no file, or the file when it cannot be read.
    """
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
        return Enricher(None), CountryFileState(None, None, None, None)
    stamp = _stamp(path)
    csv_path = path.with_name("cty.csv")
    try:
        content = path.read_bytes() + (csv_path.read_bytes() if csv_path.is_file() else b"")
        country_file = CountryFile.load(path, csv_path if csv_path.is_file() else None)
    except (CtyError, OSError) as error:
        raise CommandError(f"country file {path}: {error}") from None
    label = country_file.version or NO_VERSION
    identity = f"{label} sha256:{hashlib.sha256(content).hexdigest()[:16]}"
    log.info("country file %s (version %s)", path, label)
    return Enricher(country_file), CountryFileState(path, stamp, label, identity)


def load_enricher(settings: Settings) -> Enricher:
    """Load the country file the settings point at (`load_country_file`)."""
    return load_country_file(settings)[0]


class CountryFileWatch:
    """Notice a new country file (`dxspots cty update` replaced it) without a restart."""

    def __init__(self, settings: Settings, loaded: CountryFileState) -> None:
        self._settings = settings
        self.loaded = loaded

    def check(self) -> Enricher | None:
        """A new enricher when the file changed on disk since it was loaded, else None.

        Reads only the files' modification times and sizes unless they changed. A file
        that vanished or cannot be read is logged and the one loaded is kept.
        """
        from dxspots.cty import find_country_file

        settings = self._settings
        path = find_country_file(settings.cty_path, settings.data_dir)
        stamp = _stamp(path)
        if stamp is None or (path, stamp) == (self.loaded.path, self.loaded.stamp):
            return None
        try:
            enricher, state = load_country_file(settings)
        except CommandError as error:
            log.warning("%s; the country file loaded before is kept", error)
            self.loaded = CountryFileState(path, stamp, self.loaded.label, self.loaded.identity)
            return None
        if state.identity == self.loaded.identity:  # touched, not changed
            self.loaded = state
            return None
        log.info("new country file %s (version %s): enriching with it", state.path, state.label)
        self.loaded = state
        return enricher


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

"""The `dxspots` command. Thin: it reads the settings once, then calls into the core.

Subcommands: parse, import, export, archive, db migrate, db status, cty update, cty reenrich,
collect, simulate, api, dashboard, up. Each imports what it needs when it runs, so `dxspots parse`
never loads the database driver, and the apps load only with their own subcommand.

The parser is `parser.py`; the commands live by what they handle: `spotfiles.py` (parse,
import, export, archive), `schema.py` (db), `countries.py` (cty), `serve.py` (collect,
simulate, api, dashboard: each role's own package starts it), `up.py`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from dxspots.cli.alerts import cmd_alerts
from dxspots.cli.countries import cmd_cty, reenrich_stored
from dxspots.cli.logs import cmd_log
from dxspots.cli.parser import EXPORT_LISTS, build_parser
from dxspots.cli.schema import cmd_db
from dxspots.cli.serve import (
    cmd_api,
    cmd_collect,
    cmd_dashboard,
    cmd_simulate,
    retention_run,
    simulated_node,
)
from dxspots.cli.spotfiles import cmd_archive, cmd_export, cmd_import, cmd_parse
from dxspots.cli.up import cmd_up
from dxspots.redact import mask
from dxspots.runtime import CommandError, configure_logging
from dxspots.settings import SettingsError, load_settings, unknown_settings

log = logging.getLogger("dxspots")


__all__ = [
    "COMMANDS", "EXPORT_LISTS", "build_parser", "main", "reenrich_stored", "retention_run",
    "simulated_node",
]  # fmt: skip

COMMANDS = {
    "parse": cmd_parse,
    "import": cmd_import,
    "export": cmd_export,
    "archive": cmd_archive,
    "db": cmd_db,
    "cty": cmd_cty,
    "log": cmd_log,
    "alerts": cmd_alerts,
    "collect": cmd_collect,
    "simulate": cmd_simulate,
    "up": cmd_up,
    "api": cmd_api,
    "dashboard": cmd_dashboard,
}

EXTRAS = {
    "collect": "collector",
    "simulate": "collector",
    "api": "api",
    "dashboard": "dashboard",
    "export": "dashboard",
    "archive": "dashboard",
    "alerts": "alerts",
    "up": "collector,api,dashboard,local",
}
"""The extra that holds the packages each command needs beyond the core."""


def missing_package(command: str, package: str) -> str:
    """The message for a command whose extra is not installed here."""
    extra = EXTRAS.get(command)
    fix = f": pip install 'dxspots[{extra}]'" if extra else ""
    return f"`dxspots {command}` needs the Python package {package!r}, not installed here{fix}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"dxspots: {mask(str(error))}", file=sys.stderr)
        return 2
    # From here every log record and every message below has the database passwords masked:
    # libpq echoes parts of a malformed DSN, the password among them.
    redact = configure_logging(settings, os.environ)

    def fail(message: str) -> int:
        print(f"dxspots: {redact(message)}", file=sys.stderr)
        return 1

    for name in unknown_settings(os.environ):
        log.warning("%s is not a dxspots setting and is ignored (docs/configuration.md)", name)
    try:
        return COMMANDS[args.command](args, settings)
    except CommandError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # the outermost loop: log it, never a traceback to the user
        import psycopg

        from dxspots.db.localserver import LocalServerError

        if isinstance(error, LocalServerError):
            return fail(str(error))
        missing = error.name if isinstance(error, ModuleNotFoundError) else None
        ours = {"dxspots", "collector", "api", "dashboard", "alerts"}  # ours: a broken install
        if missing and missing.partition(".")[0] not in ours:
            return fail(missing_package(args.command, missing))
        if isinstance(error, psycopg.Error):
            return fail(f"database error: {str(error).strip()}")
        log.debug("unexpected error", exc_info=True)
        return fail(f"unexpected error: {type(error).__name__}: {error}")

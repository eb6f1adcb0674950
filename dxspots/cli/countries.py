"""The country file: `dxspots cty update`, `cty reenrich`, the first run's fetch, and the
collector's re-enrichment after it takes a new file."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from dxspots.cli.output import say
from dxspots.cli.schema import migrate_or_fail
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

    from dxspots.enrich import Enricher
    from dxspots.runtime import CountryFileWatch

log = logging.getLogger("dxspots")


def cmd_cty(args: argparse.Namespace, settings: Settings) -> int:
    """Download the country files, then re-enrich; or re-enrich alone."""
    import psycopg

    if args.cty_command == "update":
        fetch_country_file(settings)
    try:
        with writer_dsn(settings) as dsn, connect(dsn) as conn:
            migrate_or_fail(conn)
            reenrich(conn, settings, restart=getattr(args, "restart", False))
    except (CommandError, psycopg.Error) as error:
        if args.cty_command != "update":
            raise
        raise CommandError(
            f"the country file was installed, but the stored spots were not re-enriched: "
            f"{str(error).strip()}. Run `dxspots cty reenrich` when the database answers."
        ) from None
    return 0


def fetch_country_file(settings: Settings) -> None:
    """Download cty.dat and cty.csv into the data directory; `CommandError` on failure."""
    from dxspots.cty import CtyError
    from dxspots.ctyupdate import update_country_files

    try:
        result = update_country_files(settings.data_dir, settings.cty_url)
    except CtyError as error:
        raise CommandError(f"country file update failed, previous files kept: {error}") from None
    print(
        f"country file version {result.version or 'unknown'}: {result.entities} entities, "
        f"in {', '.join(str(path) for path in result.written)}",
        flush=True,
    )


def reenrich(
    conn: psycopg.Connection[tuple[object, ...]], settings: Settings, *, restart: bool = False
) -> int:
    """Re-enrich the stored spots that lack an entity, printing progress; return how many
    were given one. Says so and returns 0 when there is no country file."""
    import time

    from dxspots.db.reenrich import ReenrichProgress, reenrich_spots
    from dxspots.runtime import load_country_file

    enricher, state = load_country_file(settings)
    if state.identity is None:
        print("no country file to re-enrich with: run `dxspots cty update`", flush=True)
        return 0
    shown = [time.monotonic()]

    def report(progress: ReenrichProgress) -> None:
        if time.monotonic() - shown[0] >= REENRICH_PROGRESS_S:
            shown[0] = time.monotonic()
            reached = f"{progress.reached:%Y-%m-%d %H:%MZ}" if progress.reached else "-"
            print(
                f"  re-enrich: {progress.examined:,} spots looked at, "
                f"{progress.enriched:,} given an entity (up to {reached})",
                flush=True,
            )

    print(f"re-enriching stored spots without an entity (country file {state.label})…", flush=True)
    done = reenrich_spots(conn, enricher, state.identity, restart=restart, report=report)
    resumed = " (continued from an interrupted run)" if done.resumed else ""
    print(
        f"re-enriched {done.enriched:,} of {done.examined:,} spots without an entity{resumed}",
        flush=True,
    )
    return done.enriched


REENRICH_PROGRESS_S = 2.0
"""At most one progress line this often while re-enriching."""


def first_country_file(settings: Settings) -> None:
    """On a first run with no country file, fetch one, saying so; offline, say what to run."""
    from dxspots.cty import find_country_file

    if find_country_file(settings.cty_path, settings.data_dir) is not None:
        return
    say(f"no country file: fetching cty.dat from {settings.cty_url}…")
    try:
        fetch_country_file(settings)
    except CommandError as error:
        say(
            f"  {error}\n  DXCC entities and continents stay empty until you run "
            "`dxspots cty update` (the dashboard says so on every page)."
        )


def reenrich_stored(dsn: str, enricher: Enricher, watch: CountryFileWatch) -> None:
    """The collector's run after it took a new country file: the spots stored without an
    entity get one (it waits for a run already going, e.g. `dxspots cty update`'s)."""
    import psycopg

    from dxspots.db.reenrich import ReenrichError, reenrich_spots

    identity = watch.loaded.identity
    if identity is None:
        return
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            done = reenrich_spots(conn, enricher, identity)
    except (psycopg.Error, ReenrichError) as error:
        log.warning(
            "stored spots without an entity were not re-enriched (%s): run `dxspots cty "
            "reenrich`", error,
        )  # fmt: skip
        return
    log.info("re-enriched %d of %d stored spots without an entity", done.enriched, done.examined)

"""The long-running roles: `dxspots collect`, `simulate`, `api` and `dashboard`, each started
by its own package once its subcommand runs."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dxspots.cli.countries import reenrich_stored
from dxspots.runtime import (
    CommandError,
    connect,
    writer_dsn,
)
from dxspots.settings import (
    SIMULATED_NODE,
    NodeConfig,
    Settings,
    SettingsError,
    load_settings,
)

if TYPE_CHECKING:
    import psycopg

    from dxspots.supervise import Port

log = logging.getLogger("dxspots")


SIMULATED_CALL = "DX1SIM"
"""The login call `dxspots up` uses with its simulated node (no real node sees it)."""


def cmd_collect(args: argparse.Namespace, settings: Settings) -> int:
    """Run the collector until SIGTERM or Ctrl-C."""
    import asyncio

    import psycopg

    from collector.app import Collector, CollectorConfigError
    from collector.sdnotify import Notifier
    from collector.spool import Spool
    from dxspots.db.migrate import MigrationError, migrate

    nodes, callsign = settings.nodes, settings.callsign
    if callsign is None and args.simulated_node:
        nodes, callsign = [simulated_node(args.simulated_node)], SIMULATED_CALL
        log.warning(
            "SIMULATED SPOTS: DXSPOTS_CALLSIGN is not set, so this collects from the simulated "
            "node at %s, not a real cluster. Set DXSPOTS_CALLSIGN (and DXSPOTS_NODES) for live "
            "spots.", args.simulated_node,
        )  # fmt: skip
    from dxspots.runtime import CountryFileWatch, load_country_file

    enricher, country_file = load_country_file(settings)

    def migrated(dsn: str) -> psycopg.Connection[tuple[object, ...]]:
        # Every (re)connection checks the schema: a database that was down at start may be
        # new when it comes back. Cheap when up to date.
        # A statement timeout and TCP keepalives: a half-open connection must fail, not hang.
        conn = psycopg.connect(
            dsn, connect_timeout=5, options="-c statement_timeout=60000", keepalives=1,
            keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
        )  # fmt: skip
        try:
            migrate(conn)
        except MigrationError as error:  # the pipeline treats it as the database being away
            conn.close()
            raise psycopg.OperationalError(str(error)) from error
        return conn

    watch = CountryFileWatch(settings, country_file)
    with writer_dsn(settings) as dsn:
        try:
            migrated(dsn).close()
        except psycopg.Error as error:
            log.warning("database unavailable at start (%s): spooling until it answers", error)
        try:
            collector = Collector(
                nodes, callsign, lambda: migrated(dsn),
                enricher,
                Spool(settings.data_dir / "spool" / "batches.jsonl", settings.spool_max_bytes),
                Notifier(os.environ.get("NOTIFY_SOCKET"),  # systemd's, not a dxspots setting
                         int(os.environ.get("WATCHDOG_USEC", "0") or 0) or None),
                metrics_address=(settings.metrics_host, settings.metrics_port),
                country_file_check=watch.check,
                reenrich=lambda enricher: reenrich_stored(dsn, enricher, watch),
                housekeeping=None if settings.retention_days is None
                else lambda: retention_run(dsn, settings),
            )  # fmt: skip
            asyncio.run(collector.run())
        except CollectorConfigError as error:  # in the settings, or found on starting
            raise CommandError(str(error)) from None
    return 0


def retention_run(dsn: str, settings: Settings) -> str:
    """The collector's daily housekeeping: archive and drop the months of spots past
    DXSPOTS_RETENTION_DAYS on a connection of its own; say what was done."""
    import psycopg

    from dxspots.db.retention import apply_retention

    assert settings.retention_days is not None  # only set up when it is
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        result = apply_retention(conn, settings.retention_days, settings.archive_path)
    months = [
        f"{m.month.start:%Y-%m} ({m.rows} spots, "
        f"{'dropped' if m.dropped else 'kept for now: ' + (m.kept or 'not dropped')})"
        for m in result.months
    ]
    archived = ", ".join(months) if months else "nothing"
    return (
        f"retention ({settings.retention_days} days, before {result.cutoff:%Y-%m-%d}): archived "
        f"{archived} to {settings.archive_path}; {result.rejected_deleted} rejected lines deleted"
    )


def simulated_node(address: str, wait: float = 30.0) -> NodeConfig:
    """The node `collect --simulated-node HOST:PORT` names, once its host name resolves.

    In compose the name is the demo profile's simulator service: it resolves once that
    container exists, and never when the profile is off, which is then said plainly.
    """
    import socket
    import time

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"--simulated-node: HOST:PORT expected, not {address!r}")
    deadline = time.monotonic() + wait
    while True:
        try:
            socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise CommandError(
                    f"DXSPOTS_CALLSIGN is not set, and the simulated node {address} is not "
                    "there: set DXSPOTS_CALLSIGN (your callsign) to collect live spots, or run "
                    "the demo (`docker compose --profile demo up`)"
                ) from None
            time.sleep(1)
    return NodeConfig(name=SIMULATED_NODE, host=host, port=int(port), backfill=30)


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    """Run the simulated node until Ctrl-C."""
    import asyncio

    from collector.simulator import Faults, SimulatedNode

    faults = Faults(
        drop_every=args.drop_every, stall_after=args.stall_after,
        garbage_every=args.garbage_every, endless_line_after=args.endless_line_after,
        refuse_login=args.refuse_login,
    )  # fmt: skip
    node = SimulatedNode(
        host=args.host, port=args.port, rate=args.rate, seed=args.seed, faults=faults,
        log_path=args.log,
    )  # fmt: skip

    async def serve() -> None:
        port = await node.start()
        print(f"simulated DXSpider node (not a real cluster) on {args.host}:{port}", flush=True)
        # SIGTERM stops it as Ctrl-C does: a container's stop, where it runs as PID 1 and a
        # signal without a handler is ignored.
        stopped = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
        try:
            await stopped.wait()
        finally:
            await node.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0


def _with_address(settings: Settings, prefix: str, args: argparse.Namespace) -> Settings:
    """The settings with --host/--port applied, checked like the settings themselves."""
    overrides = {f"{prefix}_host": args.host, f"{prefix}_port": args.port}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    if not overrides:
        return settings
    try:
        return load_settings(**{**settings.model_dump(), **overrides})
    except SettingsError as error:
        raise CommandError(f"{error}\n  (given as --host/--port)") from None


@contextlib.contextmanager
def reader_dsn(settings: Settings) -> Iterator[str]:
    """The DSN the API and dashboard read from: the read DSN, or the writer's, migrated."""
    from dxspots.db.migrate import MigrationError, migrate

    if settings.read_database_url is not None:
        yield settings.read_database_url
        return
    with writer_dsn(settings) as dsn:
        # No separate reader: the writer DSN brings the schema up to date first.
        with connect(dsn) as conn:
            try:
                migrate(conn)
            except MigrationError as error:
                raise CommandError(str(error)) from None
        yield dsn


def port_free(port: Port) -> None:
    """`CommandError` naming the setting (and --port) when `port` cannot be listened on."""
    from dxspots.supervise import port_problem

    problem = port_problem(port)
    if problem is not None:
        raise CommandError(f"{problem} (or give --port)")


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API until SIGTERM or Ctrl-C."""
    from api.server import serve
    from dxspots.supervise import Port

    settings = _with_address(settings, "api", args)
    port_free(Port("DXSPOTS_API_PORT", settings.api_host, settings.api_port))
    with reader_dsn(settings) as dsn:
        serve(settings, dsn)
    return 0


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the dashboard until SIGTERM or Ctrl-C."""
    from dashboard.server import serve
    from dxspots.supervise import Port

    settings = _with_address(settings, "dashboard", args)
    port_free(Port("DXSPOTS_DASHBOARD_PORT", settings.dashboard_host, settings.dashboard_port))
    with reader_dsn(settings) as dsn:
        return serve(settings, dsn)

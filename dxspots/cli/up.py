"""`dxspots up`: the database, migrations, collector, API and dashboard on this machine."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import TYPE_CHECKING

from dxspots.cli.alerts import checked_rules
from dxspots.cli.countries import first_country_file, reenrich
from dxspots.cli.output import say
from dxspots.cli.schema import migrate_or_fail
from dxspots.cli.serve import SIMULATED_CALL
from dxspots.redact import Redactor, dsn_secrets
from dxspots.runtime import (
    CommandError,
    connect,
    local_password_file,
    writer_dsn,
)
from dxspots.settings import (
    SIMULATED_NODE,
    Settings,
)

if TYPE_CHECKING:
    from dxspots.supervise import Port

log = logging.getLogger("dxspots")


DEFAULT_NODES = '[{"name": "rbn", "host": "telnet.reversebeacon.net", "port": 7000, "backfill": 0}]'
"""Live nodes `dxspots up` connects to when a callsign is set but no nodes are."""


def up_ports(settings: Settings) -> list[Port]:
    """The ports `dxspots up` listens on, each with the setting that moves it."""
    from dxspots.supervise import Port

    return [
        Port("DXSPOTS_API_PORT", settings.api_host, settings.api_port),
        Port("DXSPOTS_DASHBOARD_PORT", settings.dashboard_host, settings.dashboard_port),
        Port("DXSPOTS_METRICS_PORT", settings.metrics_host, settings.metrics_port),
    ]


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    """Run the database, migrations, collector, API and dashboard until Ctrl-C."""
    from dxspots.supervise import SuperviseError, check_ports, single_instance

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Until the children run, a stop interrupts what is going on (a download, a long
    # re-enrichment, which continues next time) and the local server is stopped on the way
    # out; SIGINT does that by itself.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    simulated = args.simulate or settings.callsign is None
    rules = alert_rules(settings)  # a mistake in them stops `up` before anything starts
    try:
        with single_instance(settings.data_dir):
            check_ports(up_ports(settings))  # before anything starts, and before the banner
            return _up(settings, simulated, rules)
    except SuperviseError as error:
        raise CommandError(str(error)) from None


def alert_rules(settings: Settings) -> str | None:
    """With a rules file (DXSPOTS_ALERT_RULES, else `alerts.toml` in the data directory), the
    line `up` prints for the alerts it starts, the rules and channels checked; else None.
    `CommandError` naming the rule and field, or the missing extra."""
    path = settings.alert_rules_path
    if not path.is_file():
        return None
    try:
        rules, channels = checked_rules(path)
    except ImportError:
        raise CommandError(
            f"{path}: alert rules, but the alerts extra is not installed: "
            "pip install 'dxspots[alerts]' (or move the file away)"
        ) from None
    count, channel_count = len(rules.rule), len(channels)
    return (f"{count} rule{'' if count == 1 else 's'} from {path}, {channel_count} "
            f"channel{'' if channel_count == 1 else 's'}")  # fmt: skip


def _up(settings: Settings, simulated: bool, rules: str | None = None) -> int:
    """`cmd_up` once the ports and the data directory are known to be free."""
    import json

    from dxspots.db.forget import forget_node
    from dxspots.db.localserver import free_port
    from dxspots.db.reenrich import pending
    from dxspots.runtime import load_country_file
    from dxspots.supervise import Service, run_services

    with writer_dsn(settings) as dsn:
        with connect(dsn) as conn:
            applied = migrate_or_fail(conn)
            configured = {n.name for n in settings.nodes}
            forgotten = 0
            if not simulated and SIMULATED_NODE not in configured:  # a real node of that name
                forgotten = forget_node(conn, SIMULATED_NODE)["spots"]
            # A new user's spots get their entities: the file first, then the spots stored
            # without one (a run for this file that has not finished, or none yet).
            first_country_file(settings)
            state = load_country_file(settings)[1]
            if state.identity is not None and pending(conn, state.identity):
                reenrich(conn, settings)
        where = "the configured server" if settings.database_url else (
            f"a local server in {settings.data_dir / 'postgres'}"
        )  # fmt: skip
        env = {"DXSPOTS_DATABASE_URL": dsn}
        if settings.read_database_url is None:  # migrated above: the children need not again
            env["DXSPOTS_READ_DATABASE_URL"] = dsn
        services = []
        if simulated:
            port = free_port()
            node = {"name": SIMULATED_NODE, "host": "127.0.0.1", "port": port, "backfill": 30}
            services.append(Service("the simulated node", ["simulate", "--port", str(port)]))
            env |= {"DXSPOTS_NODES": json.dumps([node]), "DXSPOTS_CALLSIGN": SIMULATED_CALL}
        elif not settings.nodes:
            env["DXSPOTS_NODES"] = DEFAULT_NODES
        services += [
            Service("the collector", ["collect"], env),
            Service("the API", ["api"], env),
            Service("the dashboard", ["dashboard"], env),
        ]
        if rules is not None:
            alerts_env = env | {"DXSPOTS_ALERT_RULES": str(settings.alert_rules_path)}
            services.append(Service("the alerts", ["alerts"], alerts_env))
        api = f"http://{settings.api_host}:{settings.api_port}"
        dashboard = f"http://{settings.dashboard_host}:{settings.dashboard_port}"
        if simulated:
            banner = (
                "SIMULATED SPOTS: collecting from the built-in simulated DXSpider node, not a "
                "real cluster.\n  To collect live spots, set DXSPOTS_CALLSIGN (your callsign) "
                "and, if you like, DXSPOTS_NODES\n  (docs/configuration.md), then run this again."
            )
        else:
            nodes = ", ".join(n.name for n in settings.nodes) or "the Reverse Beacon Network"
            banner = f"LIVE: logging in as {settings.callsign} to {nodes}"
            if forgotten:
                banner += f"\n  (removed {forgotten} spots of the simulated node from earlier runs)"
        if state.label is None:
            banner += (
                "\n  NO COUNTRY FILE: entities and continents stay empty; run `dxspots cty update`"
            )
        # Where the password is, never the password: this is printed at every start.
        password = "as set in DXSPOTS_DATABASE_URL" if settings.database_url else (
            f"password in {local_password_file(settings).resolve()}"
        )  # fmt: skip
        say(
            f"dxspots up: database on {where}, {len(applied)} migration(s) applied\n"
            f"  {banner}\n"
            f"  dashboard  {dashboard}\n  API        {api}  ({api}/openapi.json)\n"
            f"  database   {Redactor(dsn_secrets(dsn))(dsn)}  ({password})\n"
            f"  alerts     {rules or 'none (no ' + str(settings.alert_rules_path) + ')'}\n"
            "Press Ctrl-C to stop everything."
        )
        # From here a stop (Ctrl-C, SIGTERM, a closed terminal) is the supervisor's to do.
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: stop.set())
        ended = run_services(services, stop)
    if ended:
        raise CommandError(f"{ended}; everything was stopped (its messages are above)")
    say("dxspots up: stopped")
    return 0

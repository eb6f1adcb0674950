"""`dxspots alerts`: the alert rules checked, then the alerts process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from dxspots.runtime import CommandError, writer_dsn
from dxspots.settings import Settings


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    """Read and check the rules and their channels, then send alerts for new spots."""
    from dxspots.alertrules import RulesError, load_rules

    path: Path = args.rules or settings.alert_rules_path
    if not path.is_file():
        raise CommandError(
            f"DXSPOTS_ALERT_RULES: no rules file at {path}: write one (docs/alerts.md)"
        )
    from alerts.service import build_channels, run  # without apprise: main names the extra

    try:
        rules = load_rules(path)
        channels = build_channels(rules)
    except RulesError as error:
        raise CommandError(str(error)) from None
    if args.check:
        print(f"{path}: {len(rules.rule)} rules, {len(channels)} channels: fine")
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    print(f"alerts: {len(rules.rule)} rules from {path}, {len(channels)} channels",
          file=sys.stderr, flush=True)  # fmt: skip
    with writer_dsn(settings) as dsn:
        run(dsn, rules, channels, stop, str(path))
    return 0

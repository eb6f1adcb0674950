"""`dxspots alerts`: the alert rules checked, then the alerts process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from dxspots.runtime import CommandError, writer_dsn
from dxspots.settings import Settings

if TYPE_CHECKING:
    from alerts.channels import Channel
    from dxspots.alertrules import Rules


def checked_rules(path: Path) -> tuple[Rules, dict[str, Channel]]:
    """The rules at `path` and their channels, checked; `CommandError` naming the rule and
    field. `ImportError` without the alerts extra (apprise)."""
    from alerts.service import build_channels
    from dxspots.alertrules import RulesError, load_rules

    try:
        rules = load_rules(path)
        return rules, build_channels(rules)
    except RulesError as error:
        raise CommandError(str(error)) from None


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    """Read and check the rules and their channels, then send alerts for new spots."""
    path: Path = args.rules or settings.alert_rules_path
    if not path.is_file():
        raise CommandError(
            f"DXSPOTS_ALERT_RULES: no rules file at {path}: write one (docs/alerts.md)"
        )
    from alerts.service import run  # without apprise: main names the extra

    rules, channels = checked_rules(path)
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

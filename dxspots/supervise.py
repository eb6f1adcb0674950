"""Run several `dxspots` commands as child processes and stop them together (`dxspots up`).

Each service is a `dxspots` subcommand with its own environment. When one exits on its own
the others are stopped too and the reason is given: half a system that looks whole is worse
than a clear stop. SIGINT and SIGTERM stop every child with SIGTERM, then SIGKILL after a
grace period.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

GRACE_S = 15.0
"""How long children get to stop after SIGTERM before they are killed."""


@dataclass
class Service:
    """One child: a name for the messages, the `dxspots` arguments, extra environment."""

    name: str
    args: list[str]
    env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "dxspots.cli", *self.args]
        self.process = subprocess.Popen(command, env={**os.environ, **self.env})


def _stop_all(services: list[Service]) -> None:
    running = [s for s in services if s.process is not None and s.process.poll() is None]
    for service in running:
        assert service.process is not None
        service.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for service in running:
        assert service.process is not None
        try:
            service.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s; killing it", service.name, GRACE_S)
            service.process.kill()
            service.process.wait()


def run_services(services: list[Service], stop: threading.Event) -> str | None:
    """Start the services in order and wait until `stop` is set or one of them exits.

    Returns None after a requested stop, else a sentence saying which service ended.
    """
    ended: str | None = None
    try:
        for service in services:
            service.start()
        while not stop.wait(0.5):
            for service in services:
                assert service.process is not None
                code = service.process.poll()
                if code is not None:
                    ended = f"{service.name} stopped on its own (exit status {code})"
                    break
            if ended:
                break
    finally:
        _stop_all(services)
    return ended

"""Run several `dxspots` commands as child processes and stop them together (`dxspots up`).

Each service is a `dxspots` subcommand with its own environment. When one exits on its own
the others are stopped too and the reason is given: half a system that looks whole is worse
than a clear stop.

Every child runs in a session (and so a process group) of its own and is stopped as a
group: SIGTERM to the group, SIGKILL to the group after `GRACE_S`, so that a grandchild (the
dashboard's Streamlit process) goes with it. A terminal's Ctrl-C therefore reaches `up`
alone, which stops the rest in order. Each child also gets SIGTERM when `up` dies, however
it dies (`PR_SET_PDEATHSIG` on Linux; `die_with_parent`), so a `kill -9` of `up` leaves no
server holding a port.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

GRACE_S = 10.0
"""How long children get to stop after SIGTERM before their groups are killed."""
PR_SET_PDEATHSIG = 1
"""prctl(2)'s option: the signal this process gets when its parent thread ends."""
LOCK_NAME = "up.lock"
"""The file under the data directory that `dxspots up` holds locked while it runs."""


class SuperviseError(RuntimeError):
    """`dxspots up` cannot start; the message says why and what to change."""


def die_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` that has the child sent `signum` when the calling process ends.

    Linux only (prctl through the C library, loaded here, before any fork); elsewhere a
    function that does nothing. The child checks its parent is still the one that forked
    it, in case that one died before the prctl call.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return lambda: None
    parent = os.getpid()

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signum)

    return arm


@dataclass
class Service:
    """One child: a name for the messages, the `dxspots` arguments, extra environment."""

    name: str
    args: list[str]
    env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the child in a session of its own, bound to die with this process."""
        command = [sys.executable, "-m", "dxspots.cli", *self.args]
        self.process = subprocess.Popen(
            command, env={**os.environ, **self.env}, start_new_session=True,
            preexec_fn=die_with_parent(),  # noqa: PLW1509 (no threads of ours run yet)
        )  # fmt: skip

    def signal_group(self, signum: int) -> None:
        """Send `signum` to the child's process group (its leader may be gone already)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)


def _stop_all(services: list[Service], grace: float = GRACE_S) -> None:
    started = [s for s in services if s.process is not None]
    for service in started:
        service.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for service in started:
        assert service.process is not None
        try:
            service.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s; killing it", service.name, grace)
    # Whatever is left of each group (a leader that would not stop, a grandchild that
    # outlived its parent) is killed: nothing of ours keeps a port after `up` returns.
    for service in started:
        assert service.process is not None
        service.signal_group(signal.SIGKILL)
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


@dataclass(frozen=True, slots=True)
class Port:
    """A port a command will listen on, and the setting that moves it."""

    setting: str
    host: str
    port: int


def port_problem(wanted: Port) -> str | None:
    """Why `wanted` cannot be listened on now, naming the setting that moves it; None when
    it can (port 0, any free port, always can)."""
    if wanted.port == 0:
        return None
    try:
        addresses = socket.getaddrinfo(wanted.host, wanted.port, type=socket.SOCK_STREAM,
                                       flags=socket.AI_PASSIVE)  # fmt: skip
    except (OSError, UnicodeError) as error:
        host_setting = wanted.setting.removesuffix("_PORT") + "_HOST"
        return f"{host_setting}: {wanted.host!r} is not an address here ({error})"
    # Every address the name gives (`localhost` is ::1 and 127.0.0.1, and a server may bind
    # either): a listener on any of them is a conflict; only the first must be bindable too
    # (a machine without IPv6 cannot bind ::1, which is no conflict).
    for index, (family, kind, proto, _, address) in enumerate(addresses):
        with socket.socket(family, kind, proto) as sock:
            # As the servers bind: a socket left in TIME_WAIT is no obstacle, a listener is.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as error:
                if index and error.errno != errno.EADDRINUSE:
                    continue
                why = "in use" if error.errno == errno.EADDRINUSE else error.strerror or error
                return (
                    f"{wanted.setting}: port {wanted.port} on {wanted.host} is {why}: stop "
                    f"what uses it, or set {wanted.setting} to a free port"
                )
    return None


def check_ports(wanted: list[Port]) -> None:
    """Raise `SuperviseError` naming every port of `wanted` that cannot be listened on."""
    problems = [problem for port in wanted if (problem := port_problem(port))]
    if problems:
        raise SuperviseError("\n  ".join(problems))


@contextlib.contextmanager
def single_instance(data_dir: Path) -> Iterator[None]:
    """Hold `data_dir/up.lock` while `dxspots up` runs; `SuperviseError` when another does.

    The lock is an flock (released by the kernel however the holder ends) on a file that
    holds the holder's pid, for the message.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(data_dir / LOCK_NAME, "a+")  # noqa: SIM115 (held until the end)
    except OSError as error:
        raise SuperviseError(f"DXSPOTS_DATA_DIR: cannot use {data_dir}: {error}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            raise SuperviseError(
                f"another `dxspots up` (pid {pid}) is already running on {data_dir.resolve()}: "
                "stop it first, or give this one another DXSPOTS_DATA_DIR"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)

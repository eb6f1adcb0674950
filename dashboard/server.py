"""Run the dashboard: `streamlit run dashboard/app.py` with dxspots' settings.

Streamlit runs the app in its own process; the parent hands it the database DSN it resolved
(a local server's is known only here) as `DXSPOTS_READ_DATABASE_URL`, and the flags that make
it a server: headless, no usage statistics, and no error details in the page (failures go to
the log; the pages show their own messages).

That process starts here too (`python -m dashboard.server run ...`), not as Streamlit's own
command: first it sets up logging as `dxspots` does, with the database passwords masked in
every record, since the pages' connection pool logs libpq's words about the DSN. Streamlit's
loggers do not reach the root logger, ours and psycopg's do; the mask holds for both. Its
standard output and error drop what they are given once their reader is gone, so a broken
pipe cannot stop it from stopping.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from dxspots.redact import install
from dxspots.runtime import configure_logging
from dxspots.settings import Settings, SettingsError, load_settings
from dxspots.supervise import die_with_parent

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_command(settings: Settings) -> list[str]:
    """The command line that serves the dashboard."""
    return [
        sys.executable, "-m", "dashboard.server", "run", str(APP),
        "--server.address", settings.dashboard_host,
        "--server.port", str(settings.dashboard_port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "none",
        "--client.toolbarMode", "minimal",
        "--logger.level", settings.log_level.lower(),
    ]  # fmt: skip


STOP_GRACE_S = 5.0
"""How long Streamlit gets to stop after SIGTERM before it is killed."""


def serve(settings: Settings, dsn: str) -> int:
    """Serve the dashboard until SIGINT, SIGTERM or SIGHUP; return Streamlit's exit status.

    Streamlit runs in this process's group (a signal to the group reaches both) and gets
    SIGTERM when this process dies, however it dies (`die_with_parent`). Asked to stop, it
    has `STOP_GRACE_S` before it is killed.
    """
    env = os.environ | {"DXSPOTS_READ_DATABASE_URL": dsn}
    process = subprocess.Popen(
        streamlit_command(settings), env=env,
        preexec_fn=die_with_parent(),  # noqa: PLW1509 (no threads run here yet)
    )  # fmt: skip
    deadline: list[float] = []

    def stop(signum: int, frame: object) -> None:
        if not deadline:
            deadline.append(time.monotonic() + STOP_GRACE_S)
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    while True:
        try:
            return process.wait(0.5)
        except subprocess.TimeoutExpired:
            if deadline and time.monotonic() > deadline[0]:
                process.kill()
                return process.wait()


class _DropWhenReaderGone:
    """A text stream that writes to `stream` until its reader is gone (EPIPE), then to
    /dev/null: Streamlit prints "Stopping..." in its SIGTERM handler, and a broken pipe
    there (`dxspots up | tee log`, tee killed by Ctrl-C) left it running, ignoring SIGTERM."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def _gone(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())  # what is buffered drains there too
            os.close(devnull)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._gone()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._gone()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def main(argv: Sequence[str]) -> None:
    """The dashboard's process: logging with passwords masked, then Streamlit's command line."""
    sys.stdout = _DropWhenReaderGone(sys.stdout)
    sys.stderr = _DropWhenReaderGone(sys.stderr)
    from streamlit.web.cli import main as streamlit  # noqa: PLC0415 (not in `serve`'s process)

    try:
        configure_logging(load_settings(), os.environ)
    except SettingsError:  # the pages say which setting is bad; mask by the look of it
        install()
    streamlit(args=list(argv), prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Run the dashboard: `streamlit run dashboard/app.py` with dxspots' settings.

Streamlit runs the app in its own process; the parent hands it the database DSN it resolved
(a local server's is known only here) as `DXSPOTS_READ_DATABASE_URL`, and the flags that make
it a server: headless, no usage statistics, and no error details in the page (failures go to
the log; the pages show their own messages).

That process starts here too (`python -m dashboard.server run ...`), not as Streamlit's own
command: first it sets up logging as `dxspots` does, with the database passwords masked in
every record, since the pages' connection pool logs libpq's words about the DSN. Streamlit's
loggers do not reach the root logger, ours and psycopg's do; the mask holds for both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from dxspots.redact import install
from dxspots.runtime import configure_logging
from dxspots.settings import Settings, SettingsError, load_settings

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


def serve(settings: Settings, dsn: str) -> int:
    """Serve the dashboard until SIGINT or SIGTERM; return Streamlit's exit status."""
    env = os.environ | {"DXSPOTS_READ_DATABASE_URL": dsn}
    process = subprocess.Popen(streamlit_command(settings), env=env)

    def stop(signum: int, frame: object) -> None:
        process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGTERM)
        return process.wait()


def main(argv: Sequence[str]) -> None:
    """The dashboard's process: logging with passwords masked, then Streamlit's command line."""
    from streamlit.web.cli import main as streamlit  # noqa: PLC0415 (not in `serve`'s process)

    try:
        configure_logging(load_settings(), os.environ)
    except SettingsError:  # the pages say which setting is bad; mask by the look of it
        install()
    streamlit(args=list(argv), prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])

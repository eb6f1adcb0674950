"""Run the dashboard: `streamlit run dashboard/app.py` with dxspots' settings.

Streamlit runs the app in its own process; the parent hands it the database DSN it resolved
(a local server's is known only here) as `DXSPOTS_READ_DATABASE_URL`, and the flags that make
it a server: headless, no usage statistics, and no error details in the page (failures go to
the log; the pages show their own messages).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from dxspots.settings import Settings

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_command(settings: Settings) -> list[str]:
    """The command line that serves the dashboard."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
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

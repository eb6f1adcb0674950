"""`dxspots collect` with its metrics port taken: a message naming the setting, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.e2e.test_collect import collector_env, one_node, start_collect


def test_a_busy_metrics_port_names_the_setting_and_the_port(db_dsn: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = collector_env(db_dsn, tmp_path, one_node(7300), DXSPOTS_METRICS_PORT=str(port))
        collector = start_collect(env)
        try:
            _, err = collector.communicate(timeout=60)
        finally:
            collector.kill()
    assert collector.returncode != 0
    assert (
        f"DXSPOTS_METRICS_PORT: /healthz and /metrics cannot be served on 127.0.0.1:{port}" in err
    )
    assert "Traceback" not in err and "unexpected error" not in err

"""`dxspots up --simulate` start and stop times: what `make run` costs a user.

Each run takes a new data directory and starts `dxspots up --simulate` twice:

- cold: no database yet (initdb of the embedded PostgreSQL, the migrations, then the
  simulated node, collector, API and dashboard);
- warm: the same data directory again (the cluster exists, nothing to migrate).

Timed from the command's start to the API's /readyz answering, the dashboard's health
answering, and the first spot received after the start (the API's answer cache off); then
Ctrl-C (SIGINT to the process group, as a terminal sends it) to the command's exit.
Baseline in the same run: `dxspots db status` on the warm data directory (start the local
server, read, stop), the floor of any command that uses the local database. Median of `--runs`.

Usage: python bench/up.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import free_port

REPO = Path(__file__).resolve().parents[1]
DXSPOTS = [sys.executable, "-m", "dxspots.cli"]


def answers(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bytes(reply.read())
    except OSError:
        return None


def stored_since(api: int, started: datetime) -> bool:
    """Whether the newest stored spot was received after `started` (a warm run's database
    already holds spots)."""
    reply = answers(f"http://127.0.0.1:{api}/v1/spots?limit=1")
    items = json.loads(reply)["items"] if reply else []
    return bool(items) and datetime.fromisoformat(items[0]["received_at"]) >= started


def env_for(data_dir: Path, api: int, dashboard: int) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    return base | {
        "DXSPOTS_DATA_DIR": str(data_dir),
        "DXSPOTS_API_PORT": str(api),
        "DXSPOTS_DASHBOARD_PORT": str(dashboard),
        "DXSPOTS_METRICS_PORT": "0",
        "DXSPOTS_API_CACHE_SECONDS": "0",  # the first spot when it is stored, not 5 s later
    }


def one_up(data_dir: Path) -> dict[str, float]:
    """Start `up`, time what answers when, stop it; seconds since the start."""
    api, dashboard = free_port(), free_port()
    started = datetime.now(UTC)
    start = time.perf_counter()
    process = subprocess.Popen(
        [*DXSPOTS, "up", "--simulate"], env=env_for(data_dir, api, dashboard), cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    times: dict[str, float] = {}
    checks = {
        "api": lambda: answers(f"http://127.0.0.1:{api}/readyz") is not None,
        "dashboard": lambda: answers(f"http://127.0.0.1:{dashboard}/_stcore/health") is not None,
        "first spot": lambda: stored_since(api, started),
    }
    try:
        deadline = start + 120
        while len(times) < len(checks):
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"dxspots up did not come up (exit {process.returncode})")
            for name, check in checks.items():
                if name not in times and check():
                    times[name] = time.perf_counter() - start
            time.sleep(0.05)
    finally:
        stopping = time.perf_counter()
        os.killpg(process.pid, signal.SIGINT)
        process.wait(60)
        times["stop"] = time.perf_counter() - stopping
    return times


def db_status(data_dir: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [*DXSPOTS, "db", "status"], env=env_for(data_dir, 0, 1), cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cold, warm, floor = [], [], []
    for _ in range(args.runs):
        data_dir = Path(tempfile.mkdtemp(prefix="dxspots-bench-up-"))
        data_dir.chmod(0o755)  # as root, the local server runs as 'postgres'
        try:
            cold.append(one_up(data_dir))
            warm.append(one_up(data_dir))
            floor.append(db_status(data_dir))
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    base = statistics.median(floor)
    print(f"dxspots up --simulate, median of {args.runs} runs (seconds from the start)")
    print(f"baseline: dxspots db status on the warm data directory {base:.2f} s")
    for label, runs in (("cold (new database)", cold), ("warm (same data dir)", warm)):
        print(label)
        for name in ("api", "dashboard", "first spot", "stop"):
            values = [run[name] for run in runs]
            median = statistics.median(values)
            print(
                f"  {name:<11} {median:6.2f} s  (range {min(values):.2f}-{max(values):.2f}, "
                f"{median / base:4.1f} x baseline)"
            )


if __name__ == "__main__":
    main()

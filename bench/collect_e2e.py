"""End to end: simulated nodes -> `dxspots collect` (a process) -> PostgreSQL.

Measures, median of several runs where it says so:
- throughput: simulated nodes sending as fast as they can for a fixed time; spots committed
  per second (rows in `spots` over the window);
- latency at a fixed rate (default 1,000 spots/s over all nodes): from the simulator writing a
  line to the row being committed (`spots.received_at` is stamped by the collector when the
  line arrives; the commit time is observed by polling the table every 20 ms), p50 and p99;
- RSS of the collector process with 5 nodes connected.
Baseline for throughput, same run: the writer alone (bench/ingest.py's SpotWriter path) is
measured there; this script prints spots/s and the ratio to the lines the nodes sent.

Usage: python bench/collect_e2e.py [--seconds 10] [--runs 3] [--nodes 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import free_port
from collector.simulator import SimulatedNode
from dxspots.db.localserver import LocalServer
from dxspots.db.migrate import migrate

REPO = Path(__file__).resolve().parents[1]


class Nodes:
    """Simulated nodes on an event loop in a thread."""

    def __init__(self, count: int, rate: float) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.nodes = [SimulatedNode(rate=rate, seed=100 + i) for i in range(count)]
        self.ports = [self._call(n.start()) for n in self.nodes]

    def _call(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        for node in self.nodes:
            self._call(node.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


def start_collector(
    dsn: str, ports: list[int], data_dir: Path, metrics_port: int = 0
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")} | {
        "DXSPOTS_DATABASE_URL": dsn,
        "DXSPOTS_CALLSIGN": "DL1ABC",
        "DXSPOTS_DATA_DIR": str(data_dir),
        "DXSPOTS_METRICS_PORT": str(metrics_port),
        "DXSPOTS_LOG_LEVEL": "WARNING",
        "DXSPOTS_NODES": json.dumps(
            [
                {"name": f"n{i}", "host": "127.0.0.1", "port": p, "backfill": 0}
                for i, p in enumerate(ports)
            ]
        ),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "dxspots.cli", "collect"], env=env, cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM spots").fetchone()
        return int(row[0]) if row else 0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fresh(admin: str, name: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    dsn = admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(dsn) as conn:
        migrate(conn)
    return dsn


def processed(port: int) -> float:
    """Spots the collector has written so far, new and duplicate (its /metrics)."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("dxspots_spots_total{")
    )


def throughput(
    admin: str, nodes: int, seconds: float, data_dir: Path
) -> tuple[float, float, float, float]:
    """(spots written/s, new and duplicate; new rows/s; lines sent/s; collector RSS MB)."""
    dsn = fresh(admin, "bench_e2e")
    sim = Nodes(nodes, rate=0)
    port = free_port()
    collector = start_collector(dsn, sim.ports, data_dir, port)
    try:
        time.sleep(3)  # log in and reach a steady state
        sent0, stored0, done0 = sum(len(n.sent) for n in sim.nodes), count(dsn), processed(port)
        t0 = time.monotonic()
        time.sleep(seconds)
        sent1, stored1, done1 = sum(len(n.sent) for n in sim.nodes), count(dsn), processed(port)
        t1 = time.monotonic()
        rss = rss_mb(collector.pid)
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.communicate(timeout=60)
        sim.stop()
    span = t1 - t0
    return (done1 - done0) / span, (stored1 - stored0) / span, (sent1 - sent0) / span, rss


def latency(admin: str, nodes: int, rate: float, seconds: float, data_dir: Path) -> list[float]:
    """Seconds from a line's arrival at the collector to its row being visible, per spot."""
    dsn = fresh(admin, "bench_e2e")
    sim = Nodes(nodes, rate=rate / nodes)
    collector = start_collector(dsn, sim.ports, data_dir)
    seen: dict[tuple[object, ...], float] = {}
    try:
        time.sleep(3)
        # Only spots that arrive after polling starts: older rows were committed before the
        # poller could see them, and would show their age, not their latency.
        polling_since = datetime.now(UTC)
        end = time.monotonic() + seconds
        with psycopg.connect(dsn, autocommit=True) as conn:
            while time.monotonic() < end:
                now = datetime.now(UTC)
                for row in conn.execute(
                    "SELECT dx_call, spotter, spot_time, freq_bucket, received_at FROM spots"
                    " WHERE received_at > now() - interval '5 seconds'"
                ):
                    key = row[:4]
                    if key not in seen and row[4] >= polling_since:
                        seen[key] = (now - row[4]).total_seconds()
                time.sleep(0.02)
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.communicate(timeout=60)
        sim.stop()
    return sorted(seen.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=5)
    parser.add_argument("--rate", type=float, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dxspots-bench-e2e-"))
    root.chmod(0o755)
    server = LocalServer(root / "pg")
    server.start()
    admin = server.dsn.rsplit("/", 1)[0] + "/postgres"
    try:
        results = []
        for run in range(args.runs):
            spots, rows, lines, rss = throughput(admin, args.nodes, args.seconds, root / f"d{run}")
            results.append((spots, rows, lines, rss))
            print(f"run {run + 1}: {spots:,.0f} spots/s written ({rows:,.0f} new rows/s), "
                  f"{lines:,.0f} lines/s sent, RSS {rss:.0f} MB")  # fmt: skip
        waits = latency(admin, args.nodes, args.rate, args.seconds, root / "lat")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    spots = statistics.median(r[0] for r in results)
    rows = statistics.median(r[1] for r in results)
    lines = statistics.median(r[2] for r in results)
    rss = statistics.median(r[3] for r in results)
    print(
        f"\n{args.nodes} simulated nodes flat out, {args.seconds:g} s windows, {args.runs} runs "
        f"(median): {spots:,.0f} spots/s written, new and duplicate ({rows:,.0f} new rows/s; "
        f"lines sent {lines:,.0f}/s); collector RSS {rss:.0f} MB"
    )
    p50 = waits[len(waits) // 2] * 1000
    p99 = waits[int(len(waits) * 0.99)] * 1000
    print(
        f"latency at {args.rate:,.0f} spots/s over {args.nodes} nodes, {len(waits):,} spots: "
        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (arrival at the collector -> row visible)"
    )


if __name__ == "__main__":
    main()

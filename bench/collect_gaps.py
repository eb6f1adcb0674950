"""Spots lost across a dropped session and across `kill -9`, and how soon a node that comes
back is logged into again: `dxspots collect` (a process) against a simulated node.

For each rate (spots a second from the node), median of `--runs`:
- drop: the node drops the session and goes on publishing at its rate while nobody is
  connected; the collector reconnects (after its 2-4 s retry wait) and back-fills;
- kill -9: the collector is killed mid-stream (its queue is lost) and started again a second
  later; the node goes on publishing meanwhile;
then every spot the node made (sent live, or published while away) is looked for in
`spots`. The baseline, measured in the same run, is the same scenario with back-fill off
(`backfill: 0`): the ratio is lost with back-fill over lost without. Where the node's history
(`sh/dx`, at most 500 rows here, as on DXSpider) cannot reach back, the collector records a
gap; its estimate is printed beside the true loss.
- back: the node stops for `--outage` seconds and starts again on the same port; the time
  from its return to the collector's login.

Usage: python bench/collect_gaps.py [--rates 50,500,2000] [--runs 3] [--outage 33]
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import free_port
from collector.simulator import SimulatedNode
from dxspots.db.localserver import LocalServer
from dxspots.db.migrate import migrate
from dxspots.parse import parse_line
from dxspots.spot import Spot

REPO = Path(__file__).resolve().parents[1]
Key = tuple[str, str, int, str]


class Loop:
    """An event loop in a thread, for the simulated node."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def soon(self, function: Callable[[], object]) -> None:
        self.loop.call_soon_threadsafe(function)


def wait(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)


def keys(lines: list[str]) -> set[Key]:
    now = datetime.now(UTC)
    return {
        (s.dx_call, s.spotter, round(s.freq_khz * 10) // 10, f"{s.spot_time:%H%M}")
        for line in lines if isinstance(s := parse_line(line, now), Spot)
    }  # fmt: skip


def stored(dsn: str) -> set[Key]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT dx_call, spotter, (round(freq_khz * 10)::bigint / 10)::int,"
            " to_char(spot_time AT TIME ZONE 'UTC', 'HH24MI') FROM spots"
        ).fetchall()
    return {tuple(row) for row in rows}  # type: ignore[misc]


def gaps_estimate(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT coalesce(sum(missed), 0) FROM collector_gaps").fetchone()
    return int(row[0]) if row else 0


class Bench:
    def __init__(self, server: LocalServer, loop: Loop, workdir: Path) -> None:
        self.server, self.loop, self.workdir = server, loop, workdir
        self.count = 0

    def fresh_db(self) -> str:
        self.count += 1
        name = f"gaps_{self.count}"
        with psycopg.connect(self.server.dsn, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        info = psycopg.conninfo.conninfo_to_dict(self.server.dsn) | {"dbname": name}
        dsn = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
        with psycopg.connect(dsn) as conn:
            migrate(conn)
        return dsn

    def collect(self, dsn: str, port: int, backfill: int) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
        env |= {
            "DXSPOTS_DATABASE_URL": dsn, "DXSPOTS_CALLSIGN": "DL1ABC",
            "DXSPOTS_DATA_DIR": str(self.workdir / f"data{self.count}"),
            "DXSPOTS_METRICS_PORT": str(free_port()),
            "DXSPOTS_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            "DXSPOTS_NODES": json.dumps(
                [{"name": "sim", "host": "127.0.0.1", "port": port, "backfill": backfill}]
            ),
        }  # fmt: skip
        return subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "collect"], env=env, cwd=REPO,
            stdout=subprocess.DEVNULL, stderr=(self.workdir / f"collect{self.count}.log").open("w"),
            text=True,
        )  # fmt: skip

    def scenario(self, kind: str, rate: float, backfill: int) -> tuple[int, int, int]:
        """(spots made, spots lost, gap estimate) for one run."""
        dsn = self.fresh_db()
        node = SimulatedNode(rate=rate, seed=self.count)
        port = self.loop.call(node.start())
        collector = self.collect(dsn, port, backfill)
        second = None
        try:
            wait(lambda: len(node.sent) >= rate * 2)  # two seconds of live spots
            if kind == "drop":
                self.loop.soon(node.disconnect_all)
            else:
                collector.send_signal(signal.SIGKILL)
                collector.wait(10)
            # While nobody is connected the node goes on publishing at its rate (others'
            # spots reach its history), until the collector is logged in again.
            away: list[str] = []
            gone = time.monotonic()
            while len(node.logins) < 2:
                away += self.loop.call(_away(node, max(1, round(rate * 0.05))))
                time.sleep(0.05)
                if second is None and kind != "drop" and time.monotonic() - gone > 1:
                    second = self.collect(dsn, port, backfill)  # restarted a second later
            time.sleep(3)  # back-fill, and a little live stream after it
            node.paused = True
            time.sleep(1.5)  # the queue written
            made = keys([line for line in node.sent if line.startswith("DX de ")] + away)
            lost = len(made - stored(dsn))
        finally:
            for process in (collector, second):
                if process is not None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(30)
                    except subprocess.TimeoutExpired:
                        process.kill()
            self.loop.call(node.stop())
        return len(made), lost, gaps_estimate(dsn)  # gaps are written as the collector stops

    def back(self, outage: float) -> float:
        """Seconds from the node's return to the collector's login."""
        dsn = self.fresh_db()
        node = SimulatedNode(rate=20, seed=self.count)
        port = self.loop.call(node.start())
        collector = self.collect(dsn, port, 0)
        try:
            wait(lambda: bool(node.logins))
            time.sleep(1)
            self.loop.call(node.stop())
            time.sleep(outage)
            node = SimulatedNode(rate=20, seed=self.count, port=port)
            self.loop.call(node.start())
            returned = time.monotonic()
            wait(lambda: bool(node.logins), seconds=outage + 400)
            return time.monotonic() - returned
        finally:
            collector.send_signal(signal.SIGTERM)
            collector.wait(30)
            self.loop.call(node.stop())


async def _away(node: SimulatedNode, count: int) -> list[str]:
    return node.spots_while_away(count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="50,500,2000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--outage", type=float, default=33.0)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="dxspots-bench-gaps-"))
    workdir.chmod(0o755)
    server = LocalServer(workdir / "pg", options={"fsync": "off"})
    server.start()
    loop = Loop()
    bench = Bench(server, loop, workdir)
    try:
        print(f"{'scenario':<10}{'rate/s':>8}{'made':>8}{'lost':>7}{'lost, no back-fill':>20}"
              f"{'ratio':>8}{'gap estimate':>14}")  # fmt: skip
        for rate in (float(r) for r in args.rates.split(",")):
            for kind in ("drop", "kill -9"):
                runs = [bench.scenario(kind, rate, 100) for _ in range(args.runs)]
                base = [bench.scenario(kind, rate, 0) for _ in range(args.runs)]
                made = statistics.median(r[0] for r in runs)
                lost = statistics.median(r[1] for r in runs)
                lost_base = statistics.median(r[1] for r in base)
                estimate = statistics.median(r[2] for r in runs)
                ratio = f"{lost / lost_base:.2f}" if lost_base else "-"
                print(f"{kind:<10}{rate:>8.0f}{made:>8.0f}{lost:>7.0f}{lost_base:>20.0f}"
                      f"{ratio:>8}{estimate:>14.0f}", flush=True)  # fmt: skip
        backs = [bench.back(args.outage) for _ in range(args.runs)]
        print(
            f"\nnode back after a {args.outage:g} s outage -> logged in after: median "
            f"{statistics.median(backs):.1f} s (runs: {', '.join(f'{b:.1f}' for b in backs)})"
        )
    finally:
        loop.soon(loop.loop.stop)
        server.stop()
        if not os.environ.get("KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

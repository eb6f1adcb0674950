"""Requests per second and latency of the API on a 1M-spot table, and the server choice.

Starts its own PostgreSQL (local server, default durability), fills it with `--rows` spots
over the 7 days before now (bench/fill.py), then runs `dxspots api` processes on 127.0.0.1
and loads them with bench/loadgen.py (keep-alive connections, one request at a time each)
from this process, so the load generator shares the machine's 2 cores with the server.
Median of `--runs` runs of `--seconds` each; p99 is the median run's.

Scenarios:
- baseline: /healthz (no database, no catalogue), the most the server stack gives;
- live view, cached: /v1/band_activity?minutes=60 and /v1/spots?limit=50, as a dashboard
  polls them (the answer cache, DXSPOTS_API_CACHE_SECONDS=5, serves repeats);
- uncached (DXSPOTS_API_CACHE_SECONDS=0): every request runs its query;
- the same cached live view under granian instead of uvicorn, when granian is installed
  (the dev extra has it), for the server choice.

Usage: python bench/api.py [--rows 1000000] [--runs 3] [--seconds 8] [--connections 32]
       python bench/api.py --dsn DSN ...   (on a database bench/history.py filled)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fill import fill
from bench.loadgen import LoadResult, free_port, run_load
from dxspots.db.localserver import LocalServer

REPO = Path(__file__).resolve().parents[1]
LIVE = ["/v1/band_activity?minutes=60", "/v1/spots?limit=50"]


@contextmanager
def server(dsn: str, *, cache: float, workers: int = 1, granian: bool = False) -> Iterator[int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")} | {
        "DXSPOTS_READ_DATABASE_URL": dsn,
        "DXSPOTS_API_PORT": str(port),
        "DXSPOTS_API_CACHE_SECONDS": str(cache),
        "DXSPOTS_API_WORKERS": str(workers),
        "DXSPOTS_API_POOL_SIZE": "8",
        "DXSPOTS_LOG_LEVEL": "WARNING",
    }
    if granian:
        env["_DXSPOTS_API_WORKER_DSN"] = dsn
        command = [
            str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
            "--port", str(port), "--workers", str(workers), "--loop", "uvloop",
            "--log-level", "warning", "api.server:worker_app",
        ]  # fmt: skip
    else:
        command = [sys.executable, "-m", "dxspots.cli", "api"]
    process = subprocess.Popen(command, env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the API did not start") from None
                time.sleep(0.2)
        for path in LIVE:  # warm: pool connections, prepared plans, caches
            run_load(port, [path], 4, 1.0)
        yield port
    finally:
        process.terminate()
        process.wait(20)


def measure(
    port: int, paths: list[str], args: argparse.Namespace
) -> tuple[LoadResult, list[float]]:
    runs = [run_load(port, paths, args.connections, args.seconds) for _ in range(args.runs)]
    runs.sort(key=lambda r: r.rps)
    median = runs[len(runs) // 2]
    assert all(r.errors == 0 for r in runs), [r.errors for r in runs]
    return median, [r.rps for r in runs]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--dsn", help="load the API on this database as it is (filled by bench/history.py)"
    )
    args = parser.parse_args()
    if args.dsn:
        run_plans(args.dsn, args)
        return
    root = Path(tempfile.mkdtemp(prefix="dxspots-bench-api-"))
    root.chmod(0o755)
    db = LocalServer(root, options={"shared_buffers": "1GB", "max_wal_size": "4GB"})
    db.start()
    try:
        started = time.perf_counter()
        rows = fill(db.dsn, args.rows, days=7)
        print(f"filled {rows:,} spots over 7 days in {time.perf_counter() - started:.0f} s\n")
        run_plans(db.dsn, args)
    finally:
        db.stop()
        shutil.rmtree(root, ignore_errors=True)


def run_plans(dsn: str, args: argparse.Namespace) -> None:
    results: list[tuple[str, LoadResult, list[float]]] = []
    plans = [
        ("uvicorn, 1 worker, cached", {"cache": 5.0}),
        ("uvicorn, 2 workers, cached", {"cache": 5.0, "workers": 2}),
        ("uvicorn, 1 worker, uncached", {"cache": 0.0}),
        ("uvicorn, 2 workers, uncached", {"cache": 0.0, "workers": 2}),
    ]
    if shutil.which("granian", path=str(Path(sys.executable).parent)):
        plans.append(("granian, 1 worker, cached", {"cache": 5.0, "granian": True}))
    for label, options in plans:
        with server(dsn, **options) as port:  # type: ignore[arg-type]
            if label.startswith("uvicorn, 1 worker, cached"):
                results.append((f"{label}: /healthz", *measure(port, ["/healthz"], args)))
            for path in LIVE:
                results.append((f"{label}: {path}", *measure(port, [path], args)))
        print(f"done: {label}", flush=True)
    base = results[0][1].rps
    print(f"\n{args.connections} connections, {args.seconds:.0f} s per run, "
          f"median of {args.runs}\n")  # fmt: skip
    print(f"{'scenario':<66} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'x base':>7}  runs")
    for label, result, rps in results:
        spread = "..".join(f"{v:,.0f}" for v in (min(rps), max(rps)))
        print(
            f"{label:<66} {result.rps:>8,.0f} {result.p50_ms:>7.2f} {result.p99_ms:>7.2f}"
            f" {result.rps / base:>7.2f}  {spread}"
        )


if __name__ == "__main__":
    main()

"""The API's memory with stalled live-stream clients, and after they go (issue 11, finding 2).

Starts its own PostgreSQL (or takes `--dsn`), fills it with `--rows` recent spots
(bench/fill.py) so that a client sending `Last-Event-ID: 0` is owed a catch-up of 10,000
events, then per run starts a new `dxspots api` process (tests/e2e/apiprocess.py: it takes
settings; bench/api.py's `server` does not) with the database DSN as its read DSN, as
bench/api.py does (the pool takes the `dxspots_reader` role), and
`DXSPOTS_API_SEND_TIMEOUT=--send-timeout`. After a warm-up (a query, the metrics, one stream
client that reads 100 events and leaves) it measures the process's RSS (with its children,
when there are workers): that is the baseline, in the same run. Then `--clients` stalled
clients connect: each a socket with a 4 KiB receive buffer that asks for `/v1/stream` with
`Last-Event-ID: 0` and never reads. RSS is sampled every 0.5 s while they are held; then
the sockets are closed, and `--settle` seconds later RSS is measured again. Two scenarios:

- dropped: the clients are held until the API counts no stream client (at most `--hold`
  s). The send timeout runs from the first send that does not complete, which comes only
  once the kernel's send buffer and the transport's are full; the kernel may end the
  connections first (the "gone" column);
- leave: the clients close their sockets half-way to the send timeout ("they leave"), while
  their catch-ups are still going.

Admitted, refused (503), timed-out and gone clients come from the API's /metrics. Also
shown: the most the kernel's TCP buffers grew meanwhile (machine-wide, /proc/net/sockstat):
what the kernel holds of the unread answers is in no process's RSS. Each run is a new API
process; the median of `--runs` is reported per scenario, against the issue's targets (peak
under 300 MB, after within 20 % of the start). Figures only: nothing is asserted.
Environment variables other than DXSPOTS_* reach the API process (MALLOC_ARENA_MAX, ...).

Usage: python bench/stream_stall.py [--dsn DSN] [--rows 20000] [--clients 200] [--runs 3]
    [--send-timeout 10] [--hold 120] [--settle 5] [--workers 1] [--scenario both] [--trace]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fill import fill
from dxspots.db.localserver import LocalServer
from tests.e2e.apiprocess import ApiProcess, api_process

MB = 1_000_000
PEAK_TARGET_MB = 300
AFTER_TARGET = 1.20
"""After they go, RSS within 20 % of the start."""
SAMPLE_S = 0.5
STREAM_REQUEST = (
    b"GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
    b"Last-Event-ID: 0\r\n\r\n"
)
SCENARIOS = {
    "dropped": "held until the API counts none (its send timeout drops them, or the kernel)",
    "leave": "they close their sockets half-way to the send timeout",
}
LEGEND = """\
admitted/refused: 200/503 answers; at once: most streams open together; timed out: dropped
by the send timeout; gone: stopped because the connection closed (by the client, or reset by
the kernel); errors: streams ended by an error event; open after: streams still counted at
the end; tracebacks: in the API's log; held s: how long the clients were held; slowest ms:
slowest /metrics answer meanwhile; kernel MB: growth of the kernel's TCP buffers"""


@dataclass
class Run:
    start: int = 0
    peak: int = 0
    after: int = 0
    admitted: int = 0
    refused: int = 0
    most_at_once: int = 0
    timed_out: int = 0
    """Dropped by the API's send timeout (`dxspots_api_clients_dropped_total`)."""
    gone: int = 0
    """Streams stopped because the connection closed: the client, or the kernel, ended it."""
    stream_errors: int = 0
    clients_after: int = 0
    tracebacks: int = 0
    kernel: int = 0
    """The most the kernel's TCP buffers grew while they were held (machine-wide)."""
    held: float = 0.0
    """Seconds the clients were held (dropped: until the API counted no stream client)."""
    slowest: float = 0.0
    """The slowest /metrics answer while they were held, in seconds."""
    samples: list[tuple[float, int, int]] = field(default_factory=list)
    """(seconds since the clients connected, RSS, stream clients)"""


def tree_rss(pid: int) -> int:
    """RSS of the process and its children (uvicorn's workers), in bytes."""
    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        with suppress(psutil.NoSuchProcess):  # a worker that just exited
            total += process.memory_info().rss
    return total


def tcp_buffers() -> int:
    """Bytes the kernel holds in TCP socket buffers, machine-wide (Linux; 0 elsewhere).

    Not in any process's RSS: what the kernel took of the answers the clients do not read.
    """
    try:
        text = Path("/proc/net/sockstat").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("TCP:"):
            fields = line.split()
            return int(fields[fields.index("mem") + 1]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def figures(port: int) -> dict[str, float]:
    """The API's stream figures from /metrics (one worker's, when there are several)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "dxspots_api_requests_total" and labels["route"] == "/v1/stream":
                key = f"stream {labels['status']}"
            elif sample.name == "dxspots_api_clients_dropped_total":
                key = f"dropped {labels['reason']}"
            elif sample.name in ("dxspots_api_stream_clients", "dxspots_api_stream_errors"):
                key = sample.name.removeprefix("dxspots_api_")
            else:
                continue
            found[key] = found.get(key, 0.0) + sample.value
    return found


def stalled_client(port: int) -> socket.socket:
    """A client that asks for the whole catch-up and never reads a byte of it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
    sock.connect(("127.0.0.1", port))
    sock.sendall(STREAM_REQUEST)
    return sock


def read_events(port: int, count: int) -> None:
    """Be a client that reads: take `count` spot events of the catch-up, then leave."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(STREAM_REQUEST)
        seen = b""
        while seen.count(b"event: spot") < count:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError(f"the stream ended early: {seen[:300]!r}")
            seen += chunk


def warm_up(api: ApiProcess) -> None:
    deadline = time.monotonic() + 30
    while api.get("/readyz").status != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the API is not ready:\n{api.log_text()}")
        time.sleep(0.2)
    for path in ("/v1/spots?limit=50", "/metrics"):
        if api.get(path).status != 200:
            raise RuntimeError(f"warm-up {path} failed:\n{api.log_text()}")
    read_events(api.port, 100)


@contextmanager
def database(dsn: str | None, rows: int) -> Iterator[str]:
    """`dsn`, or a local server of our own for the run; filled with `rows` recent spots."""
    with ExitStack() as stack:
        if dsn is None:
            root = Path(tempfile.mkdtemp(prefix="dxspots-bench-stall-"))
            root.chmod(0o755)  # as root, the local server runs as 'postgres'
            stack.callback(shutil.rmtree, root, ignore_errors=True)
            db = LocalServer(root)
            db.start()
            stack.callback(db.stop)
            dsn = db.dsn
        started = time.perf_counter()
        new = fill(dsn, rows, days=1)
        print(f"filled {new:,} spots over the last day in {time.perf_counter() - started:.0f} s")
        yield dsn


def one_run(dsn: str, scenario: str, args: argparse.Namespace) -> Run:
    run = Run()
    # dropped: until the API has dropped them all (a client's send blocks only once the
    # kernel's buffers are full, then the timeout runs), at most `hold`; leave: before that.
    hold = args.send_timeout / 2 if scenario == "leave" else args.hold
    with api_process(
        dsn, api_send_timeout=str(args.send_timeout), api_workers=str(args.workers),
        log_level="WARNING",
    ) as api:  # fmt: skip
        warm_up(api)
        time.sleep(2)
        run.start = tree_rss(api.process.pid)
        kernel_start = tcp_buffers()
        before = figures(api.port)
        clients: list[socket.socket] = []
        try:
            began = time.monotonic()
            clients = [stalled_client(api.port) for _ in range(args.clients)]
            while (elapsed := time.monotonic() - began) < hold:
                rss = tree_rss(api.process.pid)
                asked = time.monotonic()
                now = figures(api.port)
                run.slowest = max(run.slowest, time.monotonic() - asked)
                at_once = int(now.get("stream_clients", 0))
                run.samples.append((elapsed, rss, at_once))
                run.peak = max(run.peak, rss)
                run.kernel = max(run.kernel, tcp_buffers() - kernel_start)
                run.most_at_once = max(run.most_at_once, at_once)
                if scenario == "dropped" and run.most_at_once and not at_once:
                    break
                time.sleep(max(0.0, SAMPLE_S - (time.monotonic() - began - elapsed)))
            run.held = time.monotonic() - began
        finally:
            for sock in clients:
                sock.close()
        time.sleep(args.settle)
        run.after = tree_rss(api.process.pid)
        run.peak = max(run.peak, run.after)
        end = figures(api.port)

        def grew(key: str) -> int:
            return int(end.get(key, 0) - before.get(key, 0))

        run.admitted = grew("stream 200")
        run.refused = grew("stream 503")
        run.timed_out = grew("dropped stopped reading")
        run.gone = grew("dropped left")
        run.stream_errors = grew("stream_errors")
        run.clients_after = int(end.get("stream_clients", 0))
        text = api.log_text()
        run.tracebacks = text.count("Traceback") + text.count("Exception in ASGI")
    shutil.rmtree(api.log.parent, ignore_errors=True)  # its data directory: only the log
    return run


def report(scenario: str, runs: list[Run], args: argparse.Namespace) -> None:
    print(f"\n{scenario}: {args.clients} stalled clients, {SCENARIOS[scenario]}")
    print(
        f"  {'run':<6} {'start MB':>8} {'peak MB':>8} {'after MB':>8} {'peak/start':>10} "
        f"{'after/start':>11} {'admitted':>8} {'refused':>7} {'at once':>7} "
        f"{'timed out':>9} {'gone':>5} {'errors':>6} {'open after':>10} {'tracebacks':>10} "
        f"{'held s':>6} {'slowest ms':>10} {'kernel MB':>9}"
    )
    for number, run in enumerate(runs, 1):
        print(
            f"  {number:<6} {run.start / MB:>8.0f} {run.peak / MB:>8.0f} {run.after / MB:>8.0f} "
            f"{run.peak / run.start:>10.2f} {run.after / run.start:>11.2f} {run.admitted:>8} "
            f"{run.refused:>7} {run.most_at_once:>7} {run.timed_out:>9} {run.gone:>5} "
            f"{run.stream_errors:>6} {run.clients_after:>10} {run.tracebacks:>10} "
            f"{run.held:>6.1f} {run.slowest * 1000:>10.0f} {run.kernel / MB:>9.0f}"
        )
        if args.trace:
            trace = " ".join(f"{t:.1f}s:{rss / MB:.0f}MB/{n}" for t, rss, n in run.samples)
            print(f"         {trace}")
    start = statistics.median(run.start for run in runs)
    peak = statistics.median(run.peak for run in runs)
    after = statistics.median(run.after for run in runs)
    peak_ratio = statistics.median(run.peak / run.start for run in runs)
    after_ratio = statistics.median(run.after / run.start for run in runs)
    print(
        f"  median {start / MB:>8.0f} {peak / MB:>8.0f} {after / MB:>8.0f} {peak_ratio:>10.2f} "
        f"{after_ratio:>11.2f}"
    )
    peak_ok = peak < PEAK_TARGET_MB * MB
    after_ok = after_ratio <= AFTER_TARGET
    verdict = "PASS" if peak_ok and after_ok else "FAIL"
    print(
        f"  {verdict}: peak {peak / MB:.0f} MB {'<' if peak_ok else '>='} {PEAK_TARGET_MB} MB; "
        f"after {after_ratio:.2f} x start {'<=' if after_ok else '>'} {AFTER_TARGET:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a PostgreSQL to fill and read (default: start one)")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--send-timeout", type=float, default=10.0)
    parser.add_argument(
        "--hold", type=float, default=120.0, help="at most this long for the API to drop them"
    )
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scenario", choices=[*SCENARIOS, "both"], default="both")
    parser.add_argument("--trace", action="store_true", help="print every RSS sample")
    args = parser.parse_args()
    load = os.getloadavg()
    with database(args.dsn, args.rows) as dsn:
        results = {
            scenario: [one_run(dsn, scenario, args) for _ in range(args.runs)]
            for scenario in SCENARIOS
            if args.scenario in (scenario, "both")
        }
    print(
        f"\nRSS of the API process{' and its workers' if args.workers > 1 else ''}; "
        f"baseline: its start in the same run (after a warm-up), ratios against it. "
        f"Send timeout {args.send_timeout:g} s, median of {args.runs} runs, a new API each."
    )
    if args.workers > 1:
        print("the /metrics figures are one worker's (each worker has its own)")
    print(
        f"load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f} "
        f"({os.cpu_count()} cores)"
    )
    print(LEGEND)
    for scenario, runs in results.items():
        report(scenario, runs, args)


if __name__ == "__main__":
    main()

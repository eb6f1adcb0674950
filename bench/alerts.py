"""Alerts: how long from a spot stored to its message handed to the channel, under load.

    python bench/alerts.py [--rate 1000] [--seconds 20] [--rules 500] [--match-every 50]
                           [--wait 180] [--spacing S]

Starts its own PostgreSQL (local server), a local webhook receiver and a local SMTP server
(aiosmtpd), all on 127.0.0.1, writes a rules file of `--rules` rules (all but two with
conditions no bench spot meets: call patterns, bands, entities, as a club's file would have),
and runs `dxspots alerts` as a process. Then spots are written through the collector's writer
(with its NOTIFY) at `--rate` spots a second for `--seconds`, in batches of a tenth of a
second; every `--match-every`-th spot has a DX call the two live rules match: one sends to
the webhook (`spothook://`), one by e-mail. Each spot's DX call is new, so no cool-down
holds an alert back.

Latency is the time from the write that stored the spot returning to the receiver getting
its message (the webhook's body names the spot; an e-mail, one alert or a digest of several,
names each call), median, p95,
p99 and the worst, per channel; the alerts process's CPU time says how close it ran to full.
Issue 16's target: p99 under 2 s at 1,000 spots/s with 500 rules.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import free_port
from dxspots.db.localserver import LocalServer
from dxspots.db.migrate import migrate
from dxspots.db.writer import SpotWriter
from dxspots.spot import Spot

REPO = Path(__file__).resolve().parents[1]
BANDS = ("160m", "80m", "40m", "30m", "20m", "17m", "15m", "12m", "10m", "6m")


def rules_text(count: int, hook: int, smtp: int, spacing: float | None = None) -> str:
    lines = ["[defaults]", "cooldown_minutes = 30", ""]
    if spacing is not None:
        lines.insert(2, f"spacing_seconds = {spacing}")
    for number in range(count - 2):  # a club's file: nothing of it matches the bench's spots
        lines += ["[[rule]]", f'name = "rule {number}"',
                  f'calls = ["ZZ{number}*", "Q{number}?*"]', f'bands = ["{BANDS[number % 10]}"]',
                  f'channels = ["spothook://127.0.0.1:{hook}/other"]', ""]  # fmt: skip
    lines += ["[[rule]]", 'name = "live hook"', 'calls = ["BEN*"]',
              f'channels = ["spothook://127.0.0.1:{hook}/hook"]', "",
              "[[rule]]", 'name = "live mail"', 'calls = ["BEN*"]',
              f'channels = ["mailto://127.0.0.1:{smtp}?from=dx@example.org&to=op@example.org"]',
              ]  # fmt: skip
    return "\n".join(lines) + "\n"


class Received:
    def __init__(self) -> None:
        self.hook: dict[str, float] = {}
        self.mail: dict[str, float] = {}
        self.mails = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """One e-mail: one alert, or a digest of several (each call in it counts)."""
        text = envelope.content.decode("utf-8", "replace")
        now = time.time()
        with self.lock:
            self.mails += 1
            for call in set(re.findall(r"\bBEN\d+\b", text)):
                self.mail.setdefault(call, now)
        return "250 OK"


def serve_hooks(received: Received) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/hook":
                call = json.loads(body)["spot"]["dx_call"]
                with received.lock:
                    received.hook.setdefault(call, time.time())
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def spot(number: int, call: str, now: datetime) -> Spot:
    return Spot(
        spot_time=now.replace(microsecond=0), freq_khz=14000.0 + (number % 5000) / 10,
        dx_call=call, spotter=f"DL{number % 500}AA", comment="", received_at=now,
        raw=f"DX de DL{number % 500}AA: {call}", source="dx", node="bench", mode="CW",
        band="20m", spotter_base=f"DL{number % 500}AA", spotter_continent="EU",
    )  # fmt: skip


def percentiles(values: list[float]) -> str:
    if not values:
        return "none received"
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    return (f"{len(values)} received: p50 {statistics.median(ordered):.3f} s, p95 {at(0.95):.3f} s,"
            f" p99 {at(0.99):.3f} s, worst {ordered[-1]:.3f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000, help="spots a second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rules", type=int, default=500)
    parser.add_argument("--match-every", type=int, default=50)
    parser.add_argument(
        "--wait",
        type=float,
        default=180,
        help="seconds to wait after the last write for every alert",
    )
    parser.add_argument(
        "--spacing", type=float, default=None,
        help="the rules' spacing_seconds (unset: apprise's own, 5.5 s for e-mail)",
    )  # fmt: skip
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dxspots-bench-alerts-"))
    root.chmod(0o755)
    server = LocalServer(root / "db", options={"shared_buffers": "512MB"})
    server.start()
    received = Received()
    hooks = serve_hooks(received)
    smtp_port = free_port()
    mail = Controller(received, hostname="127.0.0.1", port=smtp_port)
    mail.start()
    rules = root / "alerts.toml"
    rules.write_text(rules_text(args.rules, hooks.server_address[1], smtp_port, args.spacing))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    env |= {"DXSPOTS_DATABASE_URL": server.dsn, "DXSPOTS_ALERT_RULES": str(rules),
            "DXSPOTS_LOG_LEVEL": "WARNING"}  # fmt: skip
    process = None
    try:
        with psycopg.connect(server.dsn) as conn:
            migrate(conn)
        log = (root / "alerts.log").open("wb")
        process = subprocess.Popen([sys.executable, "-m", "dxspots.cli", "alerts"], env=env,
                                   cwd=REPO, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        time.sleep(4)  # the process reads its rules, checks the channels and starts listening
        stored: dict[str, float] = {}
        per_batch = max(1, args.rate // 10)
        batches = int(args.seconds * 10)
        started = time.perf_counter()
        number = 0
        with psycopg.connect(server.dsn) as conn:
            writer = SpotWriter(conn, notify=True)
            for batch_number in range(batches):
                due = started + batch_number / 10
                time.sleep(max(0.0, due - time.perf_counter()))
                now = datetime.now(UTC)
                batch, live = [], []
                for _ in range(per_batch):
                    live_one = number % args.match_every == 0
                    call = f"BEN{number}" if live_one else f"K{number}X"
                    batch.append(spot(number, call, now))
                    if live_one:
                        live.append(call)
                    number += 1
                writer.write(batch)
                done = time.time()
                stored.update({call: done for call in live})
        elapsed = time.perf_counter() - started
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline:  # until every alert is in, or the wait is up
            time.sleep(1)
            with received.lock:
                if len(received.hook) >= len(stored) and len(received.mail) >= len(stored):
                    break
        time.sleep(1)
        usage = subprocess.run(
            ["ps", "-o", "cputime=", "-p", str(process.pid)], capture_output=True, text=True,
            check=False,
        ).stdout.strip()  # fmt: skip
        print(
            f"{number:,} spots in {elapsed:.1f} s ({number / elapsed:,.0f} spots/s),"
            f" {len(stored)} matching the live rules, {args.rules} rules; the alerts process"
            f" used {usage} of CPU"
        )
        with received.lock:
            hook = [received.hook[c] - t for c, t in stored.items() if c in received.hook]
            mails = [received.mail[c] - t for c, t in stored.items() if c in received.mail]
        print(f"webhook (spothook://): {percentiles(hook)}")
        spacing = "5.5 s (apprise's)" if args.spacing is None else f"{args.spacing:g} s"
        print(
            f"e-mail (mailto://, spacing {spacing}; digests of up to 30): {percentiles(mails)},"
            f" in {received.mails} e-mails"
        )
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        mail.stop()
        hooks.shutdown()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

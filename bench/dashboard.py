"""Dashboard timings on a 1M-spot table: first full render of each page, and a live refresh.

Starts its own PostgreSQL (local server), fills it with `--rows` spots over the 7 days before
now (bench/fill.py), a WWV report every 3 hours and a message every 2 minutes, then:

- first render: runs `dxspots dashboard` and opens each page in headless Chromium (Debian's,
  driven by Playwright's client), timing from navigation to the page's title and every chart
  drawn. Each run waits out the dashboard's 5 s answer cache first, so every render runs its
  queries; median of `--runs`. The very first load after the server starts (Streamlit
  warming up) is printed apart.
- live refresh: the Live page's work, timed in-process with Streamlit's AppTest (queries,
  frames and elements; no browser), with the answer cache cleared before each run, as a
  refresh finds it. This is the whole page script, an upper bound on the fragment's rerun.
  Baseline in the same run: the Collector page (one small query).

Usage: python bench/dashboard.py [--rows 1000000] [--runs 5]
       python bench/dashboard.py --dsn DSN [--runs 5]   (on a database bench/history.py filled)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from bench.fill import fill
from bench.loadgen import free_port
from dxspots.db.localserver import LocalServer

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("DXSPOTS_TEST_CHROMIUM", "/usr/bin/chromium")
PAGES = [("", "Live band activity", 1), ("board", "DX board", 0), ("map", "Map", 1),
         ("propagation", "Propagation", 3), ("dx", "DX", 1), ("messages", "Messages", 0),
         ("collector", "Collector", 0), ("export", "Export", 0)]  # fmt: skip
TABLES = {"board", "messages"}
"""Pages drawn when their table is: they have no chart to wait for."""


def browser_renders(dsn: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    env |= {"DXSPOTS_READ_DATABASE_URL": dsn, "DXSPOTS_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dxspots.cli", "dashboard", "--port", str(port)],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    times: dict[str, list[float]] = {}
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for run in range(runs + 1):
                for path, title, charts in PAGES:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    started = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/{path}")
                    page.get_by_role("heading", name=title).wait_for(timeout=60_000)
                    page.wait_for_function(
                        'document.querySelectorAll(\'[data-testid="stVegaLiteChart"] canvas,'
                        f' [data-testid="stVegaLiteChart"] svg\').length >= {charts}',
                        timeout=60_000,
                    )
                    if path == "":
                        page.get_by_text("Latest spots").wait_for(timeout=60_000)
                    if path in TABLES:
                        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
                    elapsed = time.perf_counter() - started
                    key = f"{path or 'live'}" if run else f"{path or 'live'} (first load)"
                    times.setdefault(key, []).append(elapsed)
                    page.close()
                time.sleep(5.5)  # past the answer cache: the next renders query again
            browser.close()
    finally:
        process.terminate()
        process.wait(20)
    return times


def live_refreshes(dsn: str, runs: int) -> dict[str, list[float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["DXSPOTS_READ_DATABASE_URL"] = dsn
    times: dict[str, list[float]] = {}
    for label, page in (("live refresh (AppTest)", None),
                        ("collector page (AppTest, baseline)", "views/collector.py")):  # fmt: skip
        at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
        if page:
            at.switch_page(page)
        at.run()  # warm: pool, imports
        for _ in range(runs):
            st.cache_data.clear()
            started = time.perf_counter()
            at.run()
            times.setdefault(label, []).append(time.perf_counter() - started)
            assert not at.exception and not at.error
    return times


def add_reports(dsn: str) -> None:
    """A WWV report every 3 hours and a message every 2 minutes over the week before now."""
    with psycopg.connect(dsn, autocommit=True) as conn:  # WWV every 3 hours
        conn.execute(
            "INSERT INTO solar_reports (kind, report_time, reporter, received_at, raw, sfi,"
            " a_index, k_index) SELECT 'wwv', date_trunc('hour', now()) - h * interval"
            " '1 hour', 'W0MU', now(), 'raw', 140 + h % 20, 5 + h % 7, h % 5"
            " FROM generate_series(0, 168, 3) AS h ON CONFLICT DO NOTHING"
        )
        conn.execute(  # announcements, talk and WX: one every 2 minutes for the week
            "INSERT INTO announcements (kind, sender, recipient, text, sent_minute,"
            " received_at, raw) SELECT (ARRAY['all','local','talk','wx'])[1 + m % 4],"
            " 'G' || m % 500 || 'ABC', CASE WHEN m % 4 = 2 THEN 'DL1XX' END,"
            " 'message number ' || m, date_trunc('minute', now()) - m * interval '2 min',"
            " now() - m * interval '2 min', 'raw' FROM generate_series(0, 5039) AS m"
            " ON CONFLICT DO NOTHING"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--dsn", help="time on this database as it is (filled by bench/history.py) instead"
    )
    args = parser.parse_args()
    if args.dsn:
        add_reports(args.dsn)
        report(live_refreshes(args.dsn, args.runs) | browser_renders(args.dsn, args.runs), args)
        return
    root = Path(tempfile.mkdtemp(prefix="dxspots-bench-dash-"))
    root.chmod(0o755)
    db = LocalServer(root, options={"shared_buffers": "1GB", "max_wal_size": "4GB"})
    db.start()
    try:
        started = time.perf_counter()
        rows = fill(db.dsn, args.rows, days=7)
        add_reports(db.dsn)
        print(f"filled {rows:,} spots over 7 days in {time.perf_counter() - started:.0f} s")
        results = live_refreshes(db.dsn, args.runs)
        results |= browser_renders(db.dsn, args.runs)
    finally:
        db.stop()
        shutil.rmtree(root, ignore_errors=True)
    report(results, args)


def report(results: dict[str, list[float]], args: argparse.Namespace) -> None:
    print(f"\nmedian of {args.runs} (seconds; range)\n")
    base = statistics.median(results["collector page (AppTest, baseline)"])
    for label, values in results.items():
        median = statistics.median(values)
        print(f"{label:<40} {median:7.3f}  ({min(values):.3f}..{max(values):.3f})"
              f"  {median / base:6.1f} x baseline")  # fmt: skip


if __name__ == "__main__":
    main()

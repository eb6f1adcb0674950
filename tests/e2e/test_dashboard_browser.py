"""The dashboard in a real browser: `dxspots dashboard` on 127.0.0.1, headless Chromium.

Each page is opened, its charts are waited for, no error or exception element may show, and
a screenshot is saved (into DXSPOTS_TEST_SCREENSHOTS when set: `make screenshots` refreshes
docs/screenshots/ that way). Chromium is Debian's (`make test` installs it); Playwright's
client drives it, no browser download. A second test opens a crafted link and hostile stored
text and checks that Chromium draws them as text: no link, image, request or dialog comes of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
import pytest
from playwright.sync_api import Page, sync_playwright

from dxspots.db.alertlog import Outcome, RuleRow, record, store_rules
from dxspots.db.logbook import refresh_slots, store_qsos
from dxspots.db.writer import SpotWriter
from dxspots.logbook import Qso
from tests.conftest import REPO, login_role
from tests.e2e.apiprocess import free_port
from tests.liveset import messages, place
from tests.spotset import make_spots, store

PAGES = [  # path, title, charts to wait for
    ("", "Live band activity", 1),
    ("board", "DX board", 0),
    ("needed", "Needed", 0),
    ("map", "Map", 1),
    ("alerts", "Alerts", 0),
    ("propagation", "Propagation", 3),
    ("dx", "DX", 1),
    ("messages", "Messages", 0),
    ("collector", "Collector", 0),
    ("export", "Export", 0),
]
NAVIGATION = ["Live", "DX board", "Needed", "Map", "Alerts", "Propagation", "DX", "Messages",
              "Collector", "Export"]  # fmt: skip
WIDTH = 1280
"""The screen width the pages must fit (a laptop's browser window)."""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = os.environ.get("DXSPOTS_TEST_CHROMIUM", "/usr/bin/chromium")
    assert Path(path).is_file(), f"no Chromium at {path}: `make test` installs Debian's"
    return path


@pytest.fixture
def dashboard(db_dsn: str, tmp_path: Path) -> Iterator[str]:
    now = datetime.now(UTC)
    store(db_dsn, make_spots(now))
    place(db_dsn)  # coordinates for the map, SNRs for the board
    with psycopg.connect(db_dsn) as conn:
        SpotWriter(conn).write(messages(now))
        store_qsos(conn, "DL9ZZ", [Qso("VP8PJ", now - timedelta(days=300), "20m", "CW", "CW",
                                       "Falkland Islands", 141, True)])  # fmt: skip
        refresh_slots(conn, "DL9ZZ")
        store_rules(conn, [RuleRow(1, "Bouvet", "calls 3Y0*", "E-Mail", 30)], source="alerts.toml",
                    at=now)  # fmt: skip
        record(conn, [Outcome(now, "Bouvet", "E-Mail", "sent", 1,
                              {"id": 1, "dx_call": "3Y0J", "band": "20m"}, None)])  # fmt: skip
    with psycopg.connect(db_dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO node_status (node, host, port, software, logged_in, updated_at)"
            " VALUES ('rbn', '127.0.0.1', 7000, 'DXSpider', true, now())"
        )
        admin.execute(
            "INSERT INTO solar_reports (kind, report_time, reporter, received_at, raw, sfi,"
            " a_index, k_index) SELECT 'wwv', now() - make_interval(hours => h), 'W0MU', now(),"
            " 'raw', 140 + h, 5 + h % 4, 1 + h % 3 FROM generate_series(1, 24, 3) AS h"
        )
    port = free_port()
    with login_role(db_dsn, "dxspots_reader") as reader:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
        env |= {"DXSPOTS_READ_DATABASE_URL": reader, "DXSPOTS_DASHBOARD_REFRESH": "10"}
        log = (tmp_path / "dashboard.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "dashboard", "--port", str(port)],
            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    url = f"http://127.0.0.1:{port}/_stcore/health"
                    with urllib.request.urlopen(url, timeout=2):
                        break
                except OSError:
                    assert process.poll() is None, (tmp_path / "dashboard.log").read_text()
                    assert time.monotonic() < deadline, "the dashboard did not start"
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(20)
            log.close()


def assert_page_is_whole(page: Page, title: str, charts: int) -> None:
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=30_000)
    if charts:
        page.wait_for_function(
            f'document.querySelectorAll(\'[data-testid="stVegaLiteChart"] canvas,'
            f' [data-testid="stVegaLiteChart"] svg\').length >= {charts}',
            timeout=30_000,
        )
    page.wait_for_timeout(500)  # let the last elements settle
    assert page.locator('[data-testid="stException"]').count() == 0
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, errors.all_inner_texts()
    assert "Traceback" not in page.content()


def test_every_page_renders_in_chromium(dashboard: str, chromium: str, tmp_path: Path) -> None:
    """Every page whole at a laptop's width, with nothing fetched from anywhere but the
    dashboard (the map's outline and night side included), and a screenshot of each."""
    shots = Path(os.environ.get("DXSPOTS_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.on("request", lambda request: requests.append(request.url))
        try:
            for path, title, charts in PAGES:
                page.goto(f"{dashboard}/{path}")
                assert_page_is_whole(page, title, charts)
                if path in ("board", "needed", "messages", "alerts"):
                    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
                page.screenshot(path=str(shots / f"{path or 'live'}.png"), full_page=True)
            # A bookmarked view: the filters come back from the address.
            page.goto(f"{dashboard}/?band=20m&spotter_continent=EU")
            assert_page_is_whole(page, "Live band activity", 1)
            assert page.get_by_text("20m").first.is_visible()
        finally:
            browser.close()
    assert all((shots / f"{path or 'live'}.png").stat().st_size > 10_000 for path, _, _ in PAGES)
    elsewhere = {urlsplit(url).netloc for url in requests} - {urlsplit(dashboard).netloc}
    assert not {host for host in elsewhere if host}, elsewhere  # data: URLs have no host


def test_a_page_address_opened_first_shows_the_navigation(dashboard: str, chromium: str) -> None:
    """A bookmark to a page is the first visit after the server starts: the sidebar lists the
    pages by their titles and the page is drawn wide (not Streamlit's page-folder fallback)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        try:
            page.goto(f"{dashboard}/dx")
            assert_page_is_whole(page, "DX", 1)
            links = page.locator('[data-testid="stSidebarNavLink"]')
            assert [text.split("\n")[-1] for text in links.all_inner_texts()] == NAVIGATION
            # The first and last seen of a call fit the width, not cut to "2026-11-…".
            page.goto(f"{dashboard}/dx?dx_call=VP8PJ")
            assert_page_is_whole(page, "DX", 1)
            seen = page.locator('[data-testid="stMetricValue"]')
            seen.first.wait_for(timeout=30_000)
            for value in seen.all()[:2]:
                assert value.evaluate("e => e.scrollWidth <= e.clientWidth"), value.inner_text()
        finally:
            browser.close()


LINK = "[Log in again](https://evil.example/)"
PIXEL = "![x](https://evil.example/p.png)"
SCRIPT = "<img src=x onerror=alert(1)>"
AUTOLINK = "https://evil.example/x"


def assert_nothing_active(page: Page, requests: list[str], dialogs: list[str]) -> None:
    """No link to, image from or request to evil.example, no element from a payload."""
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator('img[src*="evil.example"], img[src="x"]').count() == 0
    assert not [url for url in requests if "evil.example" in (urlsplit(url).hostname or "")]
    assert not dialogs


def shown(page: Page, selector: str) -> str:
    return " ".join(page.locator(selector).all_inner_texts()).replace("\u2060", "")


def test_outside_text_is_text_in_chromium(dashboard: str, db_dsn: str, chromium: str) -> None:
    """The attacks of tests/security/test_dashboard_injection.py, as Chromium draws them: a
    crafted dashboard link, and spots whose band, entity, comment and node are hostile."""
    now = datetime.now(UTC)
    hostile = [
        spot._replace(
            dx_call="VP8EVL", spot_time=now - timedelta(minutes=2 + i), band=SCRIPT,
            dx_entity=f"{LINK} {PIXEL} {SCRIPT}", dx_continent=":red[big]", comment=AUTOLINK,
            node=LINK,
        )
        for i, spot in enumerate(make_spots(now, count=2, seed=11)[:2])
    ]  # fmt: skip
    store(db_dsn, hostile)
    crafted = urlencode({"band": LINK, "mode": PIXEL, "dx_continent": SCRIPT,
                         "dx_prefix": AUTOLINK})  # fmt: skip
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.on("request", lambda request: requests.append(request.url))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        try:
            page.goto(f"{dashboard}/?{crafted}")
            assert_page_is_whole(page, "Live band activity", 1)
            warnings = '[data-testid="stSidebar"] [data-testid="stAlertContentWarning"]'
            page.wait_for_function(
                f"document.querySelectorAll('{warnings}').length >= 4", timeout=30_000
            )
            text = shown(page, warnings)
            for payload in (LINK, PIXEL, SCRIPT, AUTOLINK):
                assert payload in text, (payload, text)
            tile = page.locator(".dx-tile", has_text="onerror")
            assert tile.count() == 1 and SCRIPT in tile.inner_text()
            assert_nothing_active(page, requests, dialogs)

            page.goto(f"{dashboard}/dx?dx_call=VP8EVL")
            assert_page_is_whole(page, "DX", 1)
            caption = page.locator('[data-testid="stCaptionContainer"]', has_text="Log in again")
            caption.wait_for(timeout=30_000)
            assert f"{LINK} {PIXEL} {SCRIPT}, :red[big]" in caption.inner_text().replace(
                "\u2060", ""
            )
            assert_nothing_active(page, requests, dialogs)

            page.goto(f"{dashboard}/dx?{urlencode({'dx_call': LINK})}")
            assert_page_is_whole(page, "DX", 1)
            in_main = '[data-testid="stMain"] [data-testid="stAlertContentWarning"]'
            page.locator(in_main).wait_for(timeout=30_000)
            assert LINK.upper() in shown(page, in_main)
            assert_nothing_active(page, requests, dialogs)
        finally:
            browser.close()

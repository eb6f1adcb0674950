"""Tests for the country-file downloader, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dxspots.cty import CountryFile, CtyError
from dxspots.ctyupdate import COUNTRY_FILES_URL, UpdateResult, update_country_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DAT = (FIXTURES / "cty_small.dat").read_bytes()
CSV = (FIXTURES / "cty_small.csv").read_bytes()
OLD_DAT = b"previous cty.dat\n"
OLD_CSV = b"previous cty.csv\n"


@dataclass
class Route:
    """What the test server answers for one path."""

    body: bytes
    status: int = 200
    delay: float = 0.0


@dataclass
class FileServer:
    """A threaded HTTP server whose answers a test sets per path."""

    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore clients that hung up (the time-out test does that on purpose)."""


@pytest.fixture
def server() -> Iterator[FileServer]:
    state = FileServer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            route = state.routes.get(self.path, Route(b"not found", status=404))
            if route.delay:
                state.stop.wait(route.delay)
            self.send_response(route.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output clean."""

    httpd = _QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/cty/"
    try:
        yield state
    finally:
        state.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _serve_fixtures(server: FileServer) -> None:
    server.routes["/cty/cty.dat"] = Route(DAT)
    server.routes["/cty/cty.csv"] = Route(CSV)


def _install_old(data_dir: Path) -> None:
    (data_dir / "cty.dat").write_bytes(OLD_DAT)
    (data_dir / "cty.csv").write_bytes(OLD_CSV)


def _assert_untouched(data_dir: Path) -> None:
    assert (data_dir / "cty.dat").read_bytes() == OLD_DAT
    assert (data_dir / "cty.csv").read_bytes() == OLD_CSV
    assert sorted(p.name for p in data_dir.iterdir()) == ["cty.csv", "cty.dat"]


def test_default_url_is_the_country_files_directory() -> None:
    assert COUNTRY_FILES_URL == "https://www.country-files.com/cty/"


def test_first_download_writes_both_files(server: FileServer, tmp_path: Path) -> None:
    _serve_fixtures(server)
    data_dir = tmp_path / "data"
    result = update_country_files(data_dir, server.base_url, timeout=5, min_entities=5)
    assert result == UpdateResult(
        written=(data_dir / "cty.dat", data_dir / "cty.csv"), version="20250102", entities=16
    )
    assert (data_dir / "cty.dat").read_bytes() == DAT
    assert (data_dir / "cty.csv").read_bytes() == CSV
    assert sorted(p.name for p in data_dir.iterdir()) == ["cty.csv", "cty.dat"]
    country = CountryFile.load(data_dir / "cty.dat", data_dir / "cty.csv")
    entity = country.lookup("DL1ABC")
    assert entity is not None and entity.adif == 230
    assert server.requests == ["/cty/cty.dat", "/cty/cty.csv"]


def test_update_keeps_the_previous_copies(server: FileServer, tmp_path: Path) -> None:
    _serve_fixtures(server)
    _install_old(tmp_path)
    update_country_files(tmp_path, server.base_url.rstrip("/"), timeout=5, min_entities=5)
    assert (tmp_path / "cty.dat").read_bytes() == DAT
    assert (tmp_path / "cty.dat.old").read_bytes() == OLD_DAT
    assert (tmp_path / "cty.csv.old").read_bytes() == OLD_CSV
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cty.csv",
        "cty.csv.old",
        "cty.dat",
        "cty.dat.old",
    ]


@pytest.mark.parametrize("missing", ["/cty/cty.dat", "/cty/cty.csv"])
def test_http_404_changes_nothing(server: FileServer, tmp_path: Path, missing: str) -> None:
    _serve_fixtures(server)
    del server.routes[missing]
    _install_old(tmp_path)
    with pytest.raises(CtyError, match=r"HTTP 404"):
        update_country_files(tmp_path, server.base_url, timeout=5, min_entities=5)
    _assert_untouched(tmp_path)


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/cty/cty.dat", b"<html><body>Maintenance</body></html>", "not valid"),
        ("/cty/cty.csv", b"<html><body>Maintenance</body></html>", "not valid"),
        ("/cty/cty.dat", b"", "empty"),
        ("/cty/cty.dat", b"\x00\xff" * 500, "not valid"),
    ],
)
def test_garbage_content_changes_nothing(
    server: FileServer, tmp_path: Path, path: str, body: bytes, message: str
) -> None:
    _serve_fixtures(server)
    server.routes[path] = Route(body)
    _install_old(tmp_path)
    with pytest.raises(CtyError, match=message):
        update_country_files(tmp_path, server.base_url, timeout=5, min_entities=5)
    _assert_untouched(tmp_path)


def test_too_few_entities_changes_nothing(server: FileServer, tmp_path: Path) -> None:
    _serve_fixtures(server)
    _install_old(tmp_path)
    with pytest.raises(CtyError, match="16 entities, expected at least 300"):
        update_country_files(tmp_path, server.base_url, timeout=5)
    _assert_untouched(tmp_path)


def test_slow_server_times_out(server: FileServer, tmp_path: Path) -> None:
    _serve_fixtures(server)
    server.routes["/cty/cty.dat"] = Route(DAT, delay=10)
    _install_old(tmp_path)
    started = time.monotonic()
    with pytest.raises(CtyError, match="timed out"):
        update_country_files(tmp_path, server.base_url, timeout=0.3, min_entities=5)
    assert time.monotonic() - started < 3
    _assert_untouched(tmp_path)


def test_refused_connection(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _install_old(tmp_path)
    with pytest.raises(CtyError, match="failed"):
        update_country_files(tmp_path, f"http://127.0.0.1:{port}/", timeout=2, min_entities=5)
    _assert_untouched(tmp_path)


@pytest.mark.parametrize("url", ["ftp://example.invalid/cty/", "file:///etc/", "/tmp/cty/"])
def test_only_http_urls(tmp_path: Path, url: str) -> None:
    with pytest.raises(CtyError, match="http or https"):
        update_country_files(tmp_path, url, min_entities=5)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_data_dir_changes_nothing(server: FileServer, tmp_path: Path) -> None:
    _serve_fixtures(server)
    blocker = tmp_path / "not-a-dir"
    blocker.write_bytes(b"a file where the data directory should be")
    with pytest.raises(CtyError, match="cannot install"):
        update_country_files(blocker, server.base_url, timeout=5, min_entities=5)
    assert blocker.read_bytes().startswith(b"a file")

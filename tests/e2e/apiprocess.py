"""`dxspots api` as a process on 127.0.0.1, and a small HTTP client for the tests."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ApiProcess:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def request(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, headers=headers or {})
            answer = conn.getresponse()
            return Answer(
                answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
            )
        finally:
            conn.close()

    def get(self, path: str, **headers: str) -> Answer:
        return self.request(path, headers={k.replace("_", "-"): v for k, v in headers.items()})

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def api_process(
    read_dsn: str, command: list[str] | None = None, **settings: str
) -> Iterator[ApiProcess]:
    """Run `dxspots api` (this checkout's, or `command`) on a free port against `read_dsn`;
    stop it after."""
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    env = base | {
        "DXSPOTS_READ_DATABASE_URL": read_dsn,
        "DXSPOTS_API_PORT": str(port),
        "DXSPOTS_DATA_DIR": tempfile.mkdtemp(prefix="dxspots-api-"),
    }
    env |= {f"DXSPOTS_{key.upper()}": value for key, value in settings.items()}
    log = Path(env["DXSPOTS_DATA_DIR"]) / "api.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command or [sys.executable, "-m", "dxspots.cli", "api"], env=env, cwd=REPO,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    api = ApiProcess(port, process, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if api.get("/healthz").status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start:\n{api.log_text()}")
            time.sleep(0.1)
        yield api
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

"""`dxspots alerts` as a sysop runs it: real processes, a real PostgreSQL, spots written by the
collector's writer, and the messages received by a local SMTP server (aiosmtpd) and a local
HTTP server (webhooks and ntfy-style pushes), all on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller

from dxspots.db.logbook import refresh_slots, store_qsos
from dxspots.db.writer import SpotWriter
from dxspots.logbook import Qso
from dxspots.queries import fetch, plan
from dxspots.spot import Spot
from tests.conftest import REPO
from tests.e2e.apiprocess import free_port


@dataclass
class Receiver:
    """A local HTTP server keeping every POST; `failures[path]` answers 500 that many times."""

    port: int = 0
    posts: list[tuple[str, bytes]] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, path: str) -> list[Any]:
        with self.lock:
            return [json.loads(body) for where, body in self.posts if where == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with found.lock:
                if found.failures.get(self.path, 0) > 0:
                    found.failures[self.path] -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                found.posts.append((self.path, body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


@dataclass
class Mailbox:
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(free_port())  # aiosmtpd's Controller cannot take port 0
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


def rules_file(tmp_path: Path, receiver: Receiver, mailbox: Mailbox) -> Path:
    hook = f"spothook://127.0.0.1:{receiver.port}"
    path = tmp_path / "alerts.toml"
    path.write_text(f"""
[defaults]
cooldown_minutes = 30

[[rule]]
name = "Bouvet"
calls = ["3Y0*"]
channels = ["{hook}/hook",
            "mailto://127.0.0.1:{mailbox.port}?from=dxspots@example.org&to=op@example.org"]

[[rule]]
name = "New ones for DL9ZZ"
owner = "DL9ZZ"
needed = ["entity"]
channels = ["ntfy://127.0.0.1:{receiver.port}/dx"]

[[rule]]
name = "Flaky"
calls = ["K1FL"]
channels = ["{hook}/flaky"]
""")
    return path


class AlertsProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dxspots.cli", "alerts"], env=env, cwd=REPO,
            stdout=self.out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(lambda: "new spots after id" in self.text(), "the alerts process started")

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(30)
        self.out.close()
        return code


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.1)


@pytest.fixture
def env(db_dsn: str, tmp_path: Path, receiver: Receiver, mailbox: Mailbox) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DXSPOTS_")}
    return base | {
        "DXSPOTS_DATABASE_URL": db_dsn,
        "DXSPOTS_ALERT_RULES": str(rules_file(tmp_path, receiver, mailbox)),
        "DXSPOTS_DATA_DIR": str(tmp_path / "data"),
    }


NUMBER = iter(range(1_000_000))


def spot(call: str, entity: str | None = None, *, band: str = "20m", mode: str = "CW",
         age: timedelta = timedelta(0), spotter: str = "DK8NE") -> Spot:  # fmt: skip
    moment = datetime.now(UTC) - age
    number = next(NUMBER)
    return Spot(
        spot_time=moment.replace(second=0, microsecond=0), freq_khz=14000.0 + number / 10,
        dx_call=call, spotter=spotter, comment=f"UP 2 <tnx> {number}", received_at=moment,
        raw=f"DX de {spotter}: {call}", source="dx", node="test", mode=mode, band=band,
        spotter_base=spotter, dx_entity=entity, spotter_continent="EU",
    )  # fmt: skip


def write(dsn: str, *spots: Spot) -> None:
    with psycopg.connect(dsn) as conn:
        assert SpotWriter(conn, notify=True).write(list(spots)).spots_new == len(spots)


def test_alerts_arrive_once_per_window_across_restarts_and_never_for_history(
    env: dict[str, str], db_dsn: str, tmp_path: Path, receiver: Receiver, mailbox: Mailbox
) -> None:
    with psycopg.connect(db_dsn) as conn:
        store_qsos(conn, "DL9ZZ", [Qso("VP8PJ", datetime(2025, 1, 1, tzinfo=UTC), "20m", "CW",
                                       "CW", "Falkland Islands", 141, True)])  # fmt: skip
        refresh_slots(conn, "DL9ZZ")
    receiver.failures["/flaky"] = 2
    alerts = AlertsProcess(env, tmp_path / "alerts-1.log")
    write(db_dsn, spot("K1FL"), spot("3Y0J", "Bouvet"), spot("VP8PJ", "Falkland Islands"),
          spot("JA1ZZ", "Japan"), spot("3Y0K", "Bouvet", age=timedelta(hours=2)))  # fmt: skip
    wait_for(lambda: receiver.to("/hook") and mailbox.messages and receiver.to("/"), "alerts")
    (hook,) = receiver.to("/hook")
    assert hook["rule"] == "Bouvet" and hook["spot"]["dx_call"] == "3Y0J"
    assert hook["spot"]["comment"].startswith("UP 2 <tnx>") and hook["spot"]["band"] == "20m"
    (mail,) = mailbox.messages
    assert mail["Subject"] == "3Y0J 14000.1 CW 20m" and "UP 2 <tnx>" in mail.get_content()
    # New ones for DL9ZZ, whose log has the Falklands: Bouvet and Japan, not VP8PJ. ntfy posts
    # to the server's root, the topic in the body; apprise spaces one channel's sends 5.5 s.
    wait_for(lambda: len(receiver.to("/")) == 2, "the second push")
    pushes = receiver.to("/")
    assert [p["title"].split()[0] for p in pushes] == ["3Y0J", "JA1ZZ"]
    assert pushes[0]["topic"] == "dx" and "new one" in pushes[1]["message"]
    # The flaky webhook failed twice, and got its alert after 2 s and 4 s; the rest did
    # not wait for it.
    wait_for(lambda: receiver.to("/flaky"), "the flaky hook's third try", timeout=30)
    assert len(receiver.to("/flaky")) == 1 and "failed (attempt 2)" in alerts.text()
    # The log names a channel by its service and place, never by its URL (a token may be in
    # a webhook's path, a password in a mail server's).
    assert "(channel 3 of the rules file)" in alerts.text() and "/flaky" not in alerts.text()
    # Another skimmer on the same DX, band and mode: within the cool-down, no second alert.
    write(db_dsn, spot("3Y0J", "Bouvet", spotter="KM3T"))
    time.sleep(3)
    assert len(receiver.to("/hook")) == 1 and len(mailbox.messages) == 1
    assert alerts.stop() == 0
    # Restarted: the cool-down holds; the same DX on another band alerts.
    alerts = AlertsProcess(env, tmp_path / "alerts-2.log")
    write(db_dsn, spot("3Y0J", "Bouvet", spotter="G4ABC"), spot("3Y0J", "Bouvet", band="40m"))
    wait_for(lambda: len(receiver.to("/hook")) == 2, "the 40m alert")
    time.sleep(2)
    assert [h["spot"]["band"] for h in receiver.to("/hook")] == ["20m", "40m"]
    assert not any(h["spot"]["dx_call"] == "3Y0K" for h in receiver.to("/hook"))  # history
    assert alerts.stop() == 0
    # What the dashboard's Alerts page shows: the rules in words, channels by service only,
    # and every alert's outcome (logged by the time the process has stopped).
    rules = catalogue(db_dsn, "alert_rules")
    assert [(r["name"], r["conditions"], r["channels"]) for r in rules] == [
        ("Bouvet", "calls 3Y0*", "dxspots spot webhook (http), E-Mail"),
        ("New ones for DL9ZZ", "new for DL9ZZ's log: entity", "ntfy"),
        ("Flaky", "calls K1FL", "dxspots spot webhook (http)"),
    ]
    assert str(receiver.port) not in repr(rules) and str(mailbox.port) not in repr(rules)
    logged = catalogue(db_dsn, "alerts")
    assert {(a["rule"], a["dx_call"], a["band"], a["channel"], a["outcome"], a["attempts"])
            for a in logged} == {
        ("Bouvet", "3Y0J", "20m", "dxspots spot webhook (http)", "sent", 1),
        ("Bouvet", "3Y0J", "20m", "E-Mail", "sent", 1),
        ("Bouvet", "3Y0J", "40m", "dxspots spot webhook (http)", "sent", 1),
        ("Bouvet", "3Y0J", "40m", "E-Mail", "sent", 1),
        ("New ones for DL9ZZ", "3Y0J", "20m", "ntfy", "sent", 1),
        ("New ones for DL9ZZ", "JA1ZZ", "20m", "ntfy", "sent", 1),
        ("New ones for DL9ZZ", "3Y0J", "40m", "ntfy", "sent", 1),  # still a new one, on 40m
        ("Flaky", "K1FL", "20m", "dxspots spot webhook (http)", "sent", 3),
    }  # fmt: skip
    assert len(logged) == 8 and logged[0]["at"] >= logged[-1]["at"]
    assert {a["needed"] for a in logged if a["rule"] == "New ones for DL9ZZ"} == {"entity"}


def catalogue(dsn: str, name: str, **raw: object) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn:
        return fetch(conn, plan(name, raw)).items


def test_the_database_going_away_is_waited_out_and_no_spot_is_missed(
    env: dict[str, str], db_dsn: str, tmp_path: Path, receiver: Receiver
) -> None:
    alerts = AlertsProcess(env, tmp_path / "alerts.log")
    write(db_dsn, spot("3Y0A", "Bouvet"))
    wait_for(lambda: len(receiver.to("/hook")) == 1, "the first alert")
    with psycopg.connect(db_dsn, autocommit=True) as admin:  # its connection cut, as a restart
        cut = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        assert cut is not None and cut[0] >= 1
        write(db_dsn, spot("3Y0B", "Bouvet"))  # stored while it is away
    wait_for(lambda: "the database is back" in alerts.text(), "the reconnection")
    write(db_dsn, spot("3Y0C", "Bouvet"))
    wait_for(lambda: len(receiver.to("/hook")) == 3, "the alerts after the cut")
    assert [h["spot"]["dx_call"] for h in receiver.to("/hook")] == ["3Y0A", "3Y0B", "3Y0C"]
    assert "the database is away" in alerts.text()
    assert alerts.stop() == 0


def test_two_processes_at_once_send_once(
    env: dict[str, str], db_dsn: str, tmp_path: Path, receiver: Receiver
) -> None:
    first = AlertsProcess(env, tmp_path / "first.log")
    second = AlertsProcess(env, tmp_path / "second.log")
    write(db_dsn, *[spot(f"3Y0{chr(65 + n)}", "Bouvet") for n in range(10)])
    wait_for(lambda: len(receiver.to("/hook")) >= 10, "ten alerts")
    time.sleep(2)
    calls = sorted(h["spot"]["dx_call"] for h in receiver.to("/hook"))
    assert calls == sorted(f"3Y0{chr(65 + n)}" for n in range(10))  # each once
    assert first.stop() == 0 and second.stop() == 0


def test_a_bad_rule_or_channel_stops_start_up_naming_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    from tests.integration.test_cli import run

    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "x"\nbands = ["21m"]\nchannels = ["json://127.0.0.1:9/"]')
    result = run("alerts", "--rules", str(bad), env=env)
    assert result.returncode == 1 and "rule 1 ('x'): bands: unknown band '21m'" in result.stderr
    bad.write_text('[[rule]]\nname = "y"\nchannels = ["nosuch://user:secret@host/"]')
    result = run("alerts", "--rules", str(bad), env=env)
    assert result.returncode == 1 and "rule 1 ('y'): channels: nosuch://...: not a channel" in (
        result.stderr
    )
    assert "secret" not in result.stderr
    missing = run("alerts", env=env | {"DXSPOTS_ALERT_RULES": str(tmp_path / "none.toml")})
    assert missing.returncode == 1 and "DXSPOTS_ALERT_RULES: no rules file" in missing.stderr
    good = run("alerts", "--check", env=env)
    assert good.returncode == 0 and "3 rules, 4 channels: fine" in good.stdout

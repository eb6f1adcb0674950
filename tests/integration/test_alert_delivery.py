"""Alerts handed to channels (alerts/delivery.py, alerts/message.py) with real apprise
channels against servers on 127.0.0.1: a digest for people in a burst, a hanging or failing
channel holding up no other, a full queue dropping and counting, and a stranger's text
cleaned before it reaches anyone."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import alerts.delivery
from alerts import message
from alerts.channels import Channel
from alerts.delivery import Alert, Delivery

SPOT: dict[str, Any] = {
    "id": 7, "spot_time": datetime(2026, 11, 30, 12, 34, tzinfo=UTC), "freq_khz": 14025.0,
    "dx_call": "3Y0J", "spotter": "DK8NE", "band": "20m", "mode": "CW", "snr_db": 12,
    "comment": "UP 2", "dx_entity": "Bouvet", "spotter_continent": "EU",
}  # fmt: skip


def alert(call: str, rule: str = "Bouvet") -> Alert:
    spot = SPOT | {"dx_call": call}
    return Alert(rule, message.title(spot), message.text(spot, rule, "entity"),
                 message.line(spot, rule, "entity"), message.spot_json(spot, rule, "entity"),
                 {"id": 7, "dx_call": call}, "entity")  # fmt: skip


class Posts:
    def __init__(self) -> None:
        self.items: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.failing: set[str] = set()

    def to(self, path: str) -> list[Any]:
        with self.lock:
            return [body for where, body in self.items if where == path]


@pytest.fixture
def server() -> Iterator[tuple[int, Posts]]:
    posts = Posts()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            failing = self.path in posts.failing
            if not failing:
                with posts.lock:
                    posts.items.append((self.path, body))
            self.send_response(500 if failing else 200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield http.server_address[1], posts
    http.shutdown()
    http.server_close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that takes connections and never answers (a channel hanging)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def wait_for(condition: Any, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.05)


def test_a_burst_reaches_a_person_as_a_digest_and_each_alert_is_logged(
    server: tuple[int, Posts],
) -> None:
    port, posts = server
    push = Channel(f"ntfy://127.0.0.1:{port}/dx")
    delivery = Delivery()
    calls = [f"3Y0{chr(65 + n)}" for n in range(12)]
    for call in calls:
        delivery.submit(push, alert(call))
    # apprise holds one ntfy channel's sends 5.5 s apart: the rest wait and go as one message.
    wait_for(lambda: sum(p["message"].count("de DK8NE") for p in posts.to("/")) == 12,
             "every alert pushed", timeout=20)  # fmt: skip
    pushes = posts.to("/")
    assert len(pushes) <= 3, [p["title"] for p in pushes]
    digest = pushes[-1]
    assert digest["title"].startswith(f"{digest['message'].count('de DK8NE')} alerts: 3Y0")
    assert "3Y0L 14025.0 CW 20m de DK8NE 12:34Z (Bouvet, new one)" in digest["message"]
    outcomes = delivery.take_outcomes()
    assert sorted(o.spot["dx_call"] for o in outcomes) == calls
    assert {(o.channel, o.outcome, o.attempts) for o in outcomes} == {("ntfy", "sent", 1)}
    assert delivery.take_outcomes() == []
    delivery.stop()


def test_spacing_set_to_zero_sends_to_your_own_server_at_once(server: tuple[int, Posts]) -> None:
    port, posts = server
    push = Channel(f"ntfy://127.0.0.1:{port}/dx", spacing_s=0)
    delivery = Delivery()
    started = time.monotonic()
    for n in range(5):
        delivery.submit(push, alert(f"3Y0{chr(65 + n)}"))
        time.sleep(0.2)  # one at a time: nothing waits, so each goes alone
    wait_for(lambda: len(posts.to("/")) == 5, "five pushes", timeout=5)
    assert time.monotonic() - started < 3  # apprise's default would take 22 s
    assert [p["title"].split()[0] for p in posts.to("/")] == [f"3Y0{chr(65 + n)}" for n in range(5)]
    delivery.stop()


def test_webhooks_get_one_request_per_spot_even_in_a_burst(server: tuple[int, Posts]) -> None:
    port, posts = server
    hook = Channel(f"spothook://127.0.0.1:{port}/hook")
    delivery = Delivery()
    for n in range(20):
        delivery.submit(hook, alert(f"3Y0{chr(65 + n)}"))
    wait_for(lambda: len(posts.to("/hook")) == 20, "twenty posts")
    assert [p["spot"]["dx_call"] for p in posts.to("/hook")] == [
        f"3Y0{chr(65 + n)}" for n in range(20)
    ]
    delivery.stop()


def test_a_hanging_channel_holds_up_no_other_and_its_full_queue_drops_and_counts(
    server: tuple[int, Posts], silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, posts = server
    monkeypatch.setattr(alerts.delivery, "QUEUE_MAX", 3)
    hanging = Channel(f"spothook://127.0.0.1:{silent_port}/hook")
    good = Channel(f"spothook://127.0.0.1:{port}/good")
    delivery = Delivery()
    for n in range(6):  # the first is taken and hangs; three wait; the rest are past the cap
        delivery.submit(hanging, alert(f"K{n}AA"))
    started = time.monotonic()
    for n in range(3):
        delivery.submit(good, alert(f"K{n}AA"))
    wait_for(lambda: len(posts.to("/good")) == 3, "the good channel's alerts")
    assert time.monotonic() - started < 3  # not the hanging one's 10 s
    dropped = [o for o in delivery.take_outcomes() if o.outcome == "dropped"]
    assert len(dropped) in (2, 3) and {o.spot["dx_call"] for o in dropped} <= {
        "K3AA",
        "K4AA",
        "K5AA",
    }
    assert delivery.counts["dropped"] == len(dropped) and delivery.counts["sent"] == 3
    started = time.monotonic()
    delivery.stop(timeout_s=0.5)
    assert time.monotonic() - started < 5  # a stop does not wait out the hanging send
    # The one being sent and those waiting behind it: abandoned, each logged.
    abandoned = delivery.take_outcomes()
    assert {o.outcome for o in abandoned} == {"abandoned"}
    assert sorted(o.spot["dx_call"] for o in abandoned) == [
        f"K{n}AA" for n in range(6 - len(dropped))
    ]


def test_a_stop_waits_for_a_send_under_way_and_abandons_a_retry(
    server: tuple[int, Posts],
) -> None:
    port, posts = server
    posts.failing.add("/down")
    down = Channel(f"spothook://127.0.0.1:{port}/down")
    delivery = Delivery(retry_first_s=60)
    delivery.submit(down, alert("3Y0J"))
    wait_for(lambda: delivery.counts["retried"] == 1, "the first failure")
    delivery.stop(timeout_s=1)
    (outcome,) = delivery.take_outcomes()
    assert (outcome.outcome, outcome.attempts) == ("abandoned", 1)


def test_a_digest_stays_within_what_the_service_takes(server: tuple[int, Posts]) -> None:
    port, posts = server
    push = Channel(f"ntfy://127.0.0.1:{port}/dx", spacing_s=1)
    assert push.body_limit == 7800 - 160  # ntfy's own limit, less the title's room
    push.body_limit = 300  # as a service with a small limit (Pushover's is 1,024)
    delivery = Delivery()
    for n in range(12):
        delivery.submit(push, alert(f"3Y0{chr(65 + n)}"))
    wait_for(lambda: sum(p["message"].count("de DK8NE") for p in posts.to("/")) == 12,
             "every alert pushed", timeout=30)  # fmt: skip
    assert all(len(p["message"]) <= 300 for p in posts.to("/"))
    assert len(posts.to("/")) >= 3  # 12 lines of 55 characters: at most 5 a message
    delivery.stop()


def test_a_failing_channel_is_retried_with_back_off_then_given_up(
    server: tuple[int, Posts],
) -> None:
    port, posts = server
    posts.failing.add("/down")
    down = Channel(f"spothook://127.0.0.1:{port}/down")
    delivery = Delivery(retry_first_s=0.2, attempts=3)
    delivery.submit(down, alert("3Y0J"))
    wait_for(lambda: delivery.counts["given up"] == 1, "the alert given up")
    (outcome,) = delivery.take_outcomes()
    assert (outcome.outcome, outcome.attempts, outcome.rule) == ("given up", 3, "Bouvet")
    assert delivery.counts["retried"] == 2
    delivery.stop()


HOSTILE = (
    "\x1b[31mRED\x1b[0m \u202eevil\u202c \u2066iso\u2069 zero\u200bwidth\r\nSubject: injected"
    "\x00\x07 " + "x" * 500
)


def test_a_strangers_text_is_cleaned_and_cut_before_it_reaches_anyone() -> None:
    spot = SPOT | {"comment": HOSTILE, "dx_call": "3Y0J\u202e", "spotter": "DK8NE\r\nBcc: x"}
    text, title, line = (message.text(spot, "Bouvet", None), message.title(spot),
                         message.line(spot, "Bouvet", None))  # fmt: skip
    for shown in (text, title, line):
        assert not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in shown)
        for mark in ("\u202e", "\u202c", "\u2066", "\u2069", "\u200b"):
            assert mark not in shown
    assert "\n" not in title and "\n" not in line
    assert all(not row.startswith(("Subject:", "Bcc:")) for row in text.splitlines())
    comment_row = next(row for row in text.splitlines() if "RED" in row)
    assert len(comment_row) <= 120
    body = json.loads(message.spot_json(spot, "Bouvet", None))
    assert body["spot"]["comment"] == HOSTILE  # a program gets the spot as it was, as JSON

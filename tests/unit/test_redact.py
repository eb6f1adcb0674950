"""Passwords out of text (issue 11, finding 10): every form a DSN takes, libpq's own echoes of
a malformed one (made here by libpq itself, parsing only: no connection), and ordinary text
left as it is. The processes that log are attacked in tests/security/test_password_redaction.py.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from dxspots import redact
from dxspots.redact import MASK, Redactor, dsn_secrets, install, mask

SECRET = "S3cr3tPw"


def libpq_says(dsn: str) -> str:
    """What libpq answers about a DSN it cannot parse."""
    with pytest.raises(psycopg.ProgrammingError) as caught:
        conninfo_to_dict(dsn)
    return str(caught.value)


DSN_FORMS = [  # a DSN as written, as it may be logged whole
    f"postgresql://dxspots:{SECRET}@127.0.0.1:5432/dxspots",
    f"postgres://u:{SECRET}@db.example:5432/dxspots?sslmode=require",
    f"postgresql://:{SECRET}@127.0.0.1/db",
    f"postgresql://u:{SECRET}%40%2F%25x@127.0.0.1/db",  # percent-encoded @ / %
    f"postgresql://u:p@{SECRET}@127.0.0.1/db",  # a raw @ in the password
    f"postgresql://u@127.0.0.1/db?password={SECRET}",
    f"postgresql://u@127.0.0.1/db?sslmode=disable&password={SECRET}%21&connect_timeout=3",
    f"postgresql://u@127.0.0.1/db?PASSWORD={SECRET}",
    f"host=127.0.0.1 port=5432 password={SECRET} dbname=dxspots",
    f"host=127.0.0.1 password = {SECRET}",
    f"host=127.0.0.1 password='se cret {SECRET}' dbname=dxspots",
    f"host=127.0.0.1 password='it\\'s {SECRET} \\\\' dbname=dxspots",  # escaped quote and \
    f"PGPASSWORD={SECRET} psql",
    f"POSTGRES_PASSWORD={SECRET}",
    f"{{'host': '127.0.0.1', 'password': '{SECRET}'}}",
    f'{{"host": "127.0.0.1", "password": "{SECRET}"}}',
]


@pytest.mark.parametrize("text", DSN_FORMS)
def test_every_form_of_a_dsn_loses_its_password(text: str) -> None:
    logged = f"could not connect with {text} (retrying)"
    masked = mask(logged)
    assert SECRET not in masked and MASK in masked
    assert masked.startswith("could not connect with ") and masked.endswith(" (retrying)")


def test_what_is_around_the_password_stays() -> None:
    assert mask(f"postgresql://dxspots:{SECRET}@127.0.0.1:5432/dxspots?sslmode=disable") == (
        "postgresql://dxspots:***@127.0.0.1:5432/dxspots?sslmode=disable"
    )
    assert mask(f"host=h password='a b {SECRET}' dbname=d") == "host=h password='***' dbname=d"
    assert mask(f"postgresql://u@h/d?password={SECRET}&sslmode=disable") == (
        "postgresql://u@h/d?password=***&sslmode=disable"
    )
    # A quote that is never closed: nothing after it can be told from the password.
    assert mask(f"host=h password='{SECRET} dbname=d (retrying)") == "host=h password=***"


MALFORMED = [  # DSNs libpq refuses, and echoes (part of) the password in refusing
    f"postgresql://u:{SECRET}%zz@127.0.0.1:1/db",  # invalid percent-encoded token
    f"postgres://u:{SECRET}%2@127.0.0.1:1/db",
    f"postgresql://u:{SECRET}%00@127.0.0.1:1/db",  # forbidden value %00
    f"postgresql://u@127.0.0.1:1/db?password={SECRET}%zz",
    f"postgresql://u:{SECRET}@[127.0.0.1:1/db",  # the whole URI, echoed
    f"postgresql://u:{SECRET}@[]:1/db",
    f"postgresql://u:{SECRET}@[::1]x/db",
    f'postgresql://u:{SECRET}"quote@[::1/db',  # a quote the word patterns stop at
    f"postgresql://u:se cret {SECRET}@127.0.0.1:1/db",  # unexpected spaces
    f"host=127.0.0.1 port=1 {SECRET}",  # missing "=" after the password alone
    f"host=127.0.0.1 password=se cret{SECRET}",
    f"postgresql:/u:{SECRET}@127.0.0.1:1/db",  # a URI that is not one: conninfo
    SECRET,
]


@pytest.mark.parametrize("dsn", MALFORMED)
def test_libpq_echoes_of_a_malformed_dsn_are_masked_unknown(dsn: str) -> None:
    """Even a password nobody told the redactor about: the echoed token is masked."""
    said = libpq_says(dsn)
    assert SECRET in said  # the attack: libpq does echo it
    assert SECRET not in mask(said) and MASK in mask(said)


@pytest.mark.parametrize("dsn", MALFORMED)
def test_libpq_echoes_are_masked_with_the_dsn_known(dsn: str) -> None:
    said = libpq_says(dsn)
    assert SECRET not in Redactor(dsn_secrets(dsn))(said)


def test_a_known_password_is_masked_wherever_it_appears() -> None:
    """libpq may echo a password alone, where no pattern can tell it is one."""
    dsn = f"postgresql://u:{SECRET}@127.0.0.1:1/db?{SECRET}=x"
    said = libpq_says(dsn)
    assert said.strip() == f'invalid URI query parameter: "{SECRET}"'
    assert mask(said) == said  # a key: no pattern takes it
    assert Redactor(dsn_secrets(dsn))(said).strip() == 'invalid URI query parameter: "***"'


def test_a_raw_at_sign_in_the_password_is_masked_in_the_host() -> None:
    # What psycopg says when libpq took the text after the password's first @ as the host
    # (made up here: resolving that name for real would ask a DNS server).
    said = f"failed to resolve host '{SECRET}@127.0.0.1': [Errno -2] Name or service not known"
    assert (
        mask(said) == "failed to resolve host '***@127.0.0.1': [Errno -2] Name or service not known"
    )
    assert SECRET not in Redactor(dsn_secrets(f"postgresql://u:p@{SECRET}@h/db"))(said)


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        (f"postgresql://u:{SECRET}@h/db", {SECRET}),
        (f"postgresql://u:{SECRET}%21@h/db", {f"{SECRET}%21", f"{SECRET}!"}),
        (f"postgresql://u:a%zz{SECRET}@h/db", {f"a%zz{SECRET}"}),
        (f"postgresql://u@h/db?password={SECRET}&x=1", {SECRET}),
        (f"host=h password={SECRET}", {SECRET}),
        (f"host=h password='se cret {SECRET}'", {f"se cret {SECRET}"}),
        (f"host=h password='it\\'s{SECRET}'", {f"it's{SECRET}"}),
        (f"host=h password='{SECRET}", {SECRET}),
        (f"postgresql://u:p@{SECRET}@h/db", {f"p@{SECRET}", SECRET}),
    ],
)
def test_dsn_secrets_reads_the_password_well_formed_or_not(dsn: str, expected: set[str]) -> None:
    assert expected <= dsn_secrets(dsn)


def test_dsn_secrets_of_a_dsn_without_password_is_empty() -> None:
    assert dsn_secrets("postgresql://u@127.0.0.1:5432/db") == set()
    assert dsn_secrets("host=127.0.0.1 dbname=dxspots") == set()
    assert dsn_secrets("postgresql://u:abc@h/db") == set()  # too short to hunt for


ORDINARY = [
    "API on http://127.0.0.1:8080 (1 worker(s))",
    "PostgreSQL listening on 127.0.0.1:5432",
    "postgresql://127.0.0.1:5432/dxspots",
    "postgresql://dxspots@127.0.0.1:5432/dxspots",
    'connection to server at "127.0.0.1", port 1 failed: Connection refused',
    'invalid connection option "bogus"',
    'invalid integer value "abc" for connection option "port"',
    "the node asks for a password; set one for it",
    "DX de KM3T-2-#:  14100.0  CS3B  CW 24 dB 22 WPM NCDXF B 2259Z",
    "To ALL de EA8CEN-9: QSL via me@example.org, password protected log",
    "country file data/cty.dat (version 2026-11-27)",
    "https://www.country-files.com/cty/",
    "GET /v1/spots?band=20m&mode=CW: 503: database unavailable",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor([SECRET])(text) == text


def test_a_short_known_password_is_not_hunted_for() -> None:
    assert Redactor(["CW", "abc"])("DX de K1ABC CW 24 dB") == "DX de K1ABC CW 24 dB"


@pytest.fixture
def fresh_logging() -> Iterator[None]:
    """`install` hooks the whole process; put logging back as it was after the test."""
    factory = logging.getLogRecordFactory()
    try:
        redact._installed = None
        yield
    finally:
        logging.setLogRecordFactory(factory)
        redact._installed = None


def test_install_masks_records_of_every_logger_and_handler(
    fresh_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    """Handlers set up after install (as uvicorn's and Streamlit's are), a logger that does not
    propagate, logging's last resort, messages with arguments and exceptions: all masked."""
    redactor = install([SECRET])
    assert install(["another-one"]) is redactor  # once per process; later calls add
    own = logging.getLogger("test_redact.own")
    own.propagate = False
    handler = logging.StreamHandler(sys.stderr)
    own.addHandler(handler)
    try:
        own.warning("error connecting: %s", psycopg.ProgrammingError(f'token: "{SECRET}"'))
        own.warning("another-one and %d", 3)
        try:
            conninfo_to_dict(f"postgresql://u:{SECRET}@[::1/db")
        except psycopg.ProgrammingError:
            own.exception("failed")
        own.warning("ordinary %s", "text", stack_info=True)
    finally:
        own.removeHandler(handler)
    orphan = logging.getLogger("test_redact.orphan")  # no handler: logging's last resort
    orphan.propagate = False
    orphan.warning("orphan %s", f"host=h password={SECRET}")
    err = capfd.readouterr().err
    assert SECRET not in err and "another-one" not in err
    assert err.count(MASK) >= 4 and "Traceback" in err and "ordinary text" in err
    assert "orphan host=h password=***" in err


def test_learn_adds_to_the_installed_redactor(fresh_logging: None) -> None:
    redact.learn(["not-installed-yet"])  # nothing installed: nothing happens
    redactor = install()
    redact.learn([SECRET])
    assert redactor(f"x {SECRET} y") == "x *** y"


@pytest.mark.timeout(20)  # a hang detector: the unbounded patterns took minutes on these
@pytest.mark.parametrize(
    "hostile",
    [
        "postgresql://u:xxxxxxxxxx" * 15_000,  # a URI's start, never its `@`
        'in URI: "x' * 15_000,
        'missing "=" after "' * 8_000,
        'unexpected spaces found in "' * 5_000,
        "'password': '" * 10_000,
        "host '" + "x" * 150_000,
    ],
)
def test_text_made_to_fail_the_patterns_costs_linear_time(hostile: str) -> None:
    """Log lines carry text from strangers (cluster nodes, API clients): no line may make the
    masking backtrack over the whole line from every position."""
    for _ in range(5):
        assert len(Redactor([SECRET])(hostile)) > 0

"""Keep database passwords out of logs and messages.

A DSN carries its password, and libpq echoes what it cannot parse: a bad percent-escape in
the password (`invalid percent-encoded token: "secret%zz"`), a stray word (`missing "=" after
"secret" in connection info string`), or the whole URI (`... in URI: "postgresql://u:secret@
[..."`). The password may then appear alone, with nothing around it that says it is one. So
`Redactor` does two things: it replaces every exact occurrence of the passwords it was told
(those of the configured DSNs and the local server's password file), and it masks what looks
like a password in text it was not told about (a URI's user info, `password=` in a query or a
conninfo string, the tokens libpq echoes from a malformed DSN).

`install` hooks a redactor into logging for the whole process, so every record is scrubbed
when it is made, whoever configured the handlers (ours, uvicorn's, Streamlit's) or none
(logging's last-resort handler).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter known passwords are not replaced wherever they occur: that would mangle ordinary
words and guard next to nothing. The patterns still mask them in a DSN."""

# Every span a pattern may scan is bounded (1,024 characters; 80 for a message's words), so
# that text made to fail a pattern at every position (a line of `postgresql://u:` without an
# `@`, from a hostile cluster node) costs linear time, not quadratic.
_IN_TEXT = [  # each `keep` is left as it is, `secret` after it is masked; in this order
    # A URI's password: between the user's `:` and the last `@` of the word.
    r"(?P<keep>postgres(?:ql)?://[^\s\"'<>:@/?#]{0,1024}:)(?P<secret>[^\s\"'<>]{0,1024})(?=@)",
    # `?password=...` or `&password=...` in a URI's query.
    r"(?P<keep>[?&]password=)(?P<secret>[^&#\s\"'<>]{0,1024})",
    # conninfo `password=...`, quoted (with escapes; unterminated: to the end) or not, and
    # the variables named like it (PGPASSWORD=, POSTGRES_PASSWORD=).
    r"(?<![\w?&.-])(?P<keep>(?:[a-z0-9]+_){0,8}(?:pg)?password\s{0,80}=\s{0,80})"
    r"(?P<secret>'(?:[^'\\]|\\.|\\\Z){0,1024}(?:'|\Z)|(?:[^\s\\]|\\.|\\\Z){1,1024})",
    # A mapping's "password": "..." (a conninfo dict or JSON, printed).
    r"(?P<keep>[\"']password[\"']\s{0,80}:\s{0,80})"
    r"(?P<secret>\"(?:[^\"\\]|\\.){0,1024}\"|'(?:[^'\\]|\\.){0,1024}')",
    # libpq's echoes of a malformed DSN, whose token may be (part of) the password.
    r"(?P<keep>invalid percent-encoded token: \")(?P<secret>[^\"\n]{0,1024})",
    r"(?P<keep>in percent-encoded value: \")(?P<secret>[^\"\n]{0,1024})",
    r"(?P<keep>missing \"=\" after \")(?P<secret>[^\n]{0,1024}?)(?=\" in connection info string)",
    r"(?P<keep>unexpected spaces found in \")"
    r"(?P<secret>[^\n]{0,1024}?)(?=\", use percent-encoded spaces)",
    # A password with a raw `@` ends up in the host name (libpq splits at the first `@`).
    r"(?P<keep>host(?: name)?:? [\"'])(?P<secret>[^\"'\s]{0,1024})(?=@)",
]
_PATTERNS = [re.compile(pattern, re.IGNORECASE) for pattern in _IN_TEXT]


def _mask_user_info(uri: str) -> str:
    """Mask everything from the user's `:` to the last `@` of a URI echoed whole."""
    start = uri.find("://")
    colon = uri.find(":", start + 3) if start >= 0 else -1
    at = uri.rfind("@")
    if start < 0 or colon < 0 or at < colon:
        return uri
    return uri[: colon + 1] + MASK + uri[at:]


def _mask_uri_echo(line: str) -> str:
    """Mask the user info of a URI libpq echoed whole (`... in URI: "postgresql://..."`), which
    may hold quotes or spaces the patterns stop at: the echo runs to the line's last quote."""
    found = line.find("in URI")
    start = line.find(': "', found, found + 80) if found >= 0 else -1
    end = line.rfind('"')
    if start < 0 or end < start + 3:
        return line
    return line[: start + 3] + _mask_user_info(line[start + 3 : end]) + line[end:]


def _masked(match: re.Match[str]) -> str:
    secret = match["secret"]
    if not secret:
        return match[0]
    quoted = len(secret) > 1 and secret[0] in "'\"" and secret[-1] == secret[0]
    return match["keep"] + (f"{secret[0]}{MASK}{secret[0]}" if quoted else MASK)


def mask(text: str) -> str:
    """Mask what looks like a password in `text`: a DSN's, or a token libpq echoed."""
    if "in URI" in text:
        text = "\n".join(_mask_uri_echo(line) for line in text.split("\n"))
    for pattern in _PATTERNS:
        text = pattern.sub(_masked, text)
    return text


def dsn_secrets(dsn: str) -> set[str]:
    """The password of a DSN, well formed or not, as written and as decoded.

    A malformed DSN cannot be parsed as libpq would, so every reading that may be the
    password is taken: a URI's user info up to the first and to the last `@` (and the
    pieces between `@`s), `password=` in its query, and a conninfo `password=` value,
    quoted or not.
    """
    found: set[str] = set()
    scheme = re.match(r"\s*postgres(?:ql)?://", dsn, re.IGNORECASE)
    if scheme:
        rest = dsn[scheme.end() :]
        user_info = rest[: rest.rfind("@")] if "@" in rest else ""
        if ":" in user_info:
            password = user_info.split(":", 1)[1]
            found |= {password, *password.split("@")}
        found |= set(re.findall(r"[?&]password=([^&#]*)", rest, re.IGNORECASE))
    for match in re.finditer(
        r"(?<![\w?&.-])password\s*=\s*('(?:[^'\\]|\\.)*(?:'|\Z)|(?:[^\s\\]|\\.)+)", dsn
    ):
        value = match[1]
        if value.startswith("'"):
            value = value[1:-1] if len(value) > 1 and value.endswith("'") else value[1:]
        found |= {value, re.sub(r"\\(.)", r"\1", value)}
    decoded = {unquote(secret) for secret in found}
    found |= decoded | {quote(secret, safe="") for secret in decoded}
    return {secret for secret in found if len(secret) >= MIN_SECRET_LENGTH and MASK not in secret}


class Redactor:
    """Remove passwords from text: the known ones wherever they are, the rest by their look."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Know more passwords (blank or short ones are ignored: see MIN_SECRET_LENGTH)."""
        known = set(self._secrets) | {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        # Longest first: a password that contains another is replaced whole.
        self._secrets = tuple(sorted(known, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        """`text` with every password replaced by MASK."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return mask(text)

    def scrub(self, record: logging.LogRecord) -> None:
        """Redact a log record in place: its message, exception text and stack."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format: the handler would echo msg and args raw
            message = f"{record.msg} {record.args!r}"
            record.msg, record.args = message, ()
        clean = self(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self(record.exc_text)
        if record.stack_info:
            record.stack_info = self(record.stack_info)


_installed: Redactor | None = None
"""The process's redactor once `install` ran: logging's record factory is process-wide."""


def install(secrets: Iterable[str] = ()) -> Redactor:
    """Scrub every log record this process makes from now on; return the redactor.

    The hook is logging's record factory, so it holds for every logger and handler, also
    those configured later by uvicorn or Streamlit. Called again, it adds the passwords to
    the redactor already installed.
    """
    global _installed  # noqa: PLW0603 (one hook per process)
    if _installed is not None:
        _installed.add(secrets)
        return _installed
    redactor = Redactor(secrets)
    make_record = logging.getLogRecordFactory()

    def scrubbed_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        redactor.scrub(record)
        return record

    logging.setLogRecordFactory(scrubbed_record)
    _installed = redactor
    return redactor


def learn(secrets: Iterable[str]) -> None:
    """Tell the installed redactor, if any, passwords found after start-up (a local server
    made by this very command)."""
    if _installed is not None:
        _installed.add(secrets)

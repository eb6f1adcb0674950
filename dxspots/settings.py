"""Settings: read once, at each entry point, from `DXSPOTS_*` variables and `.env`.

Nothing else in the project reads the environment. Entry points call `load_settings()`,
which turns every validation problem into one `SettingsError` naming each bad setting, and
pass the resulting `Settings` down.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from dotenv import dotenv_values
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "DXSPOTS_"
SIMULATED_NODE = "simulator"
"""The name `dxspots up` gives its built-in simulated node (the dashboard says so when it is
the one connected; `up` with a callsign forgets its spots)."""
PLACEHOLDER_CALLS = frozenset({"N0CALL", "NOCALL", "MYCALL", "CALLSIGN", "YOURCALL", "XX0XX"})
# Letters, digits and `/` (portable forms), an optional SSID; at least one letter and one
# digit, as every amateur callsign has.
_CALL_RE = re.compile(r"(?=.*[A-Z])(?=.*[0-9])[A-Z0-9/]{3,15}(?:-[0-9]{1,2})?", re.ASCII)
_HOST_PORT_RE = re.compile(r"^(?P<host>\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})$")
DEFAULT_LOOKUP_URLS = {
    "QRZ.com": "https://www.qrz.com/db/{call}",
    "HamQTH": "https://www.hamqth.com/{call}",
}
"""The callsign lookup sites the dashboard links every call to, unless set otherwise."""


class SettingsError(ValueError):
    """One or more settings are invalid; the message names each of them."""


class NodeConfig(BaseModel):
    """One DX cluster node the collector connects to."""

    model_config = {"extra": "forbid", "frozen": True}

    name: str = Field(min_length=1, max_length=64)
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    callsign: str | None = None
    """Login call for this node; `DXSPOTS_CALLSIGN` when unset."""
    password: str | None = None
    """Sent when the node asks for a password."""
    commands: tuple[str, ...] | None = None
    """Start-up commands; unset: the defaults for the node's software (docs)."""
    stall_seconds: float = Field(default=180.0, gt=0)
    """Reconnect when nothing arrives for this long (a quiet node wants more, the RBN less)."""
    backfill: int = Field(default=100, ge=0, le=500)
    """`sh/dx N` after each login to fill a gap (0: none; the RBN has no history)."""

    @field_validator("callsign")
    @classmethod
    def _callsign(cls, value: str | None) -> str | None:
        return check_callsign(value)


def parse_nodes(value: Any) -> Any:
    """Accept a JSON list of node objects, or a comma-separated `host:port` list.

    Anything else is handed back unchanged for pydantic to reject with its own message.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return []
    if text.startswith("["):
        return json.loads(text)
    nodes = []
    for item in text.split(","):
        match = _HOST_PORT_RE.match(item.strip())
        if match is None:
            raise ValueError(f"expected host:port, got {item.strip()!r}")
        host = match["host"].strip("[]")
        nodes.append({"name": f"{host}:{match['port']}", "host": host, "port": match["port"]})
    return nodes


def parse_lookup_urls(value: str) -> dict[str, str]:
    """Read `name=URL,name=URL` (`none`: no sites) into {name: URL template}.

    Each template must be an http(s) URL holding `{call}` and no other `{...}` field;
    `ValueError` names the first entry that is not.
    """
    text = value.strip()
    if text.lower() == "none":
        return {}
    sites: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, equals, template = (piece.strip() for piece in item.partition("="))
        if not equals or not name:
            raise ValueError(f"expected name=URL, got {item!r}")
        if not re.match(r"https?://[^/\s{}]+", template, re.IGNORECASE):
            raise ValueError(f"{name}: {template!r} is not an http:// or https:// URL")
        try:
            filled = template.format(call="\0")
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                f"{name}: {template!r} may hold only {{call}} between braces"
            ) from None
        if "\0" not in filled:
            raise ValueError(f"{name}: {template!r} has no {{call}} for the callsign")
        sites[name] = template
    return sites


def check_callsign(value: str | None) -> str | None:
    """Normalise a login callsign and refuse placeholders and malformed calls."""
    if value is None or not value.strip():
        return None
    call = value.strip().upper()
    if call in PLACEHOLDER_CALLS:
        raise ValueError(f"{call} is a placeholder; set your own callsign")
    if not _CALL_RE.fullmatch(call):
        raise ValueError(f"{call!r} does not look like an amateur radio callsign")
    return call


class Settings(BaseSettings):
    """Every setting dxspots reads. Each is documented in docs/configuration.md."""

    # An empty value is no value: `DXSPOTS_API_PORT=` (or a compose pass-through of a setting
    # .env does not set) means the default.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore",
        env_ignore_empty=True,
    )  # fmt: skip

    database_url: str | None = None
    """Writer DSN. Unset: a local PostgreSQL server is run in the data directory."""
    read_database_url: str | None = None
    """Read-only DSN for the dashboard and API. Unset: the writer DSN is used."""
    callsign: str | None = None
    """The callsign the collector logs in with."""
    nodes: Annotated[list[NodeConfig], NoDecode] = Field(default_factory=list)
    """DX cluster nodes: a JSON list of node objects, or comma-separated host:port."""
    data_dir: Path = Path("data")
    """Where the local database, the spool and the country files live."""
    retention_days: int | None = Field(default=None, ge=1, le=365_000)
    """Raw spots older than this many days are archived as Parquet and dropped, a whole
    month at a time (docs/retention.md). Unset: every spot is kept."""
    archive_dir: Path | None = None
    """Where retention writes its Parquet files. Unset: `archive` in the data directory."""
    alert_rules: Path | None = None
    """The alert rules (TOML, docs/alerts.md). Unset: `alerts.toml` in the data directory."""
    cty_path: Path | None = None
    """A local cty.dat to use instead of the one in the data directory."""
    cty_url: str = "https://www.country-files.com/cty/"
    """Where `dxspots cty update` downloads cty.dat and cty.csv from."""
    spool_max_bytes: int = Field(default=1 << 30, ge=1 << 20)
    """Size cap of the collector's spool (batches kept while the database is away)."""
    metrics_host: str = "127.0.0.1"
    """Where the collector serves /healthz and /metrics."""
    metrics_port: int = Field(default=9108, ge=0, le=65535)
    """Port of the collector's /healthz and /metrics (0: any free port)."""
    log_level: str = "INFO"
    """Python logging level for the entry points."""
    dashboard_host: str = "127.0.0.1"
    """Where `dxspots dashboard` listens (0.0.0.0: every interface, as in its container)."""
    dashboard_port: int = Field(default=8501, ge=1, le=65535)
    """Port of the dashboard."""
    dashboard_refresh: float = Field(default=10.0, ge=2, le=3600)
    """Seconds between refreshes of the dashboard's live parts."""
    api_host: str = "127.0.0.1"
    """Where `dxspots api` listens (0.0.0.0: every interface, as in its container)."""
    api_port: int = Field(default=8080, ge=0, le=65535)
    """Port of the API (0: any free port)."""
    api_workers: int = Field(default=1, ge=1, le=64)
    """API server processes (each has its own connection pool and stream listener)."""
    api_pool_size: int = Field(default=4, ge=1, le=100)
    """Database connections per API process."""
    api_pool_timeout: float = Field(default=2.0, gt=0, le=60)
    """Seconds a request waits for a free connection before it gets a 503."""
    api_statement_timeout: float = Field(default=5.0, gt=0, le=600)
    """Seconds any one API query may run before PostgreSQL cancels it (the client gets a 503)."""
    api_request_timeout: float = Field(default=10.0, gt=0, le=600)
    """Seconds a request may take in all (the stream and CSV exports excepted, which send as
    they go)."""
    api_cache_seconds: float = Field(default=5.0, ge=0, le=3600)
    """How long an answer for a window ending now is reused (0: never)."""
    api_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Origins allowed to call the API from a browser, comma-separated (`*`: any)."""
    api_stream_heartbeat: float = Field(default=15.0, ge=0.1, le=300)
    """Seconds between heartbeat comments on an idle live stream (proxies close idle ones)."""
    api_stream_clients: int = Field(default=500, ge=1, le=100_000)
    """Live-stream clients one API process serves at once; past that, a 503."""
    api_send_timeout: float = Field(default=30.0, gt=0, le=3600)
    """Seconds a client may leave a response unread before the API drops it."""
    api_header_timeout: float = Field(default=10.0, gt=0, le=600)
    """Seconds a connection has to send a request's headers (from connecting, or from the
    end of its previous answer) before the API closes it."""
    api_key: SecretStr | None = None
    """When set, `/v1/*` wants this value in the `X-API-Key` header."""
    lookup_urls: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_LOOKUP_URLS)
    )
    """Callsign lookup sites the dashboard links each call to: comma-separated `name=URL`
    with `{call}` where the call goes (`none`: no links)."""

    @field_validator("nodes", mode="before")
    @classmethod
    def _nodes(cls, value: Any) -> Any:
        return parse_nodes(value)

    @field_validator("callsign")
    @classmethod
    def _callsign(cls, value: str | None) -> str | None:
        return check_callsign(value)

    @field_validator("api_cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        origins = [item.strip().rstrip("/") for item in value.split(",") if item.strip()]
        for origin in origins:
            if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], or *)")
        return origins

    @field_validator("lookup_urls", mode="before")
    @classmethod
    def _lookup_urls(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return parse_lookup_urls(value)

    @field_validator("api_key", mode="before")
    @classmethod
    def _api_key(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None
            if len(value.strip()) < 16:
                raise ValueError("too short: use at least 16 characters")
            return value.strip()
        return value

    @field_validator("cty_path", "archive_dir", "alert_rules", mode="before")
    @classmethod
    def _optional_path(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def archive_path(self) -> Path:
        """The folder retention writes to: DXSPOTS_ARCHIVE_DIR, else `<data dir>/archive`."""
        return self.archive_dir if self.archive_dir is not None else self.data_dir / "archive"

    @property
    def alert_rules_path(self) -> Path:
        """The alert rules file: DXSPOTS_ALERT_RULES, else `<data dir>/alerts.toml`."""
        return self.alert_rules if self.alert_rules is not None else self.data_dir / "alerts.toml"

    @field_validator("database_url", "read_database_url")
    @classmethod
    def _dsn(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("postgresql://", "postgres://")) and "=" not in value:
            raise ValueError("expected a postgresql:// URL or a libpq key=value string")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level


def describe_errors(error: ValidationError) -> str:
    """Turn pydantic's validation error into one line per bad setting, named as users set it."""
    lines = []
    for item in error.errors():
        name = ENV_PREFIX + "_".join(str(part) for part in item["loc"][:1]).upper()
        where = "".join(f"[{part}]" for part in item["loc"][1:])
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}{where}: {message}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def unknown_settings(environ: Mapping[str, str], env_file: Path = Path(".env")) -> list[str]:
    """Name the `DXSPOTS_*` variables, in `environ` or the `.env` file, that are no setting.

    pydantic-settings ignores them; entry points warn, since most are misspelt settings.
    """
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    names = set(environ)
    if env_file.is_file():
        names |= {key for key in dotenv_values(env_file) if key}
    return sorted(
        name for name in names
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in known
        and not name.upper().startswith(ENV_PREFIX + "TEST_")
    )  # fmt: skip


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment and `.env`; raise `SettingsError` if any is bad."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_errors(error)) from None
    except (ValueError, json.JSONDecodeError) as error:  # pydantic-settings' own decoding
        raise SettingsError(f"invalid settings: {error}") from None

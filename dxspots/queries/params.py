"""The parameters queries take: one definition per name, shared by every query that takes it.

Each query's parameter model is a pydantic model built from these fields, so that `band`
means the same thing, and is checked the same way, in `/v1/spots` and `/v1/band_activity`.
Values come from a query string (strings, lists as repeated or comma-separated values) or
from Python callers (typed values); `read_params` turns either into a validated model or a
`ParameterError` naming the parameter, before any SQL runs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from dxspots.bands import band_named
from dxspots.modes import normalise_mode

CONTINENTS = ("AF", "AN", "AS", "EU", "NA", "OC", "SA")
_CALL_RE = re.compile(r"[A-Z0-9/]{1,20}(?:-[A-Z0-9#]{1,4}){0,2}", re.ASCII)
_PREFIX_RE = re.compile(r"[A-Z0-9/]{1,12}", re.ASCII)
CALL_PATTERN = "^[A-Za-z0-9/]{1,20}(-[A-Za-z0-9#]{1,4}){0,2}$"
"""`_CALL_RE` for JSON Schema (any case): what a callsign parameter accepts."""
PREFIX_PATTERN = "^[A-Za-z0-9/]{1,12}$"


SHOWN_CHARS = 40
"""At most this much of a bad value (or an unknown name) is repeated back in an error."""
MESSAGE_CHARS = 300


def shown(value: object) -> str:
    """`value` as an error message quotes it: its repr, cut to a short prefix.

    A client's bad value is repeated so that its author sees which one, but never in full:
    an error body is not a mirror for 64 KB of whatever was sent.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) > SHOWN_CHARS:
        return repr(text[:SHOWN_CHARS]) + "..."
    return repr(text)


class ParameterError(ValueError):
    """A query parameter is missing, unknown or has a bad value; `parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        if len(parameter) > SHOWN_CHARS:  # an unknown name, as long as the client liked
            parameter = parameter[:SHOWN_CHARS] + "..."
        if len(message) > MESSAGE_CHARS:
            message = message[:MESSAGE_CHARS] + "..."
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def _split(value: Any) -> Any:
    """Turn `a,b` and repeated values (`[a, "b,c"]`) into one tuple of trimmed items."""
    if value is None:
        return value
    items = [value] if isinstance(value, str) else list(value)
    out: list[Any] = []
    for item in items:
        if isinstance(item, str):
            parts = [part.strip() for part in item.split(",")]
            if not all(parts):
                raise ValueError("an empty value; leave the parameter out for no filter")
            out.extend(parts)
        else:
            out.append(item)
    return tuple(out)


def _single(value: Any) -> Any:
    """A scalar parameter given more than once is an error (not a silent pick)."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueError("give this parameter once")
        return value[0]
    return value


_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}([T ].*)?", re.ASCII)


def _iso(value: Any) -> Any:
    """Times are ISO 8601 text (or datetimes from Python callers), never bare numbers."""
    value = _single(value)
    if isinstance(value, str) and _ISO_RE.fullmatch(value.strip()) is None:
        raise ValueError("expected an ISO 8601 time such as 2026-11-27T09:00:00Z")
    if not isinstance(value, (str, datetime)) and value is not None:
        raise ValueError("expected an ISO 8601 time such as 2026-11-27T09:00:00Z")
    return value


LATEST = datetime(9999, 12, 30, tzinfo=UTC)
"""Times must be before this: a window rounded out to whole hours or days stays in range."""


def _utc(value: datetime) -> datetime:
    """Read a time without an offset as UTC; keep every time timezone-aware, in range."""
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range: times run from year 1 to 9999-12-29 (UTC)") from None
    if value >= LATEST:
        raise ValueError("out of range: times run from year 1 to 9999-12-29 (UTC)")
    return value


def one_call(value: str) -> str:
    """One callsign, upper case; `ValueError` when it is not one."""
    call = value.strip().upper()
    if _CALL_RE.fullmatch(call) is None:
        raise ValueError(f"{shown(value)} is not a callsign")
    return call


def check_bands(values: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for value in values:
        band = band_named(value)
        if band is None:
            raise ValueError(
                f"unknown band {shown(value)}; bands are ADIF names such as 20m, 2m, 70cm"
            )
        out.append(band.name)
    return tuple(dict.fromkeys(out))


def check_modes(values: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for value in values:
        mode = normalise_mode(value)
        if mode is None:
            raise ValueError(f"{shown(value)} is not a mode (CW, SSB, FT8, RTTY...)")
        out.append(mode)
    return tuple(dict.fromkeys(out))


def _pattern(regex: re.Pattern[str], what: str) -> Any:
    def check(values: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for value in values:
            upper = value.upper()
            if regex.fullmatch(upper) is None:
                raise ValueError(f"{shown(value)} is not {what}")
            out.append(upper)
        return tuple(dict.fromkeys(out))

    return check


def check_continents(values: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for value in values:
        if value.upper() not in CONTINENTS:
            raise ValueError(f"{shown(value)} is not a continent ({', '.join(CONTINENTS)})")
        out.append(value.upper())
    return tuple(dict.fromkeys(out))


def _texts(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if len(value) > 64 or not value.isprintable():
            raise ValueError(f"{shown(value)} is not a name (at most 64 printable characters)")
    return tuple(dict.fromkeys(values))


def _each(check: Any) -> AfterValidator:
    return AfterValidator(lambda v: None if v is None else check(v))


_Items = tuple[str, ...] | None
_SPLIT = BeforeValidator(_split)
_ONE = BeforeValidator(_single)
_ANY_CALL = _pattern(_CALL_RE, "a callsign")

Since = Annotated[
    datetime | None,
    BeforeValidator(_iso),
    AfterValidator(lambda v: None if v is None else _utc(v)),
    Field(default=None, description="Start of the window, ISO 8601 (no offset: UTC), inclusive."),
]
Until = Annotated[
    datetime | None,
    BeforeValidator(_iso),
    AfterValidator(lambda v: None if v is None else _utc(v)),
    Field(default=None, description="End of the window, ISO 8601 (no offset: UTC), exclusive; "
          "default now."),
]  # fmt: skip
Minutes = Annotated[
    int | None,
    _ONE,
    Field(default=None, ge=1, le=527_040, description="Window: the last N minutes before `until`."),
]
Days = Annotated[
    int | None,
    _ONE,
    Field(default=None, ge=1, le=366, description="Window: the last N days before `until`."),
]
Band = Annotated[
    _Items,
    _SPLIT,
    _each(check_bands),
    Field(
        default=None,
        max_length=50,
        description="ADIF band names (`20m`, `2m`, `70cm`), comma-separated or repeated.",
    ),
]
Mode = Annotated[
    _Items,
    _SPLIT,
    _each(check_modes),
    Field(
        default=None,
        max_length=50,
        description="Modes (`CW`, `SSB`, `FT8`...; `USB`/`LSB` mean `SSB`).",
    ),
]
DxCall = Annotated[
    _Items,
    _SPLIT,
    _each(_ANY_CALL),
    Field(default=None, max_length=50, description="Spotted calls, exactly (`VP8PJ`)."),
]
DxPrefix = Annotated[
    _Items,
    _SPLIT,
    _each(_pattern(_PREFIX_RE, "a call prefix")),
    Field(
        default=None, max_length=50, description="Spotted calls starting with these (`VP8`, `3Y`)."
    ),
]
DxEntity = Annotated[
    _Items,
    _SPLIT,
    _each(_texts),
    Field(
        default=None,
        max_length=50,
        description="DXCC entity names as in the country file (`Bouvet`), any case.",
    ),
]
DxContinent = Annotated[
    _Items,
    _SPLIT,
    _each(check_continents),
    Field(
        default=None,
        max_length=7,
        description="Continents of the spotted station: AF AN AS EU NA OC SA.",
    ),
]
Spotter = Annotated[
    _Items,
    _SPLIT,
    _each(_ANY_CALL),
    Field(
        default=None,
        max_length=50,
        description="Spotter calls: a plain call matches every SSID and skimmer suffix of it "
        "(`KM3T` matches `KM3T-2-#`); one with a suffix matches exactly.",
    ),
]
SpotterContinent = Annotated[
    _Items,
    _SPLIT,
    _each(check_continents),
    Field(
        default=None, max_length=7, description="Continents of the spotter: AF AN AS EU NA OC SA."
    ),
]
Skimmer = Annotated[
    bool | None,
    _ONE,
    Field(default=None, description="true: skimmer (RBN) spots only; false: human spots only."),
]
Node = Annotated[
    _Items,
    _SPLIT,
    _each(_texts),
    Field(
        default=None,
        max_length=50,
        description="Collector node names (`DXSPOTS_NODES` names), exactly.",
    ),
]
Cursor = Annotated[
    str | None, _ONE,
    Field(default=None, max_length=200,
          description="Where the previous page ended: the `next` of the previous answer."),
]  # fmt: skip


class Params(BaseModel):
    """Base of every parameter model: unknown parameters are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Limited(Params):
    """Base of every query's parameter model: a `limit` with a default and a cap."""

    LIMIT_DEFAULT: ClassVar[int] = 100
    LIMIT_MAX: ClassVar[int] = 1000
    limit: Annotated[int | None, BeforeValidator(_single), Field(default=None, ge=1)] = None
    """How many rows at most (each query has its own default and cap)."""

    def row_limit(self, cap: int | None = None) -> int:
        """The limit asked for, or the default; `ParameterError` above the cap."""
        cap = cap or self.LIMIT_MAX
        if self.limit is None:
            return min(self.LIMIT_DEFAULT, cap)
        if self.limit > cap:
            raise ParameterError("limit", f"at most {cap} here")
        return self.limit


class Window(Limited):
    """A time window: `since`/`until`, or the last `minutes`/`days` before `until`."""

    since: Since = None
    until: Until = None
    minutes: Minutes = None
    days: Days = None


class SpotFilters(Params):
    """What selects spots, the window aside (the live stream takes these alone)."""

    band: Band = None
    mode: Mode = None
    dx_call: DxCall = None
    dx_prefix: DxPrefix = None
    dx_entity: DxEntity = None
    dx_continent: DxContinent = None
    spotter: Spotter = None
    spotter_continent: SpotterContinent = None
    skimmer: Skimmer = None
    node: Node = None


P = TypeVar("P", bound=Params)
L = TypeVar("L", bound=Limited)


class Filters(Window, SpotFilters):
    """What selects spots: the window and every spot filter."""


def read_params(model: type[P], raw: Mapping[str, Any]) -> P:
    """Validate `raw` (query-string lists or Python values) into `model`.

    Raises `ParameterError` naming the first bad or unknown parameter.
    """
    values = {key: value for key, value in raw.items() if value is not None and value != []}
    try:
        return model.model_validate(values)
    except ValidationError as error:
        item = error.errors()[0]
        name = str(item["loc"][0]) if item["loc"] else "parameters"
        if item["type"] == "extra_forbidden":
            known = ", ".join(sorted(model.model_fields))
            raise ParameterError(name, f"unknown parameter (this query takes: {known})") from None
        message = str(item["msg"]).removeprefix("Value error, ")
        raise ParameterError(name, message) from None


def encode_cursor(moment: datetime, row_id: int) -> str:
    """Make the opaque `next` value that resumes a list after this row."""
    text = json.dumps([moment.astimezone(UTC).isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Read a `next` value back; `ParameterError` naming `cursor` if it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, row_id = json.loads(text)
        moment = datetime.fromisoformat(moment_text)
        if moment.tzinfo is None or not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError
        # In UTC, whatever offset it was written with: PostgreSQL refuses some that Python
        # takes (+20:00, seconds), and the CSV route spells the time as a literal.
        moment = _utc(moment)
        if not -(2**63) <= row_id < 2**63:
            raise ValueError
        return moment, row_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError,
            OverflowError):  # fmt: skip
        raise ParameterError("cursor", "not a `next` value from this API") from None

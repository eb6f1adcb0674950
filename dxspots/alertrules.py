"""Alert rules: which spots someone wants to hear about, and where to send them (issue 16).

The sysop writes them in a TOML file (`DXSPOTS_ALERT_RULES`, docs/alerts.md)::

    [defaults]
    cooldown_minutes = 30                 # the same DX, band and mode alerts once a window
    channels = ["ntfy://ntfy.example.org/dx"]

    [[rule]]
    name = "Bouvet"
    calls = ["3Y0*", "3Y/*"]              # wildcards: * any run of characters, ? one
    bands = ["20m", "40m"]

    [[rule]]
    name = "New ones for me"
    owner = "DL9ZZ"                       # a log imported with `dxspots log import`
    needed = ["entity", "band"]
    spotter_continents = ["EU"]
    skimmer = false                       # humans only (true: skimmers only)
    channels = ["mailto://mail.example.org?from=dx@example.org&to=me@example.org"]

Every condition given must hold (and within one, any of its values); a rule with none
matches every spot. `load_rules` reads and checks the file once, at start: any mistake stops
it with a message naming the rule (by name and number) and the field. `Rule.matches` is
pure: the caller judges `needed` against the owner's log (dxspots.queries.needed) first.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dxspots.logbook import MODE_CLASSES, mode_class
from dxspots.queries.needed import check_kinds
from dxspots.queries.params import check_bands, check_continents, check_modes

MAX_RULES = 2000
MAX_RULES_BYTES = 4 << 20
_PATTERN = re.compile(r"[A-Z0-9/*?]{1,24}")
_WORD = re.compile(r"[A-Za-z0-9/+.-]{1,32}")


class RulesError(ValueError):
    """The rules file cannot be used; the message names the rule and field."""


def _upper_list(values: list[str]) -> list[str]:
    return [value.strip().upper() for value in values]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Strict):
    cooldown_minutes: Annotated[int, Field(ge=0, le=7 * 1440)] = 30
    channels: list[str] = Field(default_factory=list, max_length=20)
    spacing_seconds: Annotated[float, Field(ge=0, le=600)] | None = None
    """The least time between two sends to one channel (unset: each service's own in
    apprise, 5.5 s for most; 0 suits your own mail relay or ntfy server)."""


class Rule(_Strict):
    """One rule: its conditions, channels and cool-down (defaults filled in)."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    calls: list[str] | None = None
    entities: list[str] | None = None
    bands: list[str] | None = None
    modes: list[str] | None = None
    mode_classes: list[str] | None = None
    spotter_continents: list[str] | None = None
    spotter_cq_zones: list[Annotated[int, Field(ge=1, le=40)]] | None = None
    dx_continents: list[str] | None = None
    skimmer: bool | None = None
    min_snr: Annotated[int, Field(ge=-50, le=99)] | None = None
    owner: str | None = None
    needed: list[str] | None = None
    comment_words: list[str] | None = None
    channels: list[str] = Field(default_factory=list, max_length=20)
    cooldown_minutes: Annotated[int, Field(ge=0, le=7 * 1440)] | None = None

    @field_validator("calls")
    @classmethod
    def _calls(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        calls = _upper_list(values)
        for call in calls:
            if not _PATTERN.fullmatch(call):
                raise ValueError(f"{call!r} is not a call pattern (letters, digits, /, * and ?)")
        return calls

    @field_validator("bands")
    @classmethod
    def _bands(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(check_bands(tuple(values)))

    @field_validator("modes")
    @classmethod
    def _modes(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(check_modes(tuple(values)))

    @field_validator("mode_classes")
    @classmethod
    def _classes(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        classes = _upper_list(values)
        for value in classes:
            if value not in MODE_CLASSES:
                raise ValueError(f"{value!r} is not one of {', '.join(MODE_CLASSES)}")
        return classes

    @field_validator("spotter_continents", "dx_continents")
    @classmethod
    def _continents(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(check_continents(tuple(values)))

    @field_validator("entities")
    @classmethod
    def _entities(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [value.strip().lower() for value in values]

    @field_validator("needed")
    @classmethod
    def _needed(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(check_kinds(tuple(values)))

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        return None if value is None else value.strip().upper()

    @field_validator("comment_words")
    @classmethod
    def _words(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        for value in values:
            if not _WORD.fullmatch(value.strip()):
                raise ValueError(f"{value!r} is not a word (letters, digits, / + . -)")
        return [value.strip().lower() for value in values]

    def matches(self, spot: Mapping[str, Any], needed: str | None = None) -> bool:
        """Whether `spot` (a stored spot's fields) passes every condition; `needed` is what
        it is for `owner`'s log (None: nothing new, or no owner). The first condition that
        fails ends it (every spot meets every rule: this runs spots x rules times)."""
        if self.calls is not None:
            call = str(spot.get("dx_call") or "").upper()
            if not any(fnmatchcase(call, pattern) for pattern in self.calls):
                return False
        if self.bands is not None and spot.get("band") not in self.bands:
            return False
        if self.modes is not None and spot.get("mode") not in self.modes:
            return False
        if self.needed is not None and needed not in self.needed:
            return False
        if self.entities is not None and str(spot.get("dx_entity") or "").lower() not in (
            self.entities
        ):
            return False
        if self.mode_classes is not None and mode_class(spot.get("mode")) not in (
            self.mode_classes
        ):
            return False
        if (self.spotter_continents is not None
                and spot.get("spotter_continent") not in self.spotter_continents):  # fmt: skip
            return False
        if (self.spotter_cq_zones is not None
                and spot.get("spotter_cq_zone") not in self.spotter_cq_zones):  # fmt: skip
            return False
        if self.dx_continents is not None and spot.get("dx_continent") not in self.dx_continents:
            return False
        if self.skimmer is not None and bool(spot.get("is_skimmer")) != self.skimmer:
            return False
        if self.min_snr is not None and (
            spot.get("snr_db") is None or int(spot["snr_db"]) < self.min_snr
        ):
            return False
        return self.comment_words is None or _has_word(
            str(spot.get("comment") or ""), self.comment_words
        )

    def describe(self) -> str:
        """Its conditions in a line of words, as the dashboard's Alerts page lists them."""
        parts = [
            f"{label} {', '.join(str(v) for v in values)}"
            for label, values in (
                ("calls", self.calls), ("entities", self.entities), ("bands", self.bands),
                ("modes", self.modes), ("mode classes", self.mode_classes),
                ("spotters in", self.spotter_continents),
                ("spotters in CQ zones", self.spotter_cq_zones), ("DX in", self.dx_continents),
                ("comment has", self.comment_words),
            )
            if values is not None
        ]  # fmt: skip
        if self.skimmer is not None:
            parts.append("skimmers only" if self.skimmer else "humans only")
        if self.min_snr is not None:
            parts.append(f"SNR at least {self.min_snr} dB")
        if self.needed is not None:
            parts.append(f"new for {self.owner}'s log: {', '.join(self.needed)}")
        return "; ".join(parts) or "every spot"


def _has_word(comment: str, words: list[str]) -> bool:
    found = set(re.findall(r"[a-z0-9/+.-]+", comment.lower()))
    return any(word in found for word in words)


class Rules(_Strict):
    """The checked file: its defaults and rules, in order."""

    defaults: Defaults = Field(default_factory=Defaults)
    rule: list[Rule] = Field(default_factory=list, max_length=MAX_RULES)

    def cooldown(self, rule: Rule) -> int:
        """The rule's cool-down in minutes (its own, else the default)."""
        return (
            self.defaults.cooldown_minutes
            if rule.cooldown_minutes is None
            else (rule.cooldown_minutes)
        )

    def channels(self, rule: Rule) -> list[str]:
        """Where the rule's alerts go (its own channels, else the default ones)."""
        return rule.channels or self.defaults.channels


def parse_rules(text: str, source: str = "the rules") -> Rules:
    """Read and check rules from TOML text; `RulesError` naming the rule and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source}: not TOML: {error}") from None
    try:
        rules = Rules.model_validate(data)
    except ValidationError as error:
        raise RulesError(f"{source}: {_where(data, error)}") from None
    names: dict[str, int] = {}
    for number, rule in enumerate(rules.rule, 1):
        if rule.name in names:
            raise RulesError(
                f"{source}: rule {number} ({rule.name!r}): name: rule {names[rule.name]} has it too"
            )
        names[rule.name] = number
        if rule.needed is not None and rule.owner is None:
            raise RulesError(
                f"{source}: rule {number} ({rule.name!r}): needed: give owner (whose log)"
            )
        if not rules.channels(rule):
            raise RulesError(
                f"{source}: rule {number} ({rule.name!r}): channels: none, and no default"
            )
    return rules


def _where(data: Mapping[str, Any], error: ValidationError) -> str:
    item = error.errors()[0]
    location = list(item["loc"])
    message = str(item["msg"]).removeprefix("Value error, ")
    if location[:1] == ["rule"] and len(location) >= 2 and isinstance(location[1], int):
        number = location[1] + 1
        listed = data.get("rule")
        name = ""
        if isinstance(listed, list) and location[1] < len(listed):
            entry = listed[location[1]]
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                name = f" ({entry['name'][:80]!r})"
        field = ".".join(str(part) for part in location[2:]) or "rule"
        return f"rule {number}{name}: {field}: {message}"
    return f"{'.'.join(str(part) for part in location) or 'file'}: {message}"


def load_rules(path: Path) -> Rules:
    """Read and check the rules file at `path`; `RulesError` for any problem, named."""
    try:
        size = path.stat().st_size
        if size > MAX_RULES_BYTES:
            raise RulesError(f"{path}: {size:,} bytes; at most {MAX_RULES_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulesError(f"{path}: cannot be read: {error}") from None
    return parse_rules(text, str(path))

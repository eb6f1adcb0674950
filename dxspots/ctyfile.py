"""Parse the AD1C country files (``cty.dat`` and ``cty.csv``) into lookup tables.

``cty.dat`` is a list of records, each ended by ``;``::

    Fed. Rep. of Germany:     14:  28:  EU:   51.00:   -10.00:    -1.0:  DL:
        DA,DB,DC,...,=DL0ABC(15)[29];

The header holds name, CQ zone, ITU zone, continent, latitude (+N), longitude (+W),
the UTC offset (also +W: Germany is written ``-1.0``) and the primary prefix. The primary
prefix only names the entity: matching uses the alias list that follows it. Aliases are
prefixes, or full calls when they start with ``=``; either may carry overrides ``(cq)``,
``[itu]``, ``<lat/lon>``, ``{continent}`` and ``~utc offset~``. A ``*`` before the primary
prefix marks an entity that is only on the DARC WAE list: it counts in CQ and WAE contests
but not for DXCC, and CT (the program the format was made for) ignores it otherwise.
Such entities repeat some exact calls of their parent entity (Shetland's are also listed
under Scotland); with WAE entities kept, the WAE entity wins those duplicates.

``cty.csv`` carries the same data with the ADIF entity number in the third column; only
that number is read from it, keyed by primary prefix.

This module stores longitudes and UTC offsets in the conventional signs: east positive,
and local time = UTC + ``utc_offset`` (Germany +1.0).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

logger = logging.getLogger(__name__)

CONTINENTS = frozenset({"AF", "AN", "AS", "EU", "NA", "OC", "SA"})

_NUM = r"[-+]?\d+(?:\.\d+)?"
_OVERRIDE = rf"\(\d+\)|\[\d+\]|<{_NUM}/{_NUM}>|\{{[A-Z]{{2}}\}}|~{_NUM}~"
_TOKEN_RE = re.compile(rf"(=?)([A-Z0-9/]+)((?:{_OVERRIDE})*)")
_OVERRIDE_RE = re.compile(
    rf"\((?P<cq>\d+)\)|\[(?P<itu>\d+)\]|<(?P<lat>{_NUM})/(?P<lon>{_NUM})>"
    rf"|\{{(?P<cont>[A-Z]{{2}})\}}|~(?P<tz>{_NUM})~"
)
_VERSION_RE = re.compile(r"VER(\d{8})")
_CSV_ROW_RE = re.compile(r"\*?([A-Za-z0-9/]+),.*?,(\d+),(?:AF|AN|AS|EU|NA|OC|SA),")


class CtyError(ValueError):
    """A country file could not be read, parsed, downloaded or installed."""


@dataclass(frozen=True, slots=True)
class Entity:
    """One country-file entity, or one alias of it with its overrides applied."""

    name: str
    prefix: str
    """The primary prefix, without the WAE ``*`` (``DL``, ``KH6``, ``GM/s``)."""
    adif: int | None
    """The ADIF entity number from ``cty.csv``; ``None`` without it."""
    continent: str
    cq_zone: int
    itu_zone: int
    lat: float
    lon: float
    """Degrees, east positive (the file writes west positive)."""
    utc_offset: float
    """Hours to add to UTC for local time (the file writes the opposite sign)."""


@dataclass(frozen=True, slots=True)
class CountryTables:
    """The lookup tables built from one ``cty.dat`` (and optionally ``cty.csv``)."""

    entities: tuple[Entity, ...]
    prefixes: Mapping[str, Entity]
    exact: Mapping[str, Entity]
    version: str | None
    skipped: int
    """Malformed records and alias tokens that were skipped."""
    longest_prefix: int


@dataclass(frozen=True, slots=True)
class _Record:
    entity: Entity
    wae: bool
    aliases: str


def parse_adif_numbers(csv_text: str) -> dict[str, int]:
    """Map each primary prefix in a ``cty.csv`` text to its ADIF entity number.

    Rows that do not look like country-file rows are skipped, never raised on.
    """
    numbers: dict[str, int] = {}
    for line in csv_text.splitlines():
        match = _CSV_ROW_RE.match(line.strip().lstrip("\ufeff"))
        if match is not None:
            numbers.setdefault(match.group(1), int(match.group(2)))
    return numbers


def parse_dat(
    dat_text: str, adif: Mapping[str, int] | None = None, *, wae: bool = False
) -> CountryTables:
    """Parse a ``cty.dat`` text into prefix and exact-call tables.

    ``adif`` maps primary prefixes to ADIF numbers (see `parse_adif_numbers`). WAE-only
    entities (``*`` prefix) are left out unless ``wae`` is true. Malformed records are
    logged and counted in ``skipped``; raises `CtyError` only when no entity is found.
    """
    adif = adif or {}
    records: list[_Record] = []
    skipped = 0
    for chunk in dat_text.lstrip("\ufeff").split(";"):
        if not chunk.strip():
            continue
        record = _parse_record(chunk, adif)
        if record is None:
            skipped += 1
        elif wae or not record.wae:
            records.append(record)
    if not records:
        raise CtyError("no entity records found (is this a cty.dat file?)")
    entities = tuple(r.entity for r in records)
    # WAE entities first, so that they win the exact calls they share with their parent.
    records.sort(key=lambda r: not r.wae)
    prefixes: dict[str, Entity] = {}
    exact: dict[str, Entity] = {}
    version: str | None = None
    for record in records:
        for is_exact, key, entity in _aliases(record, prefixes, exact):
            if entity is None:
                skipped += 1
                continue
            version_match = _VERSION_RE.fullmatch(key) if is_exact else None
            if version_match is not None:
                version = version or version_match.group(1)
                continue
            (exact if is_exact else prefixes).setdefault(key, entity)
    if skipped:
        logger.warning("country file: skipped %d malformed records or aliases", skipped)
    return CountryTables(
        entities=entities,
        prefixes=prefixes,
        exact=exact,
        version=version,
        skipped=skipped,
        longest_prefix=max((len(p) for p in prefixes), default=0),
    )


def _parse_record(chunk: str, adif: Mapping[str, int]) -> _Record | None:
    """Parse one ``header: aliases`` chunk; return None when the header is malformed."""
    fields = chunk.split(":", 8)
    if len(fields) != 9:
        logger.debug("country file: record without 8 header fields: %.60r", chunk)
        return None
    name, cq, itu, continent, lat, lon, tz, primary = (f.strip() for f in fields[:8])
    try:
        cq_zone, itu_zone = int(cq), int(itu)
        latitude, west, west_tz = float(lat), float(lon), float(tz)
    except ValueError:
        logger.debug("country file: bad numbers in header of %r", name)
        return None
    prefix = primary.lstrip("*")
    if not name or not prefix or continent not in CONTINENTS:
        logger.debug("country file: bad header for %r", name)
        return None
    entity = Entity(
        name=name,
        prefix=prefix,
        adif=adif.get(prefix),
        continent=continent,
        cq_zone=cq_zone,
        itu_zone=itu_zone,
        lat=latitude,
        lon=0.0 - west,
        utc_offset=0.0 - west_tz,
    )
    return _Record(entity=entity, wae=primary.startswith("*"), aliases=fields[8])


def _aliases(
    record: _Record, prefixes: Mapping[str, Entity], exact: Mapping[str, Entity]
) -> Iterator[tuple[bool, str, Entity | None]]:
    """Yield ``(is_exact, key, entity)`` per alias token; entity is None for a bad token."""
    overridden: dict[str, Entity] = {}
    for token in record.aliases.replace(",", " ").upper().split():
        match = _TOKEN_RE.fullmatch(token)
        if match is None:
            logger.debug("country file: bad alias %r under %r", token, record.entity.name)
            yield False, token, None
            continue
        is_exact, key, overrides = match.group(1) == "=", match.group(2), match.group(3)
        if key in (exact if is_exact else prefixes):
            continue  # an earlier record (or a WAE entity) already owns it
        entity = record.entity
        if overrides:
            entity = overridden.get(overrides) or _override(entity, overrides)
            overridden[overrides] = entity
        yield is_exact, key, entity


def _override(entity: Entity, overrides: str) -> Entity:
    """Return ``entity`` with the ``(cq)[itu]<lat/lon>{cont}~tz~`` overrides applied."""
    changes: dict[str, object] = {}
    for match in _OVERRIDE_RE.finditer(overrides):
        cq, itu, lat, lon, cont, tz = match.group("cq", "itu", "lat", "lon", "cont", "tz")
        if cq is not None:
            changes["cq_zone"] = int(cq)
        elif itu is not None:
            changes["itu_zone"] = int(itu)
        elif lat is not None and lon is not None:
            changes["lat"] = float(lat)
            changes["lon"] = 0.0 - float(lon)
        elif cont is not None and cont in CONTINENTS:
            changes["continent"] = cont
        elif tz is not None:
            changes["utc_offset"] = 0.0 - float(tz)
    return replace(entity, **changes)  # type: ignore[arg-type]

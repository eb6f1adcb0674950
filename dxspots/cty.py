"""Look up the country-file entity (DXCC, zones, continent) of a callsign.

Build a `CountryFile` once from the AD1C ``cty.dat`` (optionally with ``cty.csv`` for ADIF
numbers) and pass it to whatever enriches spots; `CountryFile.lookup` memoises its answers,
so a busy feed costs one dictionary hit per repeated call.

Lookup follows cty.dat-based loggers (CT's conventions as Tlf and pyhamtools implement
them); docs/cty-agreement.md measures the agreement and explains each choice:

- uppercase, and strip a spotter's SSID or skimmer marker (``-1``, ``-#``, ``-2-#``, ``-@``);
- an ``=`` exact call in the file wins, with its zone overrides (also after ``/P``-like
  modifiers are stripped: ``K2GT/P`` is whatever ``K2GT`` is);
- ``/MM`` (maritime mobile) and ``/AM`` (aeronautical mobile) have no entity: None;
- modifiers are ignored: any one-letter part (``/P``, ``/M``, ``/A``, ``/B``), ``/QRP``,
  ``/LH``, ``/BCN``, ``/LGT`` and other all-letter parts of three or more letters that are
  not prefixes, and numbers of two or more digits;
- a single trailing digit replaces the call-area digit of the home call (``UA9ABC/1`` is
  looked up as ``UA1ABC``: European Russia; ``JA1ABC/6`` stays in Japan), keeping the home
  call's entity if the new call matches nothing or if the digit belongs to the ITU prefix
  (``D7``, ``H3``, ``VP9``: the letters alone match no prefix); for a US call (``K``,
  ``N``, ``W``, ``AA``-``AL``, possessions included) it names a mainland call district, so
  ``W1AW/4`` and ``KH6ABC/4`` are in the USA (not Midway, ``KH4``);
- of two remaining parts the shorter one is the location (``VP2V/W1ABC``, ``W1AW/KH6``,
  ``DL/PA3ABC/P``); on a tie the first one;
- otherwise the longest matching prefix of the call.

Anything that is not a plausible call (empty, other characters, no digit, too long) gives
None; `lookup` never raises.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from dxspots.ctyfile import CountryTables, CtyError, Entity, parse_adif_numbers, parse_dat

__all__ = [
    "CACHE_LIMIT",
    "CountryFile",
    "CtyError",
    "Entity",
    "base_call",
    "find_country_file",
]

CACHE_LIMIT: Final = 200_000
"""Memoised lookups kept before the cache is emptied and starts again."""
MAX_CALL_LENGTH: Final = 24
"""Longer strings are not calls (the longest exact call in Big CTY has 13 characters)."""

_SSID_RE = re.compile(r"(?:-(?:\d{1,2}|[#@]))+$")
_CALL_RE = re.compile(r"[A-Z0-9/]*[0-9][A-Z0-9/]*")
_AREA_RE = re.compile(r"([0-9]?[A-Z]+[0-9]*)([0-9])")
_US_CALL_RE = re.compile(r"(?:A[A-L]|[KNW][A-Z]?)[0-9]")
_NO_ENTITY: Final = frozenset({"MM", "AM"})
_MODIFIERS: Final = frozenset({"QRP", "QRPP", "QRO", "LGT", "LH", "BCN", "PM"})
_MISSING: Final = object()


def base_call(call: str) -> str:
    """Return the call uppercased, without SSID or skimmer suffixes (``KM3T-2-#`` → ``KM3T``)."""
    return _SSID_RE.sub("", call.strip().upper())


def find_country_file(cty_path: Path | None, data_dir: Path) -> Path | None:
    """Choose the country file: the configured path, else ``data_dir/cty.dat`` if it exists.

    Only stats the file system; returns None when there is nothing to load.
    """
    if cty_path is not None:
        return cty_path
    candidate = data_dir / "cty.dat"
    return candidate if candidate.is_file() else None


class CountryFile:
    """A parsed country file answering callsign → `Entity` lookups, memoised."""

    __slots__ = ("_cache", "_cache_limit", "_exact", "_longest", "_prefixes", "entities", "version")

    def __init__(self, tables: CountryTables, *, cache_limit: int = CACHE_LIMIT) -> None:
        """Wrap parsed tables; ``cache_limit`` bounds the memo of answers."""
        self.entities: tuple[Entity, ...] = tables.entities
        self.version: str | None = tables.version
        self._prefixes = tables.prefixes
        self._exact = tables.exact
        self._longest = tables.longest_prefix
        self._cache: dict[str, Entity | None] = {}
        self._cache_limit = max(1, cache_limit)

    def __repr__(self) -> str:
        """Show the version and size, not the tables."""
        return f"<CountryFile version={self.version} entities={len(self.entities)}>"

    @classmethod
    def from_text(
        cls, dat_text: str, csv_text: str | None = None, *, wae: bool = False
    ) -> CountryFile:
        """Build from the text of ``cty.dat`` and, optionally, ``cty.csv`` for ADIF numbers.

        WAE-only entities (Sicily, Shetland, European Turkey, ...) are used only when
        ``wae`` is true; otherwise their calls fall to the DXCC entity. Raises `CtyError`
        when the ``cty.dat`` text holds no entity or the ``cty.csv`` text no row.
        """
        adif: dict[str, int] | None = None
        if csv_text is not None:
            adif = parse_adif_numbers(csv_text)
            if not adif:
                raise CtyError("no entity rows found in the cty.csv text")
        return cls(parse_dat(dat_text, adif, wae=wae))

    @classmethod
    def load(
        cls, dat_path: Path, csv_path: Path | None = None, *, wae: bool = False
    ) -> CountryFile:
        """Read and parse ``cty.dat`` (and ``cty.csv`` if given) from disk.

        Raises `CtyError` naming the file when it cannot be read, is empty or holds no
        entity.
        """
        dat_text = _read(dat_path)
        csv_text = None if csv_path is None else _read(csv_path)
        try:
            return cls.from_text(dat_text, csv_text, wae=wae)
        except CtyError as exc:
            raise CtyError(f"{dat_path}: {exc}") from exc

    def lookup(self, call: str) -> Entity | None:
        """Return the entity of ``call`` (a spot's DX call or spotter), or None if unknown."""
        found = self._cache.get(call, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        if len(call) > 2 * MAX_CALL_LENGTH:
            return None  # not worth a cache slot
        entity = self._resolve(call)
        if len(self._cache) >= self._cache_limit:
            self._cache.clear()
        self._cache[call] = entity
        return entity

    def _resolve(self, raw: str) -> Entity | None:
        """Apply the lookup rules of the module docstring to one call, uncached."""
        call = base_call(raw)
        hit = self._exact.get(call)
        if hit is not None:
            return hit
        if len(call) > MAX_CALL_LENGTH or _CALL_RE.fullmatch(call) is None:
            return None
        parts = [part for part in call.split("/") if part]
        if any(part in _NO_ENTITY for part in parts[1:]):
            return None
        kept = [parts[0], *(part for part in parts[1:] if not self._is_modifier(part))]
        area = kept.pop() if len(kept) > 1 and len(kept[-1]) == 1 and kept[-1].isdigit() else None
        if len(kept) > 1:
            return self._longest_match(min(kept[:2], key=len))
        home = kept[0]
        if area is not None:
            moved = self._longest_match(self._replace_area(home, area))
            return moved if moved is not None else self._longest_match(home)
        if len(parts) > 1:
            hit = self._exact.get(home)
            if hit is not None:
                return hit
        return self._longest_match(home)

    def _is_modifier(self, part: str) -> bool:
        """Tell whether a ``/part`` after the first says how, not where, the station is."""
        if len(part) == 1:
            return part.isalpha()
        if part.isdigit() or part in _MODIFIERS:
            return True
        return len(part) >= 3 and part.isalpha() and part not in self._prefixes

    def _replace_area(self, home: str, digit: str) -> str:
        """Put ``digit`` in place of the call-area digit of ``home`` (``JA1ABC``, 6 → ``JA6ABC``).

        A US call moves to the mainland district (``KH6ABC``, 4 → ``W4ABC``). A call whose
        letters before the digit match no prefix on their own is left alone: there the digit
        is part of the country's prefix (``D7ABC`` Korea, ``VP9ABC`` Bermuda).
        """
        us_call = _US_CALL_RE.match(home)
        if us_call is not None:
            return f"W{digit}{home[us_call.end() :]}"
        match = _AREA_RE.match(home)
        if match is None:
            return home
        letters = match.group(1)
        if self._longest_match(letters) is None:
            return home
        return f"{letters}{digit}{home[match.end() :]}"

    def _longest_match(self, text: str) -> Entity | None:
        """Return the entity of the longest prefix alias that starts ``text``."""
        prefixes = self._prefixes
        for length in range(min(len(text), self._longest), 0, -1):
            hit = prefixes.get(text[:length])
            if hit is not None:
                return hit
        return None


def _read(path: Path) -> str:
    """Read a country file as text; raise `CtyError` when unreadable or empty."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CtyError(f"cannot read country file {path}: {exc.strerror or exc}") from exc
    if not data.strip():
        raise CtyError(f"country file {path} is empty")
    return data.decode("utf-8", errors="replace")

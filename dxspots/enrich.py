"""Enrichment: band, mode, DXCC entity of both stations, spotter base call, QSX, locator.

Everything here is pure; the country file is loaded by the caller and passed in. Without
one the pipeline still runs and the entity fields stay empty.
"""

from __future__ import annotations

from collections.abc import Callable

from dxspots.bands import band_for
from dxspots.comment import locator_from_comment, qsx_from_comment
from dxspots.cty import CountryFile, Entity, base_call
from dxspots.modes import detect_mode
from dxspots.spot import PARSED_FIELDS, Spot

_MODE = len(PARSED_FIELDS) - 2
"""mode and locator are the last two fields a parser fills (tests/unit/test_enrich.py pins
it), so enrichment replaces them and appends the rest with one slice."""
try:  # the optional C enrichment of skimmer spots (dxspots/_cenrich.pyx)
    from dxspots._cenrich import FastEnricher
except ModuleNotFoundError as missing:  # built without Cython or a compiler
    if missing.name != "dxspots._cenrich":
        raise
    FastEnricher = None  # type: ignore[assignment, misc]

_NO_ENTITY: tuple[None, ...] = (None,) * 7
_new = tuple.__new__  # builds a Spot without NamedTuple's keyword-handling __new__
CACHE_LIMIT = 200_000
"""Calls remembered per cache before it is emptied (a busy day sees ~50,000 distinct calls)."""


def entity_fields(entity: Entity | None) -> tuple[object, ...]:
    """The seven entity columns of a spot, in table order."""
    if entity is None:
        return _NO_ENTITY
    return (
        entity.name,
        entity.adif,
        entity.continent,
        entity.cq_zone,
        entity.itu_zone,
        entity.lat,
        entity.lon,
    )


class Enricher:
    """Derive the enrichment fields of spots, with an optional country file.

    The per-call work (entity lookup, spotter base call) is memoised here, keyed by the call
    as sent, so a call seen before costs one dictionary look-up.
    """

    enrich: Callable[[Spot], Spot]
    """Return a spot with band, mode, locator, QSX, spotter base and both entities set.

    The C speed-up (`dxspots._cenrich.FastEnricher`) when it is built, which handles
    skimmer spots and plain human spots and hands everything else to `enrich_spot`;
    `enrich_spot` otherwise.
    """

    def __init__(self, country_file: CountryFile | None) -> None:
        self.country_file = country_file
        self._dx: dict[str, tuple[object, ...]] = {}
        self._spotters: dict[str, tuple[object, ...]] = {}
        self.enrich = (
            self.enrich_spot
            if FastEnricher is None
            else FastEnricher(self, self.enrich_spot).enrich
        )

    def _dx_fields(self, call: str) -> tuple[object, ...]:
        if len(self._dx) >= CACHE_LIMIT:
            self._dx.clear()
        cf = self.country_file
        fields = entity_fields(cf.lookup(call)) if cf is not None else _NO_ENTITY
        self._dx[call] = fields
        return fields

    def _spotter_fields(self, call: str) -> tuple[object, ...]:
        if len(self._spotters) >= CACHE_LIMIT:
            self._spotters.clear()
        cf = self.country_file
        fields = (base_call(call), *(entity_fields(cf.lookup(call)) if cf else _NO_ENTITY))
        self._spotters[call] = fields
        return fields

    def enrich_spot(self, spot: Spot) -> Spot:
        """Return `spot` with band, mode, locator, QSX, spotter base and both entities set."""
        freq = spot.freq_khz
        comment = spot.comment
        mode = detect_mode(comment, freq, spot.mode)
        locator = spot.locator
        qsx = None
        # A skimmer's comment is its own report (mode, SNR, speed): no QSX, no locator.
        if comment and not spot.is_skimmer:
            if locator is None:
                locator = locator_from_comment(comment)
            qsx = qsx_from_comment(comment, freq)
        dx = self._dx.get(spot.dx_call) or self._dx_fields(spot.dx_call)
        spotter = self._spotters.get(spot.spotter) or self._spotter_fields(spot.spotter)
        return _new(
            Spot,
            spot[:_MODE] + (mode, locator, band_for(freq), spotter[0], qsx) + dx + spotter[1:],
        )

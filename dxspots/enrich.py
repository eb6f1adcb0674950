"""Enrichment: band, mode, DXCC entity of both stations, spotter base call, QSX, locator.

Everything here is pure; the country file is loaded by the caller and passed in. Without
one the pipeline still runs and the entity fields stay empty.
"""

from __future__ import annotations

from dxspots.bands import band_for
from dxspots.comment import locator_from_comment, qsx_from_comment
from dxspots.cty import CountryFile, Entity, base_call
from dxspots.modes import detect_mode
from dxspots.spot import PARSED_FIELDS, Spot

_MODE = Spot._fields.index("mode")
_LOCATOR = Spot._fields.index("locator")
_PARSED = len(PARSED_FIELDS)
_NO_ENTITY: tuple[None, ...] = (None,) * 7


def _entity_fields(entity: Entity | None) -> tuple[object, ...]:
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
    """Derive the enrichment fields of spots, with an optional country file."""

    def __init__(self, country_file: CountryFile | None) -> None:
        self.country_file = country_file

    def enrich(self, spot: Spot) -> Spot:
        """Return `spot` with band, mode, locator, QSX, spotter base and both entities set."""
        freq = spot.freq_khz
        comment = spot.comment
        mode = detect_mode(comment, freq, spot.mode)
        locator = spot.locator
        if locator is None and comment:
            locator = locator_from_comment(comment)
        lookup = self.country_file.lookup if self.country_file is not None else None
        derived = (
            band_for(freq),
            base_call(spot.spotter),
            qsx_from_comment(comment, freq) if comment else None,
            *_entity_fields(lookup(spot.dx_call) if lookup else None),
            *_entity_fields(lookup(spot.spotter) if lookup else None),
        )
        return Spot._make(
            spot[:_MODE]
            + (mode,)
            + spot[_MODE + 1 : _LOCATOR]
            + (locator,)
            + spot[_LOCATOR + 1 : _PARSED]
            + derived
        )

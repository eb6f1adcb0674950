from collections.abc import Callable

from dxspots.spot import Spot

class FastEnricher:
    def __init__(self, enricher: object, fallback: Callable[[Spot], Spot]) -> None: ...
    def enrich(self, spot: Spot) -> Spot: ...

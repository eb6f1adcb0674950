from datetime import datetime

from dxspots.spot import Spot

def parse_dx_de(line: str, received_at: datetime, node: str | None) -> Spot | None: ...

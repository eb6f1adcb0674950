"""How many rows a rollup of a window would hold, by grouping: the floor of any exact design.

    python bench/window_groups.py --target 30000000 --days 120 --end 2026-11-30T00:00Z --last 7

Generates the last `--last` days of a `bench/history.py` history (no database: lines, parse,
enrichment) and counts, per time grain (day, 3 hours, hour, 5 minutes), the distinct groups
a rollup keyed that way would hold: per DX call; per call and every filter dimension (band,
mode, both continents, skimmer, entity); per call and spotter (what exact distinct spotters
need); per spotter and its dimensions; per entity; per band, mode and call (band activity's
distinct calls). A rollup cannot be smaller than its groups, so these bound what an exact
answer over the window reads.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.history import History, scale_for
from dxspots.parse import parse_line
from dxspots.spot import Spot

DIMENSIONS = ["band", "mode", "spotter_continent", "dx_continent", "is_skimmer", "dx_entity"]
GROUPINGS = {
    "call": ["dx_call"],
    "call x dimensions": ["dx_call", *DIMENSIONS],
    "call x spotter": ["dx_call", "spotter_base"],
    "spotter x dimensions": ["spotter_base", *DIMENSIONS],
    "entity x dimensions": DIMENSIONS,
    "band x mode x call": ["band", "mode", "dx_call"],
}
GRAINS = {"day": "D", "3 hours": "3h", "hour": "h", "5 minutes": "5min"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--days", type=float, required=True)
    parser.add_argument("--end", required=True, help="ISO 8601, UTC")
    parser.add_argument("--last", type=int, default=7, help="days at the end to count")
    args = parser.parse_args()
    end = datetime.fromisoformat(args.end.replace("Z", "+00:00")).astimezone(UTC)
    history = History(days=args.days, end=end, scale=scale_for(args.target, args.days, end), seed=1)
    rows = []
    for number in range(history.hours - 24 * args.last, history.hours):
        for line, received in history.lines(history.start + timedelta(hours=number), number):
            spot = parse_line(line, received)
            assert isinstance(spot, Spot)
            spot = history.enricher.enrich(spot)
            rows.append({"spot_time": spot.spot_time, "dx_call": spot.dx_call,
                         "spotter_base": spot.spotter_base,
                         **{name: getattr(spot, name) for name in DIMENSIONS}})  # fmt: skip
    frame = pd.DataFrame(rows)
    print(f"last {args.last} days: {len(frame):,} spots, {frame.dx_call.nunique():,} DX calls,"
          f" {frame.spotter_base.nunique():,} spotters")  # fmt: skip
    for grain, freq in GRAINS.items():
        frame["bucket"] = frame.spot_time.dt.floor(freq)
        counts = {
            name: len(frame.groupby(["bucket", *keys], dropna=False))
            for name, keys in GROUPINGS.items()
        }
        print(f"  per {grain}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()

"""What share of the real cluster lines the parser understands, and of their shapes issue 13 named.

Reads every line file in ../shared/data/lines (real DXSpider, AR-Cluster, CC Cluster and RBN
output; the RBN archive CSV is the importer's, not the parser's) and prints, per file and in
all: how many lines came out as a record (a spot, a WWV/WCY report, an announcement) rather
than `other`, and how many `DX de` lines came out as spots.

Then the three shapes an outside check on held-out real output found missed, made from the
real lines themselves so nothing is invented but the change: every line with leading blanks;
every raw RBN skimmer line with its time's `Z` dropped (`... CQ 2259`); and every raw RBN
skimmer line with an AR-Cluster "DX extension" between the report and the time
(`... CQ  MA  2259Z`). Each variant is scored field by field against the spot the unchanged
line gives (time, frequency, calls, skimmer or not, mode, SNR, speed, spot type, comment), so
a variant that parses but loses its SNR counts as fields wrong, not as parsed.

Usage: python bench/parse_coverage.py
Run against another tree's parser with PYTHONPATH pointing at that tree (an exported commit
has no built C reader, so it runs the Python reference; the two agree, see test_speedups).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from dxspots.parse import parse_line
from dxspots.spot import Spot, record_kind

LINES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lines"
RECEIVED = datetime(2020, 7, 5, 23, 0, 30, tzinfo=UTC)
FIELDS = (
    "spot_time", "freq_khz", "dx_call", "spotter", "is_skimmer", "mode", "snr_db", "wpm",
    "bps", "spot_type", "comment",
)  # fmt: skip
_TIME_RE = re.compile(r" (\d{4})Z(\s*)$")
_RAW_RBN = re.compile(r"-#:\s.*\sdB\s+\d+ (?:WPM|BPS)")


def file_lines(path: Path) -> list[str]:
    """The lines of one file; flcluster's capture spells CR, LF and BEL out as text."""
    text = path.read_text("latin-1")
    if "<cr>" in text or "<BELL>" in text:
        text = text.replace("<cr>", "\r").replace("<lf>", "").replace("<BELL>", "\x07")
    return [line for line in text.split("\n") if line]


def variants(line: str) -> dict[str, str]:
    """The held-out shapes this real line can be turned into."""
    out = {"leading blanks": "  " + line}
    if _RAW_RBN.search(line) and _TIME_RE.search(line):
        out["time without Z"] = _TIME_RE.sub(r" \1\2", line)
        out["AR-Cluster extension"] = _TIME_RE.sub(r"  MA  \1Z\2", line)
    return out


def main() -> int:
    paths = sorted(LINES.glob("*.txt"))
    if not paths:
        print(f"no line files under {LINES}", file=sys.stderr)
        return 1
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    print(f"{'file':<40} {'lines':>6} {'records':>8} {'DX de':>6} {'spots':>6}")
    for path in paths:
        counts: Counter[str] = Counter()
        for line in file_lines(path):
            record = parse_line(line, RECEIVED, "n")
            dx_line = line.lstrip().startswith("DX de ")
            counts["lines"] += 1
            counts["records"] += record_kind(record) != "other"
            counts["dx"] += dx_line
            counts["spots"] += dx_line and isinstance(record, Spot)
            if not (dx_line and isinstance(record, Spot)):
                continue
            for shape, variant in variants(line).items():
                other = parse_line(variant, RECEIVED, "n")
                asked[shape] += len(FIELDS)
                if isinstance(other, Spot):
                    right[shape] += sum(
                        getattr(other, name) == getattr(record, name) for name in FIELDS
                    )
        total.update(counts)
        print(
            f"{path.name:<40} {counts['lines']:>6} {counts['records']:>8} {counts['dx']:>6} "
            f"{counts['spots']:>6}"
        )
    print(
        f"{'all':<40} {total['lines']:>6} {total['records']:>8} {total['dx']:>6} "
        f"{total['spots']:>6}"
    )
    print(
        f"\nrecords: {total['records'] / total['lines']:.1%} of {total['lines']} lines; "
        f"spots: {total['spots'] / total['dx']:.1%} of {total['dx']} DX de lines"
    )
    print("\nheld-out shapes made from the real spot lines (fields right / fields):")
    for shape in ("leading blanks", "time without Z", "AR-Cluster extension"):
        share = right[shape] / asked[shape]
        print(f"  {shape:<22} {right[shape]:>5} / {asked[shape]:<5} {share:.1%}")
    all_right, all_asked = sum(right.values()), sum(asked.values())
    print(f"  {'all three':<22} {all_right:>5} / {all_asked:<5} {all_right / all_asked:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

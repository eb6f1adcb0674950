"""Parse + enrich throughput on one core, lines per second.

Feeds the synthetic corpus (bench/corpus.py: RBN and human spots over 20,000 distinct calls,
reports, announcements, prompts, with BELs) through `parse_line` and `Enricher.enrich` with
the real country file when ../shared/data/cty is present (the small test fixture otherwise),
median of several runs. Baselines measured in the same run, on the same lines:

- `clean_line` alone (the least any parser must do per line);
- `parse_line` alone (no enrichment);
- parse + enrich in pure Python: the same run with the optional C paths switched off.

Usage: python bench/parse_enrich.py [--lines 300000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dxspots.parse
from bench.corpus import make_lines
from dxspots.cty import CountryFile
from dxspots.enrich import Enricher
from dxspots.parse import clean_line, parse_line
from dxspots.spot import Spot

REPO = Path(__file__).resolve().parents[1]
REAL_CTY = REPO.parent / "shared" / "data" / "cty"
RECEIVED = datetime(2026, 11, 27, 23, 59, tzinfo=UTC)


def load_country_file() -> tuple[CountryFile, str]:
    if (REAL_CTY / "cty.dat").exists():
        return CountryFile.load(REAL_CTY / "cty.dat", REAL_CTY / "cty.csv"), "real cty.dat"
    fixture = REPO / "tests" / "fixtures"
    return CountryFile.load(fixture / "cty_small.dat", fixture / "cty_small.csv"), "test fixture"


def time_clean(lines: list[str]) -> float:
    start = time.perf_counter()
    for line in lines:
        clean_line(line)
    return len(lines) / (time.perf_counter() - start)


def time_parse(lines: list[str]) -> float:
    start = time.perf_counter()
    for line in lines:
        parse_line(line, RECEIVED, "bench")
    return len(lines) / (time.perf_counter() - start)


def time_parse_enrich(lines: list[str], country_file: CountryFile, c_paths: bool = True) -> float:
    enricher = Enricher(country_file)  # a fresh cache each run: cold start included
    enrich = enricher.enrich if c_paths else enricher.enrich_spot
    fast = dxspots.parse._fast_dx_de
    if not c_paths:
        dxspots.parse._fast_dx_de = None
    try:
        return _loop(lines, enrich)
    finally:
        dxspots.parse._fast_dx_de = fast


def _loop(lines: list[str], enrich: Callable[[Spot], Spot]) -> float:
    start = time.perf_counter()
    for line in lines:
        record = parse_line(line, RECEIVED, "bench")
        if type(record) is Spot:
            enrich(record)
    return len(lines) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    which = load_country_file()[1]
    summary = []
    for mix in ("mixed", "rbn", "human"):
        lines = make_lines(args.lines, mix=mix)
        results: dict[str, list[float]] = {
            "clean": [], "parse": [], "parse+enrich": [], "pure Python": []
        }  # fmt: skip
        for _ in range(args.runs):
            country_file = load_country_file()[0]  # cold lookup cache every run
            results["clean"].append(time_clean(lines))
            results["parse"].append(time_parse(lines))
            results["parse+enrich"].append(time_parse_enrich(lines, country_file))
            results["pure Python"].append(time_parse_enrich(lines, country_file, c_paths=False))
        base = statistics.median(results["clean"])
        print(f"\n{mix}: {len(lines):,} lines, {args.runs} runs (median), one core, {which}")
        for key, values in results.items():
            value = statistics.median(values)
            print(
                f"  {key + ':':<14} {value:>10,.0f} lines/s  {1e6 / value:5.2f} us/line  "
                f"({value / base:.2f} x clean_line; runs {min(values):,.0f}..{max(values):,.0f})"
            )
        summary.append(
            (
                mix,
                statistics.median(results["parse+enrich"]),
                statistics.median(results["pure Python"]),
            )
        )
    print(
        "\nparse+enrich: "
        + ", ".join(
            f"{mix} {c:,.0f} lines/s ({c / py:.2f} x pure Python)" for mix, c, py in summary
        )
    )


if __name__ == "__main__":
    main()

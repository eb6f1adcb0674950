"""`dxspots parse` as a user runs it: the command's own lines per second, against the library.

Writes the synthetic corpus (bench/corpus.py: mixed RBN and human spots, reports,
announcements, prompts, with BELs) to a file, then runs the real command on it as a
subprocess, `dxspots parse FILE --format jsonl` (and `--format csv`), output to a file, and
times the whole process: interpreter start, imports, loading the country file, reading,
parsing, enriching and writing. The median of several runs. The command's start-up alone
(the same command on an empty file) is printed beside it.

Baseline measured in the same run, on the same lines and country file: the library path the
command is built on, `parse_line` + `Enricher.enrich` in this process (what
bench/parse_enrich.py measures), with no output at all. The ratio says what reading and
writing cost on top of it.

Usage: python bench/parse_cli.py [--lines 300000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import make_lines
from dxspots.cty import CountryFile
from dxspots.enrich import Enricher
from dxspots.parse import parse_line
from dxspots.spot import Spot

REPO = Path(__file__).resolve().parents[1]
CTY = REPO.parent / "shared" / "data" / "cty" / "cty.dat"
RECEIVED = "2026-11-27T23:59:00Z"


def library(lines: list[str], cty: Path) -> float:
    """Parse + enrich in this process, lines per second (the country file loaded untimed)."""
    enricher = Enricher(CountryFile.load(cty, cty.with_name("cty.csv")))
    received = datetime.fromisoformat(RECEIVED)
    start = time.perf_counter()
    for line in lines:
        record = parse_line(line, received, None)
        if type(record) is Spot:
            enricher.enrich(record)
    return len(lines) / (time.perf_counter() - start)


def command(path: Path, fmt: str, out: Path, env: dict[str, str], cwd: Path) -> float:
    """Run `dxspots parse` on `path`; return its wall time in seconds."""
    dxspots = Path(sys.executable).with_name("dxspots")
    args = [str(dxspots), "parse", str(path), "--format", fmt, "--received-at", RECEIVED]
    with out.open("wb") as sink:
        start = time.perf_counter()
        subprocess.run(args, stdout=sink, stderr=subprocess.DEVNULL, env=env, cwd=cwd, check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cty = CTY if CTY.exists() else REPO / "tests" / "fixtures" / "cty_small.dat"
    lines = make_lines(args.lines)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        corpus, empty, out = work / "corpus.log", work / "empty.log", work / "out"
        corpus.write_bytes("".join(line + "\n" for line in lines).encode("latin-1"))
        empty.write_bytes(b"")
        env = {**os.environ, "DXSPOTS_CTY_PATH": str(cty)}
        results: dict[str, list[float]] = {
            "library": [], "start-up": [], "jsonl": [], "csv": []
        }  # fmt: skip
        for _ in range(args.runs):
            results["library"].append(library(lines, cty))
            results["start-up"].append(command(empty, "jsonl", out, env, work))
            results["jsonl"].append(len(lines) / command(corpus, "jsonl", out, env, work))
            results["csv"].append(len(lines) / command(corpus, "csv", out, env, work))
        size = out.stat().st_size
    base = statistics.median(results["library"])
    print(f"{len(lines):,} lines (mixed corpus), {args.runs} runs (median), country file {cty}")
    print(
        f"  library parse+enrich:    {base:>9,.0f} lines/s (baseline, no output; runs "
        f"{min(results['library']):,.0f}..{max(results['library']):,.0f})"
    )
    print(f"  command start-up:        {statistics.median(results['start-up']):>9.2f} s")
    for fmt in ("jsonl", "csv"):
        values = results[fmt]
        value = statistics.median(values)
        print(
            f"  dxspots parse --format {fmt + ':':<6} {value:>7,.0f} lines/s "
            f"({value / base:.2f} x library; runs {min(values):,.0f}..{max(values):,.0f})"
        )
    print(f"  (the last CSV output: {size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()

"""How long `make images` takes, cold, cached and after a code change; how big the images are.

    python bench/images.py [--cold-runs 2] [--cached-runs 5]

Cold: the role images, the stand-in bases (when this engine has no registry) and the build
cache are removed first, so each cold run bootstraps Debian, builds the Python and PostgreSQL
stand-ins and installs the three roles from the package index. Cached: `images.py --postgres`
again with everything in place (the state a second `make images` or a CI run on a warm
machine meets). After a code change: the same with one new module in dxspots/ (written and
removed by this script), as a developer's next `make images` meets it. Prints the median of
each, its ratio to cold, the time of each step of the last cold run, and every image's size.
Needs a Docker engine and root (debootstrap); it leaves the images built.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "deploy" / "docker" / "images.py"
ROLES = ("dxspots-api:latest", "dxspots-dashboard:latest", "dxspots-collector:latest")
CHANGE = REPO / "dxspots" / "_bench_images_change.py"
BASES = ("python:3.11-slim-bookworm", "postgres:15-bookworm", "debian:bookworm")


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=False).stdout


def build() -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(IMAGES), "--postgres"], capture_output=True, text=True, check=False
    )
    took = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"images.py failed:\n{done.stdout}{done.stderr}")
    return took, done.stdout


def forget_everything() -> None:
    docker("rmi", "--force", *ROLES, *BASES)
    docker("image", "prune", "--force")
    docker("builder", "prune", "--all", "--force")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold-runs", type=int, default=2)
    parser.add_argument("--cached-runs", type=int, default=5)
    args = parser.parse_args()
    cold, steps = [], ""
    for _ in range(args.cold_runs):
        forget_everything()
        took, steps = build()
        cold.append(took)
        print(f"cold run: {took:.1f} s", flush=True)
    cached = [build()[0] for _ in range(args.cached_runs)]
    changed = []
    for run in range(args.cached_runs):  # a change to the code: a new module in the context
        CHANGE.write_text(f"# bench/images.py: a change to the code, run {run}\n")
        try:
            changed.append(build()[0])
        finally:
            CHANGE.unlink()
    build()  # back to the tree as it is
    cold_median, cached_median = statistics.median(cold), statistics.median(cached)
    changed_median = statistics.median(changed)
    print(f"\ncold   median of {len(cold)}: {cold_median:6.1f} s  {cold}")
    print(f"cached median of {len(cached)}: {cached_median:6.1f} s  "
          f"({cached_median / cold_median:.3f} of cold)")  # fmt: skip
    print(f"after a code change, median of {len(changed)}: {changed_median:6.1f} s  "
          f"({changed_median / cold_median:.3f} of cold)")  # fmt: skip
    print("\nthe last cold run, step by step:")
    for line in steps.splitlines():
        if re.search(r"\(\d+\.\d s\)$", line):
            print(f"  {line}")
    print("\nimage sizes (uncompressed, as `docker images` counts them):")
    for image in (*ROLES, *BASES):
        size = docker("image", "inspect", "--format", "{{.Size}}", image).strip()
        if size:
            print(f"  {image:28} {int(size) / 1e6:7.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

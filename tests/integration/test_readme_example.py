"""The README's analyst example, as written there, on a new user's data: spots of the last
hours, stored before the country file came and re-enriched when it did."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.conftest import FIXTURES, REPO
from tests.e2e.test_up import bare_spots
from tests.integration.test_cli import run


def readme_commands() -> tuple[list[str], str]:
    """The `dxspots export` command and the pandas one-liner of "For analysts"."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("## For analysts") :]
    block = section[section.index("```") + 3 :]
    block = block[: block.index("```")].replace("\\\n", " ")
    export = next(line for line in block.splitlines() if "dxspots export" in line)
    pandas = next(line for line in block.splitlines() if line.startswith("python -c"))
    words = shlex.split(export)
    assert words[0].endswith("dxspots") and words[1] == "export", export
    return words[1:], shlex.split(pandas)[2]


def test_readme_analyst_example_works_on_fresh_spots(db_dsn: str, tmp_path: Path) -> None:
    args, one_liner = readme_commands()
    assert not any(re.fullmatch(r"20\d\d-.*", word) for word in args)  # no fixed dates
    stored = bare_spots(db_dsn)  # the first run: no country file yet
    env = {"DXSPOTS_DATABASE_URL": db_dsn, "DXSPOTS_CTY_PATH": str(FIXTURES / "cty_small.dat")}
    fixed = run("cty", "reenrich", env=env)  # what `cty update` (or `up`) then does
    assert fixed.returncode == 0 and f"of {stored} spots" in fixed.stdout, fixed.stderr

    export = run(*args, env=env, cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    frame = pd.read_parquet(tmp_path / "spots.parquet")
    assert len(frame) > 0 and f"exported {len(frame)} spots" in export.stderr
    assert set(frame["band"]) == {"20m"} and set(frame["spotter_continent"]) == {"EU"}

    shown = subprocess.run(
        [sys.executable, "-c", one_liner], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "Fed. Rep. of Germany" in shown.stdout  # a count per DX entity

"""The collector's Debian package as `make deb` builds it, and an upgrade of it, built once
per test session for the tests that install them: tests/integration/test_deb.py (dpkg in a
throwaway root) and tests/containers/test_systemd_boot.py (apt and systemd in a container)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import REPO

BUILD = REPO / "deploy" / "debian" / "build.py"
PACKAGE = "dxspots-collector"


def run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, check=False,
        env=env, cwd=cwd,
    )  # fmt: skip
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def build_debs(out: Path) -> tuple[Path, Path]:
    """Build the package into `out`, and its upgrade: the same tree repacked with a higher
    version and a settings file the next release changed, as the next release would be."""
    # What an earlier build left in setuptools' build folder must not ship (a module since
    # moved, as dxspots/cli.py did): the package test looks for this one.
    lib = REPO / "build" / f"lib.{sysconfig.get_platform()}-{sys.implementation.cache_tag}"
    (lib / "dxspots").mkdir(parents=True, exist_ok=True)
    (lib / "dxspots" / "stale_planted.py").write_text("LEFT = 'by an earlier build'\n")
    built = run(sys.executable, BUILD, "--out", out).strip().splitlines()[-1]
    first = Path(built)
    tree = out / "next"
    run("dpkg-deb", "-R", first, tree)
    control = tree / "DEBIAN" / "control"
    version = run("dpkg-deb", "-f", first, "Version").strip()
    control.write_text(control.read_text().replace(f"Version: {version}\n", "Version: 99.0\n"))
    settings = tree / "etc" / "dxspots" / "dxspots.env"  # the next release adds a setting
    settings.write_text(settings.read_text() + "#DXSPOTS_NEW_SETTING=\n")
    sums = tree / "DEBIAN" / "md5sums"
    digest = hashlib.md5(settings.read_bytes(), usedforsecurity=False).hexdigest()
    sums.write_text("".join(
        f"{digest}  etc/dxspots/dxspots.env\n" if line.endswith(" etc/dxspots/dxspots.env\n")
        else line for line in sums.read_text().splitlines(True)
    ))  # fmt: skip
    second = out / f"{PACKAGE}_99.0_{run('dpkg', '--print-architecture').strip()}.deb"
    run("dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", tree, second)
    return first, second

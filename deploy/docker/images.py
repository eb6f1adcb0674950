"""Build every image of deploy/docker/Dockerfile, and the base images it needs.

    python deploy/docker/images.py [--bases-only] [--postgres] [--tag TAG]
    python deploy/docker/images.py --systemd

(`make images` runs it.) The Dockerfile starts from python:3.11-slim-bookworm and compose.yaml
runs PostgreSQL from the image in POSTGRES_IMAGE. Each base is used as it is when the engine
already has it, pulled when a registry gives it, and otherwise built here as a local stand-in
under the same name, from Debian's own packages:

- debian:bookworm: a minimal root file system made by debootstrap from the Debian mirror this
  machine's apt already uses (read from its sources when this runs), imported into the engine.
- python:3.11-slim-bookworm: Debian 12's Python 3.11 with venv and pip, trusting the
  certificate authorities added to this machine (/usr/local/share/ca-certificates), so that pip
  reaches the package index through the same network as the host.
- postgres:15-bookworm: Debian 12's PostgreSQL 15 behind an entrypoint that keeps the official
  image's contract (standins/docker-entrypoint.sh). With `--postgres`, compose's default
  postgres:16-alpine is had if it can be, else this stand-in is built (or found), and the
  setting that picks it, POSTGRES_IMAGE=postgres:15-bookworm in .env, is printed.

`--systemd` builds only dxspots-debian-systemd:bookworm: Debian 12 with systemd as PID 1, the
collector package's dependencies and PostgreSQL 15, for tests/containers/test_systemd_boot.py.

Then the three roles are built as dxspots-api, dxspots-dashboard and dxspots-collector (the
names compose.yaml gives them). A second run is fast: what is there is kept, and the engine's
build cache covers the rest. Each step prints what it did and how long it took.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
STANDINS = HERE / "standins"
PYTHON_IMAGE = "python:3.11-slim-bookworm"
DEBIAN_IMAGE = "debian:bookworm"
POSTGRES_IMAGE = "postgres:15-bookworm"
OFFICIAL_POSTGRES = "postgres:16-alpine"  # compose.yaml's default
RELEASE = "bookworm"
TARGETS = ("api", "dashboard", "collector")
LOCAL_CAS = Path("/usr/local/share/ca-certificates")


class ImageError(RuntimeError):
    """An image could not be had; the message says why and what to do."""


def docker(*args: str, check: bool = True, timeout: float = 1800, **kwargs: object) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False,
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip
    if check and done.returncode != 0:
        raise ImageError(f"docker {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr}")
    return done.stdout


def engine_answers() -> bool:
    try:
        docker("version", "--format", "{{.Server.Version}}", timeout=10)
    except (ImageError, OSError, subprocess.TimeoutExpired):
        return False
    return True


def present(image: str) -> bool:
    return bool(docker("images", "--quiet", image, check=False).strip())


def pulled(image: str) -> bool:
    """Pull `image`; False when no registry gives it (these machines reach none)."""
    try:
        docker("pull", "--quiet", image, timeout=600)
    except (ImageError, subprocess.TimeoutExpired):
        return False
    return True


@dataclass(frozen=True)
class Source:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def apt_sources(root: Path = Path("/etc/apt")) -> list[Source]:
    """The `deb` entries of this machine's apt sources, one-line and deb822 alike."""
    found: list[Source] = []
    one_line = [root / "sources.list", *sorted((root / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb":
                found.append(Source(words[1], (words[2],), tuple(words[3:])))
    for path in sorted((root / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[0].isspace():
                    continue
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.strip()
            if "deb" not in fields.get("types", "").split():
                continue
            if fields.get("enabled", "yes").lower() == "no":
                continue
            for uri in fields.get("uris", "").split():
                found.append(
                    Source(uri, tuple(fields.get("suites", "").split()),
                           tuple(fields.get("components", "").split()))
                )  # fmt: skip
    return found


def debian_mirrors(sources: list[Source], release: str = RELEASE) -> tuple[str, str | None]:
    """The mirror serving `release` and the one serving its security updates, if any."""
    main = next((s.uri for s in sources if release in s.suites), None)
    if main is None:
        raise ImageError(
            f"no apt source of this machine serves Debian {release}: the stand-in images are "
            "bootstrapped from the mirror apt already uses (or use a machine that reaches a "
            "registry, where the official images are pulled instead)"
        )
    security = next((s.uri for s in sources if f"{release}-security" in s.suites), None)
    return main, security


def deb822(main: str, security: str | None, release: str = RELEASE) -> str:
    stanzas = [
        f"Types: deb\nURIs: {main}\nSuites: {release} {release}-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    ]
    if security:
        stanzas.append(
            f"Types: deb\nURIs: {security}\nSuites: {release}-security\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        )
    return "\n".join(stanzas)


def apt_checks_off() -> str:
    """The host's apt settings that turn off date checks on Release files (a frozen mirror)."""
    dump = subprocess.run(["apt-config", "dump"], capture_output=True, text=True, check=False)
    kept = [
        line for line in dump.stdout.splitlines()
        if re.match(r'Acquire::Check-(Valid-Until|Date) "(false|0)";', line)
    ]  # fmt: skip
    return "".join(line + "\n" for line in kept)


# Like the official slim images: no documentation, manual pages or translations.
DPKG_EXCLUDES = """\
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
"""


def bootstrap_debian(tag: str = DEBIAN_IMAGE) -> None:
    """debootstrap a minimal Debian 12 from this machine's mirror and import it as `tag`."""
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is missing: apt-get install debootstrap")
    if os.geteuid() != 0:
        raise ImageError("debootstrap needs root to build the Debian base: run as root")
    main, security = debian_mirrors(apt_sources())
    with tempfile.TemporaryDirectory(prefix="dxspots-debootstrap-") as tmp:
        root = Path(tmp) / "root"
        done = subprocess.run(
            ["debootstrap", "--variant=minbase", RELEASE, str(root), main],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            for mount in ("proc", "sys"):
                umount = ["umount", "--lazy", str(root / mount)]
                subprocess.run(umount, capture_output=True, check=False)
            raise ImageError(f"debootstrap failed:\n{done.stdout[-3000:]}{done.stderr}")
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        (root / "etc/apt/sources.list.d/debian.sources").write_text(deb822(main, security))
        (root / "etc/apt/apt.conf.d/90dxspots-mirror").write_text(apt_checks_off())
        (root / "etc/dpkg/dpkg.cfg.d/90dxspots-slim").write_text(DPKG_EXCLUDES)
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (root / leftover).glob("*"):
                if path.is_file():
                    path.unlink()
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        try:
            docker("import", "--change", 'CMD ["bash"]', "-", tag, stdin=tar.stdout)
        finally:
            tar.wait()


def build_standin(tag: str, dockerfile: str, files: dict[str, Path]) -> None:
    """docker build standins/`dockerfile` as `tag`, its context holding `files` (name: source)."""
    with tempfile.TemporaryDirectory(prefix="dxspots-standin-") as tmp:
        context = Path(tmp)
        shutil.copy(STANDINS / dockerfile, context / "Dockerfile")
        for name, source in files.items():
            if source.is_dir():
                shutil.copytree(source, context / name)
            else:
                shutil.copy2(source, context / name)
        docker("build", "--force-rm", "--tag", tag, str(context))


def local_certificates(into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    if LOCAL_CAS.is_dir():
        for cert in LOCAL_CAS.rglob("*.crt"):
            shutil.copy2(cert, into / cert.name)
    return into


@dataclass
class Step:
    image: str
    how: str
    seconds: float


def timed(image: str, how: str, since: float) -> Step:
    step = Step(image, how, time.monotonic() - since)
    print(f"{image}: {how} ({step.seconds:.1f} s)", flush=True)
    return step


def ensure_debian() -> Step:
    start = time.monotonic()
    if present(DEBIAN_IMAGE):
        return timed(DEBIAN_IMAGE, "present", start)
    if pulled(DEBIAN_IMAGE):
        return timed(DEBIAN_IMAGE, "pulled", start)
    bootstrap_debian()
    return timed(DEBIAN_IMAGE, "bootstrapped from the Debian mirror", start)


def ensure_base(image: str) -> Iterator[Step]:
    """Have `image` (the Python or the PostgreSQL base), by the cheapest way there is."""
    start = time.monotonic()
    if present(image):
        yield timed(image, "present", start)
        return
    if pulled(image):
        yield timed(image, "pulled", start)
        return
    yield ensure_debian()
    start = time.monotonic()
    if image == PYTHON_IMAGE:
        with tempfile.TemporaryDirectory() as tmp:
            certs = local_certificates(Path(tmp) / "certificates")
            build_standin(image, "python.Dockerfile", {"certificates": certs})
    elif image == POSTGRES_IMAGE:
        entrypoint = STANDINS / "docker-entrypoint.sh"
        build_standin(image, "postgres.Dockerfile", {"docker-entrypoint.sh": entrypoint})
    else:
        raise ImageError(f"{image} cannot be pulled and there is no stand-in for it")
    yield timed(image, "stand-in built from Debian packages", start)


SYSTEMD_IMAGE = "dxspots-debian-systemd:bookworm"


def ensure_systemd() -> Iterator[Step]:
    """Have the Debian 12 host with systemd as PID 1 the systemd test boots (standins/):
    built every time, which the engine's cache makes a second's work while its Dockerfile is
    unchanged (an edit to it takes effect at once)."""
    yield ensure_debian()
    start = time.monotonic()
    build_standin(SYSTEMD_IMAGE, "systemd.Dockerfile", {})
    yield timed(SYSTEMD_IMAGE, "built from Debian packages (or the build cache)", start)


def ensure_postgres() -> None:
    """Have compose's default PostgreSQL image, or else the stand-in, and say which."""
    start = time.monotonic()
    if present(OFFICIAL_POSTGRES) or pulled(OFFICIAL_POSTGRES):
        timed(OFFICIAL_POSTGRES, "present or pulled", start)
        return
    list(ensure_base(POSTGRES_IMAGE))
    print(
        f"{OFFICIAL_POSTGRES} cannot be had here: for compose, set "
        f"POSTGRES_IMAGE={POSTGRES_IMAGE} in .env",
        flush=True,
    )


def build_target(target: str, tag: str) -> Step:
    start = time.monotonic()
    docker(
        "build", "--force-rm", "--file", str(HERE / "Dockerfile"), "--target", target,
        "--tag", f"dxspots-{target}:{tag}", str(REPO),
    )  # fmt: skip
    return timed(f"dxspots-{target}:{tag}", "built", start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bases-only", action="store_true", help="only the base images")
    parser.add_argument(
        "--postgres", action="store_true",
        help=f"also have {OFFICIAL_POSTGRES}, or else the stand-in {POSTGRES_IMAGE}",
    )  # fmt: skip
    parser.add_argument(
        "--systemd", action="store_true",
        help=f"only {SYSTEMD_IMAGE}: a Debian host with systemd, for the systemd test",
    )  # fmt: skip
    parser.add_argument("--tag", default="latest", help="tag of the role images")
    args = parser.parse_args(argv)
    if not engine_answers():
        print(
            "images: no Docker engine answers (is dockerd running? `docker version` tells)",
            file=sys.stderr,
        )
        return 2
    try:
        if args.systemd:
            list(ensure_systemd())
            return 0
        list(ensure_base(PYTHON_IMAGE))
        if args.postgres:
            ensure_postgres()
        if not args.bases_only:
            for target in TARGETS:
                build_target(target, args.tag)
    except (ImageError, subprocess.TimeoutExpired) as error:
        print(f"images: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

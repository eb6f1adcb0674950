"""A PostgreSQL primary and a streaming replica of it on 127.0.0.1, for the replica tests.

Both are throwaway local servers (`dxspots.db.localserver`, run as the `postgres` user when
we are root, as the server insists); the replica is cloned from the running primary with
`pg_basebackup -R -X stream` (which writes `standby.signal` and the `primary_conninfo`),
then started on a port of its own. No replication slot: the replica lives as long as the test.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from dxspots.db.localserver import SERVER_USER, LocalServer
from dxspots.db.migrate import migrate

FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@dataclass
class Pair:
    primary: LocalServer
    replica: LocalServer

    def wait_replayed(self, timeout_s: float = 15.0) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary.dsn, autocommit=True) as conn:
            row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
        assert row is not None
        target = row[0]
        deadline = time.monotonic() + timeout_s
        with psycopg.connect(self.replica.dsn, autocommit=True) as conn:
            while True:
                done = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
                ).fetchone()
                if done and done[0]:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the replica did not replay up to {target}")
                time.sleep(0.05)


def _root(prefix: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


def clone(primary: LocalServer, root: Path) -> LocalServer:
    """Make `root` a streaming replica of the running `primary` (`pg_basebackup -R`)."""
    assert primary.port is not None
    pgdata = root / "pgdata"
    pgdata.mkdir(mode=0o700)
    user = None
    if os.geteuid() == 0:
        user = SERVER_USER
        record = pwd.getpwnam(SERVER_USER)
        os.chown(pgdata, record.pw_uid, record.pw_gid)
    password = primary.password_path.read_text().strip()
    done = subprocess.run(
        [str(primary.bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
         "-U", "dxspots", "-D", str(pgdata), "-R", "-X", "stream", "--checkpoint=fast"],
        env={"PGPASSWORD": password, "PATH": os.environ.get("PATH", "")},
        user=user, cwd="/", capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"pg_basebackup failed:\n{done.stderr}")
    shutil.copy(primary.password_path, root / primary.password_path.name)
    replica = LocalServer(root, options=FAST, bin_dir=primary.bin_dir)
    replica.start()
    return replica


@contextlib.contextmanager
def primary_and_replica() -> Iterator[Pair]:
    """A migrated primary and its streaming replica, both running; stopped and removed after."""
    roots = [_root("dxspots-primary-"), _root("dxspots-replica-")]
    primary = LocalServer(roots[0], options=FAST)
    replica: LocalServer | None = None
    try:
        primary.start()
        with psycopg.connect(primary.dsn) as conn:
            migrate(conn)
        replica = clone(primary, roots[1])
        yield Pair(primary, replica)
    finally:
        for server in (replica, primary):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)

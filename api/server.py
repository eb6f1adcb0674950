"""Run the API under uvicorn (chosen by measurement: docs/benchmarks.md, "API server").

One worker runs the app in this process. Several workers are uvicorn's own processes; each
builds its app through `worker_app`, its entry point, which reads the settings itself and
takes the database DSN the parent resolved (a local server's is known only to the parent).
A worker is a new interpreter: it sets up logging as `dxspots` does, with the database
passwords masked in every record (the pool's retries echo libpq's words about the DSN).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import resource

import uvicorn

from api.app import create_app
from api.transport import ClientGuard, GuardedHttpTools
from dxspots.runtime import configure_logging
from dxspots.settings import Settings, load_settings

log = logging.getLogger(__name__)

WORKER_DSN_VARIABLE = "_DXSPOTS_API_WORKER_DSN"
"""How the parent hands the resolved DSN to worker processes (not a setting)."""


def _loop() -> str:
    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


DESCRIPTORS = 65536
"""Open files (client connections) the API asks for: the usual soft limit of 1,024 is few."""


def raise_descriptor_limit() -> int:
    """Raise this process's soft open-file limit towards `DESCRIPTORS` (the hard limit
    allowing); return the limit now in force. Worker processes inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = DESCRIPTORS if hard == resource.RLIM_INFINITY else min(DESCRIPTORS, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


def serve(settings: Settings, dsn: str) -> None:
    """Serve the API until SIGINT or SIGTERM."""
    descriptors = raise_descriptor_limit()
    if descriptors < 4096:
        log.warning(
            "only %d open files allowed (clients are connections): raise the hard limit "
            "(LimitNOFILE= in systemd, ulimits in compose; docs/security.md)",
            descriptors,
        )
    common = {
        "host": settings.api_host,
        "port": settings.api_port,
        "loop": _loop(),
        "http": "api.transport:GuardedHttpTools",  # httptools with a header deadline
        "ws": "none",  # no WebSocket routes: an upgrade request is plain HTTP here
        "lifespan": "on",
        "access_log": False,
        "log_level": settings.log_level.lower(),
        "timeout_graceful_shutdown": 5,
        "proxy_headers": False,
        "server_header": False,
    }
    _limit_connections(settings)
    log.info(
        "API on http://%s:%s (%d worker(s))", settings.api_host, settings.api_port,
        settings.api_workers,
    )  # fmt: skip
    if settings.api_workers == 1:
        uvicorn.run(create_app(settings, dsn), **common)  # type: ignore[arg-type]
        return
    os.environ[WORKER_DSN_VARIABLE] = dsn
    uvicorn.run("api.server:worker_app", factory=True, workers=settings.api_workers, **common)  # type: ignore[arg-type]


def _limit_connections(settings: Settings) -> None:
    GuardedHttpTools.header_timeout_s = settings.api_header_timeout
    GuardedHttpTools.send_timeout_s = settings.api_send_timeout


def worker_app() -> ClientGuard:
    """Entry point of a worker process: its settings, the parent's DSN, a new app."""
    settings, dsn = load_settings(), os.environ[WORKER_DSN_VARIABLE]
    configure_logging(settings, os.environ, dsn)
    _limit_connections(settings)  # before it serves
    return create_app(settings, dsn)

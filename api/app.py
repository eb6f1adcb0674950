"""`create_app(settings, dsn)`: the ASGI app (Falcon), its pool, cache, stream and routes.

Everything the app needs comes in as arguments; it opens its connection pool and starts
the stream listener when the server starts it (ASGI lifespan) and closes them when it
stops. The pool opens without waiting: the API starts while the database is away and
answers 503 until it is back.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import falcon
import falcon.asgi
from falcon.asgi import Request, Response
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from api import errors
from api.cache import AnswerCache
from api.metrics import ApiMetrics
from api.openapi import build_document
from api.routes import (
    HealthResource,
    Limits,
    MetricsResource,
    OpenApiResource,
    QueryResource,
    ReadyResource,
    StreamResource,
)
from api.stream import SpotFeed
from api.transport import ClientGuard
from dxspots.queries import CATALOGUE, aprepare_reader
from dxspots.settings import Settings

log = logging.getLogger(__name__)

EXPORT_STATEMENT_TIMEOUT_S = 300.0
"""CSV exports stream up to a million rows: they get this long, not the API's query timeout."""


class Lifespan:
    """Open the pool and start the stream with the server; stop both with it."""

    def __init__(self, pool: AsyncConnectionPool[Any], feed: SpotFeed) -> None:
        self.pool, self.feed = pool, feed

    async def process_startup(self, scope: dict[str, Any], event: dict[str, Any]) -> None:
        await self.pool.open(wait=False)
        self.feed.start()

    async def process_shutdown(self, scope: dict[str, Any], event: dict[str, Any]) -> None:
        await self.feed.stop()
        await self.pool.close()


class Gate:
    """Count and time every request; ask for the API key when one is set; common headers.

    The key is checked on the route the router matched, not on the path as spelt, so that
    no spelling (`//v1/spots`, `/%2Fv1/spots`) reaches a route around it: every route wants
    the key unless its resource is marked `public` (the probes, metrics, the document).
    """

    def __init__(self, metrics: ApiMetrics, api_key: str | None, vary_origin: bool) -> None:
        self.metrics = metrics
        self.key = api_key.encode() if api_key else None
        self.vary_origin = vary_origin

    async def process_request(self, req: Request, resp: Response) -> None:
        req.context.started = time.perf_counter()

    async def process_resource(
        self, req: Request, resp: Response, resource: object, params: dict[str, Any]
    ) -> None:
        if self.key is None or getattr(resource, "public", False) is True:
            return  # no key set, or an open route
        if req.method == "OPTIONS" and req.get_header("Access-Control-Request-Method"):
            return  # a CORS preflight cannot carry the key; it answers no data
        given = (req.get_header("X-API-Key") or "").encode()
        if not hmac.compare_digest(given, self.key):
            raise falcon.HTTPUnauthorized(
                description="this API wants a valid X-API-Key header",
                challenges=['ApiKey header="X-API-Key"'],
            )

    async def process_response(
        self, req: Request, resp: Response, resource: object, req_succeeded: bool
    ) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        if self.vary_origin:
            # The CORS headers depend on the request's Origin: caches must keep them apart.
            resp.append_header("Vary", "Origin")
        started = getattr(req.context, "started", None)
        if started is None:
            return
        route = req.uri_template or "unmatched"
        self.metrics.observe(route, resp.status_code, time.perf_counter() - started)


def _version() -> str:
    try:
        return version("dxspots")
    except PackageNotFoundError:
        return "0"


def create_app(settings: Settings, dsn: str) -> ClientGuard:
    """Build the API for the database at `dsn` (a reader: see docs/database.md).

    The Falcon app comes wrapped in `ClientGuard` (api/transport.py), which drops clients
    that stop reading and stops streamed answers whose client left.
    """

    async def configure(conn: AsyncConnection[Any]) -> None:
        if not await aprepare_reader(conn, settings.api_statement_timeout):
            log.warning(
                "this login may not take the dxspots_reader role: queries run with its own "
                "rights, in read-only transactions (docs/database.md)"
            )

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        dsn,
        min_size=settings.api_pool_size,
        max_size=settings.api_pool_size,
        timeout=settings.api_pool_timeout,
        open=False,
        configure=configure,
        kwargs={"autocommit": True, "connect_timeout": 5},
        name="dxspots-api",
    )
    feed = SpotFeed(dsn, heartbeat_s=settings.api_stream_heartbeat)
    cache = AnswerCache(settings.api_cache_seconds)
    metrics = ApiMetrics(pool, cache, feed)
    api_key = settings.api_key.get_secret_value() if settings.api_key else None
    origins: str | list[str] = []
    if settings.api_cors_origins:
        origins = "*" if "*" in settings.api_cors_origins else settings.api_cors_origins
    gate = Gate(metrics, api_key, vary_origin=isinstance(origins, list) and bool(origins))
    middleware: list[Any] = [Lifespan(pool, feed), gate]
    if origins:
        middleware.append(falcon.CORSMiddleware(allow_origins=origins))
    app = falcon.asgi.App(middleware=middleware)
    app.req_options.auto_parse_qs_csv = False
    app.req_options.strip_url_path_trailing_slash = True
    errors.install(app)
    exports = max(1, settings.api_pool_size // 2)
    limits = Limits(settings.api_request_timeout, EXPORT_STATEMENT_TIMEOUT_S, exports)
    export_slots = asyncio.Semaphore(exports)
    for name, query in CATALOGUE.items():
        resource = QueryResource(query, pool, cache, limits, export_slots)
        app.add_route(f"/v1/{name}", resource)
        app.add_route(f"/v1/{name}.json", resource, suffix="json")
        app.add_route(f"/v1/{name}.csv", resource, suffix="csv")
    app.add_route("/v1/stream", StreamResource(feed, pool, settings.api_stream_clients))
    app.add_route("/healthz", HealthResource())
    app.add_route("/readyz", ReadyResource(pool, feed))
    app.add_route("/metrics", MetricsResource(metrics))
    document = build_document(secured=api_key is not None, version=_version())
    app.add_route("/openapi.json", OpenApiResource(document))
    return ClientGuard(
        app, send_timeout_s=settings.api_send_timeout, on_drop=metrics.client_dropped
    )

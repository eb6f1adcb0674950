"""The routes: one resource per catalogue query (JSON and CSV), the stream, and the probes.

Each query route validates its parameters through the catalogue before touching the
database, answers JSON from the short-lived cache, and streams CSV straight from `COPY`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import falcon
import orjson
from falcon.asgi import Request, Response
from psycopg_pool import AsyncConnectionPool

from api.cache import AnswerCache
from api.errors import BusyError, RequestTimeoutError
from api.metrics import ApiMetrics
from api.stream import SpotFeed
from api.transport import small_send_buffer
from dxspots.queries import (
    READY_CHECK,
    ParameterError,
    Plan,
    Query,
    SpotFilters,
    acopy_csv,
    afetch,
    plan,
    read_params,
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-request limits from the settings."""

    request_timeout_s: float
    export_statement_timeout_s: float
    exports: int
    """CSV exports that may run at once (per process)."""


def _raw(req: Request) -> dict[str, Any]:
    return dict(req.params)


def _now() -> datetime:
    return datetime.now(UTC)


class QueryResource:
    """`/v1/{name}`, `/v1/{name}.json`, `/v1/{name}.csv` for one catalogue query."""

    def __init__(
        self,
        query: Query,
        pool: AsyncConnectionPool[Any],
        cache: AnswerCache,
        limits: Limits,
        exports: asyncio.Semaphore,
    ) -> None:
        self.query = query
        self.pool = pool
        self.cache = cache
        self.limits = limits
        self.exports = exports

    async def on_get(self, req: Request, resp: Response) -> None:
        planned = plan(self.query.name, _raw(req), now=_now())
        # The validated parameters, not the query string: `band=20m,40m` and
        # `band=20m&band=40m` are one answer, and no two different requests share one.
        key = (self.query.name, planned.params.model_dump_json())
        try:
            async with asyncio.timeout(self.limits.request_timeout_s):
                resp.data = await self.cache.get(key, lambda: self._json(planned))
        except TimeoutError:
            raise RequestTimeoutError from None
        resp.content_type = falcon.MEDIA_JSON

    on_get_json = on_get

    async def _json(self, planned: Plan) -> bytes:
        async with self.pool.connection() as conn:
            page = await afetch(conn, planned)
        # A copy of exactly its size: orjson's bytes keep its working buffer, and the cache
        # counts what it keeps by length.
        return memoryview(orjson.dumps(page.document(), option=orjson.OPT_UTC_Z)).tobytes()

    async def on_get_csv(self, req: Request, resp: Response) -> None:
        planned = plan(self.query.name, _raw(req), now=_now(), csv=True)
        if self.exports.locked():
            raise BusyError(
                f"{self.limits.exports} CSV exports are running, the most at once; "
                "try again shortly"
            )
        # Start the export before answering, so that a database that is away, or a query
        # that fails at once, gets the error body rather than a cut CSV.
        chunks = self._csv(planned)
        try:
            async with asyncio.timeout(self.limits.request_timeout_s):
                first = await anext(chunks, b"")
        except TimeoutError:
            await chunks.aclose()
            raise RequestTimeoutError from None
        resp.content_type = "text/csv; charset=utf-8"
        stamp = planned.main.values.get("until", _now())
        filename = f"dxspots-{self.query.name}-{stamp:%Y%m%dT%H%MZ}.csv"
        resp.downloadable_as = filename
        resp.stream = Export(first, chunks)

    async def _csv(self, planned: Plan) -> AsyncGenerator[bytes]:
        # An export holds a connection while it streams (a slow reader keeps it longer):
        # only some run at once, so that they cannot take every connection of the pool.
        async with self.exports, self.pool.connection() as conn:
            timeout_ms = int(self.limits.export_statement_timeout_s * 1000)
            async with conn.transaction():
                await conn.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
                async for chunk in acopy_csv(conn, planned):
                    yield chunk


class Export:
    """A CSV export as it goes out: its first chunk, then the rest of the COPY.

    Falcon closes a response stream that has `close()` however the sending ends, so a
    client that leaves (or stops reading) ends the COPY here: psycopg cancels the query,
    and the connection and the export slot are free again.
    """

    def __init__(self, first: bytes, rest: AsyncGenerator[bytes]) -> None:
        self.first: bytes | None = first
        self.rest = rest

    def __aiter__(self) -> Export:
        return self

    async def __anext__(self) -> bytes:
        if self.first is not None:
            first, self.first = self.first, None
            return first
        return await anext(self.rest)

    async def close(self) -> None:
        await self.rest.aclose()


_LAST_ID_RE = re.compile(r"\d{1,18}")


class StreamResource:
    """`/v1/stream`: new spots as Server-Sent Events, with the spot filters of `/v1/spots`."""

    def __init__(self, feed: SpotFeed, pool: AsyncConnectionPool[Any], clients: int) -> None:
        self.feed = feed
        self.pool = pool
        self.clients = clients
        """The most streams this process serves at once (`DXSPOTS_API_STREAM_CLIENTS`)."""

    async def on_get(self, req: Request, resp: Response) -> None:
        filters = read_params(SpotFilters, _raw(req))  # no window, no limit: live
        last = req.get_header("Last-Event-ID")
        last_id = None
        if last is not None and last.strip():
            if _LAST_ID_RE.fullmatch(last.strip()) is None:
                raise ParameterError("Last-Event-ID", "expected the id of a spot event")
            last_id = int(last.strip())
        if self.feed.clients >= self.clients:
            raise BusyError(
                f"{self.clients} live-stream clients are connected, the most this server "
                "takes; try again shortly"
            )
        small_send_buffer(req.scope)  # a client that stops reading is noticed sooner
        resp.set_header("Cache-Control", "no-cache")
        resp.set_header("X-Accel-Buffering", "no")  # nginx: do not buffer the stream
        resp.sse = self.feed.open(self.pool, filters, last_id)


class HealthResource:
    """`/healthz`: the process answers."""

    public = True
    """Answers without the API key."""

    async def on_get(self, req: Request, resp: Response) -> None:
        resp.data = b'{"status":"ok"}'
        resp.content_type = falcon.MEDIA_JSON


class ReadyResource:
    """`/readyz`: the database answers (503 with the error body when it does not)."""

    public = True
    """Answers without the API key."""

    def __init__(self, pool: AsyncConnectionPool[Any], feed: SpotFeed) -> None:
        self.pool = pool
        self.feed = feed

    async def on_get(self, req: Request, resp: Response) -> None:
        try:
            async with asyncio.timeout(5), self.pool.connection() as conn:
                await conn.execute(READY_CHECK.sql)
        except TimeoutError:
            raise falcon.HTTPServiceUnavailable(
                description="the database did not answer within 5 s", retry_after=5
            ) from None
        document = {"status": "ready", "stream": self.feed.connected.is_set()}
        resp.data = orjson.dumps(document)
        resp.content_type = falcon.MEDIA_JSON


class MetricsResource:
    """`/metrics`: Prometheus text format."""

    public = True
    """Answers without the API key."""

    def __init__(self, metrics: ApiMetrics) -> None:
        self.metrics = metrics

    async def on_get(self, req: Request, resp: Response) -> None:
        await self.metrics.read_replication()
        resp.data, resp.content_type = self.metrics.render()


class OpenApiResource:
    """`/openapi.json`: the document, built once."""

    public = True
    """Answers without the API key."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.data = orjson.dumps(document)

    async def on_get(self, req: Request, resp: Response) -> None:
        resp.data = self.data
        resp.content_type = falcon.MEDIA_JSON

"""The one error body: `{"error": ..., "status": ..., "detail": ...}` for every error.

`error` is a short fixed word a client can branch on, `detail` says what happened in words;
a bad parameter also names it in `parameter`. Unexpected failures are logged with their
traceback and answered with a 500 that carries none.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon
import orjson
import psycopg
import psycopg_pool
from falcon.asgi import Request, Response

from dxspots.queries import ParameterError
from dxspots.queries.params import shown

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
"""What a 503's `Retry-After` asks clients to wait, in seconds."""

_WORDS = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "unavailable",
}


class RequestTimeoutError(Exception):
    """The request took longer than `DXSPOTS_API_REQUEST_TIMEOUT`."""


class BusyError(Exception):
    """A limited resource (CSV exports running) is all in use; the message says which."""


def first_line(error: BaseException) -> str:
    """An error's first line, cut short, for a log line that ends a stream."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


def body(status: int, detail: str, error: str | None = None, **more: Any) -> bytes:
    """Render the error body."""
    word = error or _WORDS.get(status, "error")
    return orjson.dumps({"error": word, "status": status, "detail": detail, **more})


def _send(resp: Response, status: int, payload: bytes) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = payload
    resp.sse = None
    resp.stream = None


def _unavailable(resp: Response, detail: str) -> None:
    _send(resp, 503, body(503, detail))
    resp.set_header("Retry-After", str(RETRY_AFTER_S))


async def handle_parameter(req: Request, resp: Response, ex: Exception, params: Any) -> None:
    assert isinstance(ex, ParameterError)
    _send(resp, 400, body(400, str(ex), "bad_parameter", parameter=ex.parameter))


async def handle_http(req: Request, resp: Response, ex: Exception, params: Any) -> None:
    assert isinstance(ex, falcon.HTTPError)
    status = ex.status_code
    detail = ex.description or ex.title or str(status)
    if status == 404:
        detail = f"no such route: {shown(req.path)} (see /openapi.json)"
    elif status == 405:
        detail = f"{shown(req.method)} is not allowed on {shown(req.path)}"
    _send(resp, status, body(status, detail))
    if ex.headers:
        resp.set_headers(ex.headers)


async def handle_database(req: Request, resp: Response, ex: Exception, params: Any) -> None:
    if isinstance(ex, psycopg_pool.PoolTimeout):
        detail = "all database connections are busy; try again shortly"
    elif isinstance(ex, psycopg.errors.QueryCanceled):
        detail = "the query took longer than the statement timeout; ask for a smaller window"
    elif isinstance(ex, (psycopg.OperationalError, psycopg_pool.PoolClosed)):
        detail = "the database is not reachable"
    else:
        await handle_unexpected(req, resp, ex, params)
        return
    log.warning("%s %s: 503: %s (%s)", req.method, req.relative_uri, detail, ex)
    _unavailable(resp, detail)


async def handle_timeout(req: Request, resp: Response, ex: Exception, params: Any) -> None:
    log.warning("%s %s: 503: request timed out", req.method, req.relative_uri)
    _unavailable(resp, "the request took too long; ask for a smaller window")


async def handle_busy(req: Request, resp: Response, ex: Exception, params: Any) -> None:
    log.warning("%s %s: 503: %s", req.method, req.relative_uri, ex)
    _unavailable(resp, str(ex))


async def handle_unexpected(req: Request, resp: Response, ex: Exception, params: Any) -> None:
    log.error("%s %s: 500", req.method, req.relative_uri, exc_info=ex)
    _send(resp, 500, body(500, "internal error; the server log has the details"))


def install(app: falcon.asgi.App[Any, Any]) -> None:
    """Make every error of `app` answer with the one body."""
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(psycopg.Error, handle_database)
    app.add_error_handler(psycopg_pool.PoolTimeout, handle_database)
    app.add_error_handler(psycopg_pool.PoolClosed, handle_database)
    app.add_error_handler(RequestTimeoutError, handle_timeout)
    app.add_error_handler(BusyError, handle_busy)
    app.add_error_handler(ParameterError, handle_parameter)
    app.add_error_handler(falcon.HTTPError, handle_http)

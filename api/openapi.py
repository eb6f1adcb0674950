"""The OpenAPI 3.1 document, built from the catalogue: every route, parameter and row type.

Parameters come from each query's pydantic model (the same definitions that validate
them), rows from its row type, so the document cannot drift from what the API does.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from dxspots.bands import BAND_NAMES
from dxspots.modes import MODES
from dxspots.queries import CATALOGUE, Query, SpotFilters
from dxspots.queries.params import CALL_PATTERN, CONTINENTS, PREFIX_PATTERN, Params

_ENUMS: dict[str, list[str]] = {
    "band": list(BAND_NAMES),
    "mode": list(MODES),
    "dx_continent": list(CONTINENTS),
    "spotter_continent": list(CONTINENTS),
}
_PATTERNS: dict[str, str] = {
    "dx_call": CALL_PATTERN,
    "spotter": CALL_PATTERN,
    "dx_prefix": PREFIX_PATTERN,
}
_ERROR = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _unavailable() -> dict[str, Any]:
    answer = _error("The database is away, busy, or the query too slow; retry later.")
    answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return answer


def _strip_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf")
    if options:
        real = [option for option in options if option.get("type") != "null"]
        if len(real) == 1:
            merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default", "title")}
            return {**real[0], **merged}
    return {k: v for k, v in schema.items() if k not in ("default", "title")}


def parameters(model: type[Params], limit_max: int) -> list[dict[str, Any]]:
    """The query parameters of a model, as OpenAPI parameter objects."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    out = []
    for name, found in schema["properties"].items():
        prop = _strip_null(found)
        description = prop.pop("description", None) or (
            "How many rows at most." if name == "limit" else ""
        )
        if name == "limit":
            prop.clear()
            prop.update(type="integer", minimum=1, maximum=limit_max)
        if name in _ENUMS and prop.get("type") == "array":
            prop["items"] = {"type": "string", "enum": _ENUMS[name]}
        if name in _PATTERNS and prop.get("type") == "array":
            prop["items"] = {"type": "string", "pattern": _PATTERNS[name]}
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": description,
            "schema": prop,
        }
        if prop.get("type") == "array":
            parameter["style"], parameter["explode"] = "form", True
        out.append(parameter)
    return out


def _row_schema(row: type, schemas: dict[str, Any]) -> dict[str, Any]:
    name = row.__name__
    if name not in schemas:
        schema = TypeAdapter(row).json_schema()
        schema.pop("title", None)
        schemas[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _json_answer(query: Query, schemas: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "items": {"type": "array", "items": _row_schema(query.row, schemas)},
        "next": {"type": ["string", "null"], "description": "Pass as `cursor` for more."},
    }
    for name, (row, one) in query.extras.items():
        ref = _row_schema(row, schemas)
        properties[name] = {"anyOf": [ref, {"type": "null"}]} if one else {
            "type": "array", "items": ref
        }  # fmt: skip
    return {"type": "object", "properties": properties, "required": ["items", "next"]}


def _operation(query: Query, csv: bool, schemas: dict[str, Any], suffix: str) -> dict[str, Any]:
    limit_max = query.params.LIMIT_MAX
    if csv and query.csv_limit_max:
        limit_max = query.csv_limit_max
    if csv:
        ok = {
            "description": "CSV with a header row, streamed.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    else:
        ok = {
            "description": "The rows.",
            "content": {"application/json": {"schema": _json_answer(query, schemas)}},
        }
    responses: dict[str, Any] = {
        "200": ok,
        "400": _error("A bad or unknown parameter, named in `parameter`."),
        "503": _unavailable(),
        "500": _error("An internal error (logged)."),
    }
    return {
        "operationId": f"{query.name}_{suffix}",
        "summary": query.doc.split(". ")[0],
        "description": query.doc,
        "parameters": parameters(query.params, limit_max),
        "responses": responses,
    }


def build_document(*, secured: bool, version: str) -> dict[str, Any]:
    """Build the whole document (`secured`: routes under /v1 want an API key)."""
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error", "status", "detail"],
            "properties": {
                "error": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "parameter": {"type": "string"},
            },
        }
    }
    paths: dict[str, Any] = {}
    for query in CATALOGUE.values():
        paths[f"/v1/{query.name}"] = {"get": _operation(query, False, schemas, "get")}
        paths[f"/v1/{query.name}.json"] = {"get": _operation(query, False, schemas, "json")}
        paths[f"/v1/{query.name}.csv"] = {"get": _operation(query, True, schemas, "csv")}
    stream_params = parameters(SpotFilters, 0)
    stream_params.append({
        "name": "Last-Event-ID", "in": "header", "required": False,
        "description": "Resume after this spot id (sent by EventSource on reconnect).",
        "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
    })  # fmt: skip
    paths["/v1/stream"] = {
        "get": {
            "operationId": "stream",
            "summary": "New spots as Server-Sent Events",
            "description": "Events `spot` (data: a spot as in /v1/spots, id: its storage "
            "number), heartbeat comments, and `gap` when a reconnecting client missed more "
            "than can be replayed. Takes the spot filters of /v1/spots.",
            "parameters": stream_params,
            "responses": {
                "200": {"description": "The stream.",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                "400": _error("A bad or unknown parameter."),
                "503": _unavailable(),
            },
        }
    }  # fmt: skip
    if secured:
        for item in paths.values():
            item["get"]["security"] = [{"apiKey": []}]
            item["get"]["responses"]["401"] = _error("No or a wrong `X-API-Key`.")
    plain = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    paths["/healthz"] = {
        "get": {
            "operationId": "healthz",
            "summary": "The process answers",
            "responses": {"200": plain},
        }
    }
    paths["/readyz"] = {
        "get": {
            "operationId": "readyz",
            "summary": "The database answers",
            "responses": {"200": plain, "503": _unavailable()},
        }
    }
    paths["/metrics"] = {
        "get": {
            "operationId": "metrics",
            "summary": "Prometheus metrics",
            "responses": {"200": {"description": "Prometheus text", "content": {"text/plain": {}}}},
        }
    }
    paths["/openapi.json"] = {"get": {"operationId": "openapi", "summary": "This document",
                                      "responses": {"200": plain}}}  # fmt: skip
    components: dict[str, Any] = {"schemas": schemas}
    if secured:
        components["securitySchemes"] = {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dxspots API",
            "version": version,
            "description": "DX cluster spots: the queries of the dxspots dashboard, as JSON "
            "and CSV, and a live stream. Times are ISO 8601 UTC.",
        },
        "paths": paths,
        "components": components,
    }

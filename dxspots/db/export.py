"""Spots out of the database for analysts: CSV, Parquet or JSON lines, any size.

`dxspots export` takes the filters of the API's `/v1/spots` (the catalogue's `all_spots`),
reads the rows with a server-side cursor in chunks, and writes each chunk as it comes, so
a year of spots never sits in memory: CSV and Parquet through pandas (Parquet with a fixed
schema from the row type, via pyarrow), JSON lines directly. pandas and pyarrow come with the
`dashboard` extra; without them only JSON lines is possible.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO, Any, get_type_hints

import psycopg
from psycopg.rows import dict_row

from dxspots.queries import Statement
from dxspots.queries.catalogue import SPOT_COLUMNS
from dxspots.queries.rows import SpotRow
from dxspots.spreadsheet import frame_csv

CHUNK_ROWS = 50_000
FORMATS = ("csv", "parquet", "jsonl")
COLUMNS = SPOT_COLUMNS
"""Exported columns, in order: `id` and every field of a spot (docs/fields.md)."""


class ExportError(ValueError):
    """The export cannot be made as asked; the message says why."""


def _chunks(conn: psycopg.Connection[Any], statement: Statement) -> Iterator[list[dict[str, Any]]]:
    with conn.transaction(), conn.cursor(name="dxspots_export", row_factory=dict_row) as cur:
        cur.itersize = CHUNK_ROWS
        cur.execute(statement.sql, statement.values)
        while rows := cur.fetchmany(CHUNK_ROWS):
            yield rows


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def _base_type(hint: Any) -> type | None:
    """`int` for `int | None`, and so on; None for a time."""
    return next(
        (k for k in (int, float, str, bool) if hint is k or k in getattr(hint, "__args__", ())),
        None,
    )


def spots_frame(rows: list[dict[str, Any]]) -> Any:
    """Spot rows as a pandas frame with a column type per field of the row type.

    Nullable integers stay integers (`Int64`: `12`, not `12.0` in a chunk with a gap),
    flags are `boolean`, text `string`, times timezone-aware UTC.
    """
    import pandas as pd

    kinds = {int: "Int64", float: "float64", str: "string", bool: "boolean"}
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for name, hint in get_type_hints(SpotRow).items():
        base = _base_type(hint)
        if base is not None:
            frame[name] = frame[name].astype(kinds[base])
        else:
            frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def _arrow_schema() -> Any:
    import pyarrow as pa

    kinds: dict[type | None, Any] = {
        int: pa.int64(), float: pa.float64(), str: pa.string(), bool: pa.bool_(),
        None: pa.timestamp("us", tz="UTC"),
    }  # fmt: skip
    fields = []
    for name, hint in get_type_hints(SpotRow).items():
        base = _base_type(hint)
        fields.append(pa.field(name, kinds[base], nullable=hint not in (base, datetime)))
    return pa.schema(fields)


def export_spots(
    conn: psycopg.Connection[Any],
    statement: Statement,
    out: IO[bytes],
    fmt: str,
    progress: Callable[[int], object] = lambda rows: None,
) -> int:
    """Write every row of `statement` to `out` as `fmt`; return how many were written."""
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    try:
        if fmt != "jsonl":
            import pandas  # noqa: F401  (spots_frame uses it)
            import pyarrow as pa
            import pyarrow.parquet as pq
    except ImportError:
        raise ExportError(
            f"{fmt} needs pandas and pyarrow: pip install 'dxspots[dashboard]' (or use "
            "--format jsonl)"
        ) from None
    rows = 0
    writer = None
    schema: Any = _arrow_schema() if fmt == "parquet" else None
    try:
        for chunk in _chunks(conn, statement):
            if fmt == "jsonl":
                for row in chunk:
                    record = {key: _iso(value) for key, value in row.items()}
                    out.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            else:
                frame = spots_frame(chunk)
                if fmt == "csv":
                    frame_csv(frame, out, header=rows == 0)
                else:
                    if writer is None:
                        writer = pq.ParquetWriter(out, schema, compression="zstd")
                    writer.write_table(pa.Table.from_pandas(frame, schema, preserve_index=False))
            rows += len(chunk)
            progress(len(chunk))
        if rows == 0 and fmt == "csv":
            out.write((",".join(COLUMNS) + "\r\n").encode())
        if rows == 0 and fmt == "parquet":
            pq.write_table(schema.empty_table(), out)
    finally:
        if writer is not None:
            writer.close()
    return rows

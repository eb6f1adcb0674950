"""Spots out of the database for analysts: CSV, Parquet or JSON lines, any size.

`dxspots export` takes the filters of the API's `/v1/spots` (the catalogue's `all_spots`),
reads the rows with a server-side cursor in chunks, and writes each chunk as it comes, so
a year of spots never sits in memory: CSV in the one CSV format of the API and the
dashboard (dxspots.spreadsheet), JSON lines directly, Parquet through pandas with a fixed
schema from the row type (via pyarrow, which come with the `dashboard` extra).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO, Any, get_type_hints

import psycopg
from psycopg.rows import dict_row, tuple_row

from dxspots.queries import Statement
from dxspots.queries.catalogue import SPOT_COLUMNS
from dxspots.queries.rows import SpotRow
from dxspots.spreadsheet import column_kind, csv_lines

CHUNK_ROWS = 50_000
FORMATS = ("csv", "parquet", "jsonl")
COLUMNS = SPOT_COLUMNS
"""Exported columns, in order: `id` and every field of a spot (docs/fields.md)."""


class ExportError(ValueError):
    """The export cannot be made as asked; the message says why."""


def _chunks(
    conn: psycopg.Connection[Any], statement: Statement, row_factory: Any = dict_row
) -> Iterator[list[Any]]:
    with conn.transaction(), conn.cursor(name="dxspots_export", row_factory=row_factory) as cur:
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


def arrow_schema() -> Any:
    """The Parquet schema of a spots file: `dxspots export` and the retention archive."""
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
        if fmt == "parquet":
            import pandas  # noqa: F401  (spots_frame uses it)
            import pyarrow as pa
            import pyarrow.parquet as pq
    except ImportError:
        raise ExportError(
            "parquet needs pandas and pyarrow: pip install 'dxspots[dashboard]' (or use "
            "--format csv or jsonl)"
        ) from None
    if fmt == "csv":
        return _write_csv(conn, statement, out, progress)
    rows = 0
    writer = None
    schema: Any = arrow_schema() if fmt == "parquet" else None
    try:
        for chunk in _chunks(conn, statement):
            if fmt == "jsonl":
                for row in chunk:
                    record = {key: _iso(value) for key, value in row.items()}
                    out.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            else:
                if writer is None:
                    writer = pq.ParquetWriter(out, schema, compression="zstd")
                table = pa.Table.from_pandas(spots_frame(chunk), schema, preserve_index=False)
                writer.write_table(table)
            rows += len(chunk)
            progress(len(chunk))
        if rows == 0 and fmt == "parquet":
            pq.write_table(schema.empty_table(), out)
    finally:
        if writer is not None:
            writer.close()
    return rows


def _write_csv(
    conn: psycopg.Connection[Any],
    statement: Statement,
    out: IO[bytes],
    progress: Callable[[int], object],
) -> int:
    """The rows as CSV, the header even when there are none (values in COLUMNS order)."""
    kinds = [column_kind(hint) for hint in get_type_hints(SpotRow).values()]
    out.write(next(csv_lines(COLUMNS, kinds, [])).encode())
    rows = 0
    for chunk in _chunks(conn, statement, row_factory=tuple_row):
        out.write("".join(csv_lines(COLUMNS, kinds, chunk, header=False)).encode())
        rows += len(chunk)
        progress(len(chunk))
    return rows

"""Every CSV dxspots writes: one format, and text cells a spreadsheet would run made inert.

The API's `.csv` routes (PostgreSQL's COPY), `dxspots export --format csv` and the
dashboard's download give the same bytes for the same rows (docs/fields.md, "CSV files"):
a header; lines ending CRLF; an empty cell for no value (NULL) and `""` for empty text;
a cell quoted (`"` doubled) when it holds a comma, a quote, CR or LF; `true`/`false`;
times ISO 8601 in UTC with `Z` (`2026-11-27T09:13:00Z`, `.ffffff` only when there is a
fraction); numbers as PostgreSQL writes a double: the shortest decimal that reads back the
same, without `.0` (`14025`, `14025.5`, `1e+15`). COPY follows those quoting rules itself;
`csv_select` spells the values, and `CrlfLines` turns its LF line ends into CRLF. Python
writes the same with `csv_lines` (rows) and `frame_csv` (pandas frames); tests hold all
three byte-equal.

Formula injection:

Spot comments, calls and node names are strangers' text. Opened in Excel or LibreOffice, a
CSV cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
spreadsheets skip before one of those) is read as a formula: `=HYPERLINK(...)` links
anywhere, `+cmd|' /C calc'!A0` asks to run a program (CWE-1236, "CSV injection"). As OWASP
recommends, such a cell gets a leading `'`, which spreadsheets show as text and do not run.

Hams write signal reports and offsets that start with a sign: "-16 dB", "+5 kHz", "-10".
A sign, a digit, then only letters, digits, spaces and `.,:%#` cannot call a function, link
or reach another program (those need `(`, `|`, `!` or an operator), so those cells are left
as they are. The rule is written twice, for Python (frames) and for PostgreSQL (`COPY`), and
a test holds the two equal. JSON and Parquet keep the raw text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
"""First characters that make a spreadsheet read a cell as a formula (with the full-width
forms of = + - @, which some spreadsheets take too)."""
# Both patterns are ASCII and mean the same to Python's re and PostgreSQL's regular
# expressions: every FORMULA_START character as a \uXXXX escape (tab, CR, `-`, the
# full-width forms), % as \x25 (psycopg would read it as a placeholder), and \Z, since $ in
# Python also matches before a final newline.
_LIVE = "^[" + "".join(f"\\u{ord(c):04X}" for c in FORMULA_START) + "]"
_SIGNED_NUMBER = r"^[+-][0-9][0-9A-Za-z .,:\x25#]*\Z"
_LIVE_RE = re.compile(_LIVE)
_SIGNED_NUMBER_RE = re.compile(_SIGNED_NUMBER, re.ASCII)


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would evaluate `text` as a formula (signed reports excepted)."""
    return _LIVE_RE.match(text) is not None and _SIGNED_NUMBER_RE.match(text) is None


def inert(text: str) -> str:
    """`text` as a CSV cell: with a leading `'` when a spreadsheet would run it."""
    return "'" + text if is_formula(text) else text


def inert_sql(column: sql.Composable) -> sql.Composed:
    """The same rule in SQL, for a text `column` in a `COPY ... TO` select list."""
    case = "CASE WHEN {c} ~ {live} AND {c} !~ {signed} THEN '''' || {c} ELSE {c} END"
    return sql.SQL(case).format(
        c=column, live=sql.Literal(_LIVE), signed=sql.Literal(_SIGNED_NUMBER)
    )


# The one CSV format ----------------------------------------------------------------------

LINE_END = "\r\n"
_NEEDS_QUOTES_RE = re.compile('[,"\r\n]')


def quoted(text: str) -> str:
    """`text` as one CSV cell, quoted when COPY would quote it (and so always when empty)."""
    if text == "" or _NEEDS_QUOTES_RE.search(text) is not None:
        return '"' + text.replace('"', '""') + '"'
    return text


def _text_cell(value: Any) -> str:
    return "" if value is None else quoted(inert(str(value)))


def _bool_cell(value: Any) -> str:
    return "" if value is None else ("true" if value else "false")


def _int_cell(value: Any) -> str:
    return "" if value is None else str(int(value))


def float_text(value: float) -> str:
    """A double as PostgreSQL writes it: the shortest decimal that reads back the same,
    exponent form below 1e-4 and from 1e15 (`1e+15`, `1.5e-05`), no trailing `.0`.

    From about 2e15 PostgreSQL's Ryu (not built strictly shortest) now and then gives one
    digit more than the shortest (`3.0228231315006392e+16`); below 1e15, where every value
    dxspots stores lies (frequencies, coordinates, rates), the two agree.
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    text = repr(value)
    if "e" not in text and abs(value) >= 1e15:  # Python waits until 1e16
        digits = text.lstrip("-").replace(".", "").strip("0")
        return f"{value:.{len(digits) - 1}e}"
    return text.removesuffix(".0")


def _float_cell(value: Any) -> str:
    return "" if value is None else float_text(float(value))


def time_text(value: datetime) -> str:
    """A time as ISO 8601 in UTC with `Z`; the fraction of a second only when there is one."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _time_cell(value: Any) -> str:
    return "" if value is None else time_text(value)


def _any_cell(value: Any) -> str:
    """A cell whose column has no one type: spelt by the value's own."""
    if value is None:
        return ""
    for kind, cell in _CELLS.items():
        if isinstance(value, kind):
            return cell(value)
    return _text_cell(value)


_CELLS: dict[type, Callable[[Any], str]] = {
    bool: _bool_cell, int: _int_cell, float: _float_cell, datetime: _time_cell, str: _text_cell,
}  # fmt: skip


def cell_writer(kind: type | None) -> Callable[[Any], str]:
    """What writes one column's cells: `kind` is bool, int, float, datetime or str (None:
    look at each value). Every writer takes None (NULL) to an empty cell."""
    return _CELLS.get(kind, _any_cell) if kind is not None else _any_cell


def column_kind(hint: Any) -> type | None:
    """The cell kind of a row type's field: `int` for `int | None`, and so on."""
    options = getattr(hint, "__args__", (hint,))
    return next((kind for kind in _CELLS if kind in options), None)


def csv_lines(
    columns: Sequence[str], kinds: Sequence[type | None], rows: Iterable[Sequence[Any]],
    *, header: bool = True,
) -> Iterator[str]:  # fmt: skip
    """The CSV lines (each ending CRLF) of `rows`, whose values are in `columns` order."""
    if header:
        yield ",".join(quoted(name) for name in columns) + LINE_END
    writers = [cell_writer(kind) for kind in kinds]
    if len(writers) == 1:  # COPY quotes a lone \. (its old end-of-data mark)
        (one,) = writers
        for (value,) in rows:
            cell = one(value)
            yield ('"\\."' if cell == "\\." else cell) + LINE_END
        return
    pairs = list(enumerate(writers))
    for row in rows:
        yield ",".join([write(row[i]) for i, write in pairs]) + LINE_END


def _frame_kind(dtype: Any) -> type | None:
    name = str(dtype).lower()
    if name in ("bool", "boolean"):
        return bool
    if name.startswith(("int", "uint")):
        return int
    if name.startswith("float"):
        return float
    if name.startswith("datetime64"):
        return datetime
    return str if name.startswith("string") else None


def frame_csv(
    frame: pd.DataFrame, out: IO[Any] | None = None, *, header: bool = True
) -> str | None:
    """Write `frame` in the one CSV format (to `out`, text or binary, or return the text).

    Each column is written by its dtype (a column of Python objects by each value's type);
    missing values (None, NaN, NA, NaT) are empty cells.
    """
    columns = [str(name) for name in frame.columns]
    kinds = [_frame_kind(dtype) for dtype in frame.dtypes]
    values = []
    for (_, column), kind in zip(frame.items(), kinds, strict=True):
        items = column.astype(object).where(column.notna(), None).tolist()
        if kind is datetime:
            items = [None if v is None else v.to_pydatetime() for v in items]
        values.append(items)
    text = "".join(csv_lines(columns, kinds, zip(*values, strict=True), header=header))
    if out is None:
        return text
    try:
        out.write(text)
    except TypeError:  # a binary file
        out.write(text.encode())
    return None


def csv_select(column: str, kind: type | None) -> sql.Composed:
    """One column of a `COPY (SELECT ...) TO` select list, spelt as `csv_lines` spells it.

    COPY quotes and writes NULL as Python does; this turns booleans into true/false, times
    into ISO 8601 with Z, a `real` into the double Python reads from it, and makes text
    cells inert.
    """
    c = sql.Identifier(column)
    if kind is bool:
        return sql.SQL("{c}::text AS {c}").format(c=c)
    if kind is datetime:
        return sql.SQL(
            "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            " || CASE WHEN date_trunc('second', {c}) = {c} THEN ''"
            " ELSE to_char({c} AT TIME ZONE 'UTC', '.US') END || 'Z' AS {c}"
        ).format(c=c)
    if kind is float:
        # psycopg reads a real's text (`51.47`) into a double; its text is what Python writes.
        return sql.SQL("{c}::text::float8 AS {c}").format(c=c)
    if kind is str:
        return sql.SQL("{} AS {}").format(inert_sql(c), c)
    return sql.SQL("{c}").format(c=c)


class CrlfLines:
    """Turn the LF line ends of COPY's CSV into CRLF, chunk by chunk.

    A LF inside a quoted cell is data and stays; one outside is a line end. Quotes come in
    pairs within a cell (`""`), so counting them says which: the state carries across chunks.
    """

    def __init__(self) -> None:
        self.inside = False

    def __call__(self, chunk: bytes) -> bytes:
        if not self.inside and b'"' not in chunk:
            return chunk.replace(b"\n", b"\r\n")
        parts = chunk.split(b'"')
        for i, part in enumerate(parts):
            if i:
                self.inside = not self.inside
            if not self.inside:
                parts[i] = part.replace(b"\n", b"\r\n")
        return b'"'.join(parts)

"""Text cells a spreadsheet would run as formulas, made inert for every CSV we write.

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

import re
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


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text columns are safe to write as CSV."""
    out = frame.copy(deep=False)
    for name in out.columns:
        column = out[name]
        if column.dtype == object or str(column.dtype).startswith("string"):
            out[name] = column.map(lambda v: inert(v) if isinstance(v, str) else v)
    return out


def frame_csv(
    frame: pd.DataFrame, out: IO[Any] | None = None, *, header: bool = True
) -> str | None:
    """Write `frame` as CSV with inert text cells (to `out`, or return the text).

    Lines end in CRLF (RFC 4180): with a bare LF, Python's csv module leaves a carriage
    return inside a cell unquoted, and a reader would split the row there.
    """
    text: str | None = inert_frame(frame).to_csv(
        out, header=header, index=False, lineterminator="\r\n"
    )
    return text

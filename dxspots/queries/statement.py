"""What a query's SQL builder hands back: statements with their values.

Kept apart from the catalogue so that the modules holding groups of queries
(`dxspots.queries.live`, `dxspots.queries.messages`) and the catalogue that lists them can
all build statements without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import sql


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL with named placeholders and their values."""

    sql: sql.SQL | sql.Composed
    values: dict[str, Any]


Built = tuple[Statement, dict[str, Statement], bool]
"""What a query's builder returns: the main statement, the extras, whether it ends now."""

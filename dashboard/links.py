"""The command line and API URL that give what a dashboard view shows, for the full set."""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import urlencode

API = "http://127.0.0.1:8080"


def export_command(params: dict[str, Any], output: str = "spots.csv") -> str:
    """`dxspots export` with the same window and filters."""
    parts = ["dxspots", "export"]
    for key, value in params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            parts += [f"--{key.replace('_', '-')}", str(item)]
    return shlex.join([*parts, "-o", output])


def api_csv_url(params: dict[str, Any], base: str = API) -> str:
    """`/v1/spots.csv` with the same window and filters, as many rows as it gives."""
    flat = {k: ",".join(v) if isinstance(v, (list, tuple)) else v for k, v in params.items()}
    return f"{base}/v1/spots.csv?{urlencode({**flat, 'limit': 1_000_000})}"

"""Where a call in a table links to: its history on the DX page, and the lookup sites.

A call is outside text (a node sends what it likes): it is URL-quoted whole, so `/`, `#`,
`?`, `&` and spaces stay inside the one parameter or path part it fills.
"""

from __future__ import annotations

from urllib.parse import quote

HISTORY_TEXT = r"dx\?dx_call=([^&#]*)"
"""The pattern a link column shows of a history link: the call, unquoted by the browser."""


def history_url(call: str) -> str:
    """The DX page's history of `call`, relative to the dashboard's own address."""
    return f"dx?dx_call={quote(call.strip(), safe='')}"


def base_call(call: str) -> str:
    """`call` without its SSID or skimmer suffix (`DK8NE-2-#` is DK8NE)."""
    return call.strip().split("-", 1)[0]


def lookup_url(template: str, call: str) -> str:
    """`template` (`{call}` where the call goes) for `call` without its SSID or skimmer
    suffix (`DK8NE-2-#` is looked up as DK8NE)."""
    return template.format(call=quote(base_call(call), safe=""))

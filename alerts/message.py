"""An alert's words: a one-line title and a few lines of plain text for people, the spot as
JSON for webhooks. Text from the cluster (calls, comment) is a stranger's: control characters
are taken out and it is cut to a bounded length before it goes anywhere."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from dxspots.queries.needed import NEEDED_WORDS

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
JSON_FIELDS = (
    "id",
    "spot_time",
    "freq_khz",
    "dx_call",
    "spotter",
    "comment",
    "band",
    "mode",
    "snr_db",
    "wpm",
    "is_skimmer",
    "dx_entity",
    "dx_continent",
    "dx_cq_zone",
    "spotter_continent",
    "spotter_cq_zone",
    "node",
)


def clean(text: object, limit: int = 120) -> str:
    """Printable text, one line, at most `limit` characters."""
    return _CONTROL.sub(" ", str(text or ""))[:limit].strip()


def title(spot: dict[str, Any]) -> str:
    parts = [clean(spot.get("dx_call"), 24), f"{float(spot.get('freq_khz') or 0):.1f}",
             clean(spot.get("mode"), 10), clean(spot.get("band"), 8)]  # fmt: skip
    return " ".join(part for part in parts if part)


def text(spot: dict[str, Any], rule: str, needed: str | None) -> str:
    moment = spot.get("spot_time")
    when = f"{moment:%H:%M}Z" if isinstance(moment, datetime) else ""
    lines = [
        f"{title(spot)}" + (f", {clean(spot.get('dx_entity'), 40)}" if spot.get("dx_entity")
                            else ""),
        f"de {clean(spot.get('spotter'), 24)}"
        + (f" ({clean(spot.get('spotter_continent'), 2)})" if spot.get("spotter_continent")
           else "") + (f" at {when}" if when else ""),
    ]  # fmt: skip
    if spot.get("snr_db") is not None:
        lines.append(f"{int(spot['snr_db'])} dB")
    if spot.get("comment"):
        lines.append(clean(spot["comment"]))
    lines.append(f"rule: {clean(rule, 80)}" + (f"; {NEEDED_WORDS[needed]}" if needed in
                                                NEEDED_WORDS else ""))  # fmt: skip
    return "\n".join(lines)


def line(spot: dict[str, Any], rule: str, needed: str | None) -> str:
    """The alert in one line, for a digest of several."""
    moment = spot.get("spot_time")
    when = f" {moment:%H:%M}Z" if isinstance(moment, datetime) else ""
    what = f", {NEEDED_WORDS[needed]}" if needed in NEEDED_WORDS else ""
    return f"{title(spot)} de {clean(spot.get('spotter'), 24)}{when} ({clean(rule, 40)}{what})"


def spot_json(spot: dict[str, Any], rule: str, needed: str | None) -> str:
    """The webhook's body: the rule, what the spot is for the rule's log, and the spot."""
    fields = {name: spot.get(name) for name in JSON_FIELDS}
    return json.dumps({"rule": rule, "needed": needed, "spot": fields}, default=_plain,
                      ensure_ascii=False)  # fmt: skip


def _plain(value: object) -> str:
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else str(value)

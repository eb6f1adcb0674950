"""Messages between people: `To ALL de`, `To LOCAL de`, `WX de`, and talk (`G4XYZ de DL1ABC:`)."""

from __future__ import annotations

import re
from datetime import datetime

from dxspots.parse.clock import parse_hhmm, spot_time
from dxspots.parse.fields import call_token
from dxspots.spot import Announcement, Other

# A sender must look like a callsign: letters and digits, a digit somewhere, no more than two
# leading digits (so `222DL5ML` is refused), optional SSID or portable parts.
_SENDER = r"(?:[A-Z0-9]{1,4}/)?[0-9]{0,2}[A-Z][A-Z0-9/]*[0-9][A-Z0-9/]*(?:-[A-Z0-9#@]{1,3})*"
_BROADCAST_RE = re.compile(
    rf"(?i:To (ALL|LOCAL)|(WX)) de ({_SENDER})\s*(?:<(\d{{4}})Z>)?\s*:\s?(.*)$"
)
_TALK_RE = re.compile(rf"(?:(?i:To) )?({_SENDER}) de ({_SENDER})\s*(?:<(\d{{4}})Z>)?\s*:\s?(.*)$")


def parse_announcement(line: str, received_at: datetime, node: str | None) -> Announcement | Other:
    """Parse `To ALL de`, `To LOCAL de` or `WX de`; a truncated one comes back as `Other`."""
    match = _BROADCAST_RE.match(line)
    if match is None:
        return Other(line, received_at, "truncated message", node)
    scope, wx, sender, hhmm_text, text = match.groups()
    return _announcement(
        "wx" if wx else scope.lower(), sender, None, hhmm_text, text, line, received_at, node
    )


def parse_talk(line: str, received_at: datetime, node: str | None) -> Announcement | None:
    """Parse a talk message (`DL1ABC de G4XYZ: text`); None when the line is not one."""
    match = _TALK_RE.match(line)
    if match is None:
        return None
    recipient, sender, hhmm_text, text = match.groups()
    return _announcement("talk", sender, recipient, hhmm_text, text, line, received_at, node)


def _announcement(
    kind: str,
    sender: str,
    recipient: str | None,
    hhmm_text: str | None,
    text: str,
    line: str,
    received_at: datetime,
    node: str | None,
) -> Announcement:
    hhmm = parse_hhmm(hhmm_text) if hhmm_text else None
    return Announcement(
        kind=kind,
        sender=call_token(sender) or sender.upper(),
        text=text.strip(),
        received_at=received_at,
        raw=line,
        recipient=call_token(recipient) if recipient else None,
        sent_time=spot_time(*hhmm, received_at) if hhmm else None,
        node=node,
    )

"""The alerts' cool-down, claimed in the database (migration 0016): whoever claims a rule's
(DX call, band, mode) first in a window sends the alert; everyone else, in this process or
another, before or after a restart, finds it taken."""

from __future__ import annotations

from datetime import datetime

import psycopg

_CLAIM = (
    "INSERT INTO alert_claims (rule, dx_call, band, mode, sent_at, spot_id)"
    " VALUES (%(rule)s, %(dx_call)s, %(band)s, %(mode)s, %(at)s, %(spot_id)s)"
    " ON CONFLICT ON CONSTRAINT alert_claims_key DO UPDATE"
    " SET sent_at = excluded.sent_at, spot_id = excluded.spot_id"
    " WHERE alert_claims.sent_at <= excluded.sent_at - make_interval(mins => %(cooldown)s)"
    " RETURNING spot_id"
)


def claim(
    conn: psycopg.Connection[tuple[object, ...]],
    rule: str,
    dx_call: str,
    band: str | None,
    mode: str | None,
    *,
    at: datetime,
    cooldown_minutes: int,
    spot_id: int | None = None,
) -> bool:
    """Take the alert for `rule` and this DX, band and mode at `at`: True when no alert of
    the rule for them was sent in the `cooldown_minutes` before (the caller sends it), False
    when one was. One statement, committed by the caller; concurrent claims of one key wait
    for each other, so exactly one of them wins."""
    values = {
        "rule": rule, "dx_call": dx_call, "band": band or "", "mode": mode or "", "at": at,
        "spot_id": spot_id, "cooldown": cooldown_minutes,
    }  # fmt: skip
    return conn.execute(_CLAIM, values).fetchone() is not None

"""The alerts' queries (issue 16): the rules the alerts process runs and what it sent, for
the dashboard's Alerts page and the API. Both read what `dxspots alerts` stores (migration
0017); neither holds a channel's URL, only its service's name."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar

from psycopg import sql
from pydantic import AfterValidator, BeforeValidator, Field

from dxspots.db.alertlog import ALERT_LOG_DAYS
from dxspots.queries.filters import resolve_window, where
from dxspots.queries.params import Limited, Window, _single, _split, shown
from dxspots.queries.statement import Built, Statement

OUTCOMES = ("sent", "given up", "dropped", "abandoned")


def _rule_name(value: str | None) -> str | None:
    if value is not None and (len(value) > 80 or not value.isprintable()):
        raise ValueError(f"{shown(value)} is not a rule name (at most 80 printable characters)")
    return value


def _outcomes(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    for value in values:
        if value not in OUTCOMES:
            raise ValueError(f"{shown(value)} is not an outcome ({', '.join(OUTCOMES)})")
    return tuple(dict.fromkeys(values))


class AlertRulesParams(Limited):
    LIMIT_DEFAULT: ClassVar[int] = 500
    LIMIT_MAX: ClassVar[int] = 2000


def alert_rules(p: AlertRulesParams, now: datetime, fetch: int) -> Built:
    """The alert rules in their file's order, as the alerts process loaded them."""
    statement = sql.SQL(
        "SELECT position, name, conditions, channels, cooldown_minutes, loaded_at, source"
        " FROM alert_rules ORDER BY position LIMIT %(fetch)s"
    )
    return Statement(statement, {"fetch": fetch}), {}, True


class AlertsParams(Window):
    LIMIT_DEFAULT: ClassVar[int] = 100
    LIMIT_MAX: ClassVar[int] = 1000
    rule: Annotated[
        str | None,
        BeforeValidator(_single),
        AfterValidator(_rule_name),
        Field(default=None, description="Only this rule's alerts (its name)."),
    ] = None
    outcome: Annotated[
        tuple[str, ...] | None,
        BeforeValidator(_split),
        AfterValidator(_outcomes),
        Field(default=None, max_length=4, description="`sent`, `given up` (after every try), "
              "`dropped` (the channel's queue was full) or `abandoned` (still waiting, or being "
              "sent, when the process stopped); comma-separated or repeated."),
    ] = None  # fmt: skip


def alerts(p: AlertsParams, now: datetime, fetch: int) -> Built:
    """Alerts in the window, newest first, one row per alert and channel."""
    span = resolve_window(p, now, timedelta(days=1), timedelta(days=ALERT_LOG_DAYS), "alerts")
    values: dict[str, Any] = {"since": span.since, "until": span.until, "fetch": fetch}
    parts: list[sql.Composable] = [sql.SQL("at >= %(since)s AND at < %(until)s")]
    if p.rule is not None:
        values["rule"] = p.rule
        parts.append(sql.SQL("rule = %(rule)s"))
    if p.outcome is not None:
        values["outcome"] = list(p.outcome)
        parts.append(sql.SQL("outcome = ANY(%(outcome)s)"))
    statement = sql.SQL(
        "SELECT at, rule, channel, outcome, attempts, spot_id, spot_time, dx_call, freq_khz,"
        " band, mode, needed FROM alert_log {} ORDER BY at DESC, id DESC LIMIT %(fetch)s"
    ).format(where(parts))
    return Statement(statement, values), {}, span.live

-- What the alerts process does, for the dashboard's read-only Alerts page (issue 16).
--
-- `alert_rules`: the rules the alerts process runs, as it loaded them at its start, each
-- described in words, with its channels by service name only (a channel's URL may hold a
-- password or a private topic; it never leaves the rules file).
-- `alert_log`: each alert's outcome per channel: sent, given up after its retries, dropped
-- because the channel's queue was full, or abandoned: still waiting (or being sent) when the
-- process stopped. The alerts process keeps `ALERT_LOG_DAYS` of it.
CREATE TABLE alert_rules (
    position          integer     NOT NULL,
    name              text        NOT NULL,
    conditions        text        NOT NULL,
    channels          text        NOT NULL,
    cooldown_minutes  integer     NOT NULL,
    loaded_at         timestamptz NOT NULL,
    source            text        NOT NULL,
    CONSTRAINT alert_rules_key PRIMARY KEY (position)
);
COMMENT ON TABLE alert_rules IS
    'The alert rules the alerts process loaded at its start (no channel URLs).';

CREATE TABLE alert_log (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL,
    rule       text        NOT NULL,
    channel    text        NOT NULL,
    outcome    text        NOT NULL
               CHECK (outcome IN ('sent', 'given up', 'dropped', 'abandoned')),
    attempts   integer     NOT NULL,
    spot_id    bigint,
    spot_time  timestamptz,
    dx_call    text,
    freq_khz   double precision,
    band       text,
    mode       text,
    needed     text,
    CONSTRAINT alert_log_key PRIMARY KEY (id)
);
CREATE INDEX alert_log_at ON alert_log (at);
COMMENT ON TABLE alert_log IS
    'Each alert and channel: sent, given up or dropped, when, after how many tries.';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON alert_rules, alert_log TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rules, alert_log TO dxspots_writer;
    END IF;
END
$$;

-- Alerts' cool-down (issue 16): the last time each rule alerted for a DX call on a band and
-- mode. `dxspots.db.alertclaims.claim` takes a row with one statement that only succeeds
-- when the last alert is older than the rule's cool-down, so however many nodes or skimmers
-- report the DX, however many alert processes run, and across restarts, one alert is sent
-- per window. Unknown band or mode is stored as ''.
CREATE TABLE alert_claims (
    rule      text        NOT NULL,
    dx_call   text        NOT NULL,
    band      text        NOT NULL,
    mode      text        NOT NULL,
    sent_at   timestamptz NOT NULL,
    spot_id   bigint,
    CONSTRAINT alert_claims_key PRIMARY KEY (rule, dx_call, band, mode)
);
COMMENT ON TABLE alert_claims IS
    'Per alert rule, DX call, band and mode: when it last alerted (its cool-down).';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON alert_claims TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON alert_claims TO dxspots_writer;
    END IF;
END
$$;

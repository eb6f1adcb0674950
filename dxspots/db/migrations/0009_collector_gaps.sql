-- Gaps the collector's back-fill could not close: after a reconnect it asks the node for its
-- history until that reaches the newest spot it had; where the node's history ends sooner,
-- the spots in between are missing, and this says so (the Collector page, the nodes query).
-- node_status gains the session's probe, gap and missed-spot counts.

CREATE TABLE collector_gaps (
    node      text        NOT NULL,
    gap_from  timestamptz NOT NULL,
    gap_to    timestamptz NOT NULL,
    missed    integer     NOT NULL,
    found_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node, gap_from)
);
COMMENT ON TABLE collector_gaps IS 'Spots a node''s history could not give back after a reconnect.';
COMMENT ON COLUMN collector_gaps.gap_from IS 'The newest spot stored before the gap.';
COMMENT ON COLUMN collector_gaps.gap_to IS 'The oldest spot the node''s history still had.';
COMMENT ON COLUMN collector_gaps.missed IS 'Spots estimated missing, at the rate the node''s history shows.';

ALTER TABLE node_status
    ADD COLUMN probes integer NOT NULL DEFAULT 0,
    ADD COLUMN gaps   integer NOT NULL DEFAULT 0,
    ADD COLUMN missed bigint  NOT NULL DEFAULT 0;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON collector_gaps TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON collector_gaps TO dxspots_writer;
    END IF;
END
$$;

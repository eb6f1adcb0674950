-- What the Collector page needs to say, per collector, that spots are being lost: the spool's
-- cap, whether it can take the next batch, and when lines were last lost (the lost_lines total
-- alone cannot tell a loss an hour ago from one going on now).

ALTER TABLE collector_status
    ADD COLUMN spool_cap_bytes bigint,
    ADD COLUMN spool_full      boolean     NOT NULL DEFAULT false,
    ADD COLUMN lost_at         timestamptz;
COMMENT ON COLUMN collector_status.spool_cap_bytes IS 'The spool''s size cap (DXSPOTS_SPOOL_MAX_BYTES).';
COMMENT ON COLUMN collector_status.spool_full IS 'The spool cannot take the next batch: lines are lost while the database is away.';
COMMENT ON COLUMN collector_status.lost_at IS 'When lines were last lost (database away, spool full).';

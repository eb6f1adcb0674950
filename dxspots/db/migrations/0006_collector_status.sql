-- What the dashboard's Collector page shows beyond the nodes: each node's recent line rate,
-- and per collector process its spool (batches kept while the database was away) and queue.

ALTER TABLE node_status ADD COLUMN lines_per_minute real;
COMMENT ON COLUMN node_status.lines_per_minute IS 'Lines received over the last minute or so.';

CREATE TABLE collector_status (
    collector    text        PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    spool_bytes  bigint      NOT NULL DEFAULT 0,
    queue_lines  integer     NOT NULL DEFAULT 0,
    lines        bigint      NOT NULL DEFAULT 0,
    lost_lines   bigint      NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE collector_status IS 'One row per collector (host name): spool, queue, totals.';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON collector_status TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON collector_status TO dxspots_writer;
    END IF;
END
$$;

-- What the collector knows about each node, written every few seconds, for the dashboard and
-- the API. One row per node name; the collector upserts it.

CREATE TABLE node_status (
    node             text        PRIMARY KEY,
    host             text        NOT NULL,
    port             integer     NOT NULL,
    software         text,
    logged_in        boolean     NOT NULL DEFAULT false,
    connected_since  timestamptz,
    last_line_at     timestamptz,
    lines            bigint      NOT NULL DEFAULT 0,
    spots            bigint      NOT NULL DEFAULT 0,
    rejects          bigint      NOT NULL DEFAULT 0,
    overflows        bigint      NOT NULL DEFAULT 0,
    reconnects       integer     NOT NULL DEFAULT 0,
    last_error       text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON node_status TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON node_status TO dxspots_writer;
    END IF;
END
$$;

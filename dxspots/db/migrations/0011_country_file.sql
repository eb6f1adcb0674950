-- The country file, as the database needs to know it: which one each collector enriches
-- with (NULL: none, so DXCC entities and continents stay empty; the dashboard then says so on
-- every page with the command that fixes it), and how far re-enrichment has come. Spots
-- stored while there was no country file, or before a new one knew their prefix, have no
-- entity; `dxspots cty reenrich` fills them in batches and keeps its place here, so an
-- interrupted run continues where it stopped, and a changed country file starts it again.

ALTER TABLE collector_status ADD COLUMN country_file text;
COMMENT ON COLUMN collector_status.country_file IS
    'The country file this collector enriches with: its version (the yyyymmdd of its VER '
    'line), ''unknown version'', or NULL when it has none.';

CREATE TABLE reenrich_progress (
    only_row      boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    country_file  text        NOT NULL,
    after_time    timestamptz,
    after_id      bigint,
    examined      bigint      NOT NULL DEFAULT 0,
    enriched      bigint      NOT NULL DEFAULT 0,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE reenrich_progress IS
    'Where `dxspots cty reenrich` is: one row, for the country file it enriches with.';
COMMENT ON COLUMN reenrich_progress.country_file IS
    'The country file''s version and content hash: a different one starts the run again.';
COMMENT ON COLUMN reenrich_progress.after_time IS
    'The (spot_time, id) of the last spot looked at; the next batch starts after it.';
COMMENT ON COLUMN reenrich_progress.finished_at IS 'When the run reached the newest spot.';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON reenrich_progress TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON reenrich_progress TO dxspots_writer;
    END IF;
END
$$;

-- Months of raw spots that retention archived as Parquet and dropped (docs/retention.md).
-- The rollups (spot_hours, ...) keep counting those months' spots after the rows are gone;
-- `dxspots import` reads this table to restore an archived month's rows without counting
-- them a second time, and to tell spots already archived from new ones.

CREATE TABLE spot_archives (
    month       timestamptz PRIMARY KEY,
    spots       bigint      NOT NULL,
    files       text[]      NOT NULL,
    dropped_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE spot_archives IS
    'Months of spots archived to Parquet and dropped; their rollup rows were kept.';
COMMENT ON COLUMN spot_archives.month IS 'The first instant of the month, UTC.';
COMMENT ON COLUMN spot_archives.spots IS
    'The spots the month''s archive files hold (each once, however often it was dropped).';
COMMENT ON COLUMN spot_archives.files IS 'The archive files holding the month, by name.';

-- Spot ids are numbers of one database: an archive file is trusted only by the database that
-- wrote it, which it names in its Parquet metadata. The row is made by the first retention
-- run (not here), so databases cloned from a migrated template each get their own.
CREATE TABLE database_identity (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    id   uuid    NOT NULL DEFAULT gen_random_uuid()
);
COMMENT ON TABLE database_identity IS
    'This database''s identity (one row), written into each retention archive file.';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON spot_archives, database_identity TO dxspots_reader;
        GRANT SELECT ON spot_archives, database_identity TO dxspots_writer;
    END IF;
END
$$;

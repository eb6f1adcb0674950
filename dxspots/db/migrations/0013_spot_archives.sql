-- Months of raw spots that retention archived as Parquet and dropped (docs/retention.md).
-- The rollups (spot_hours, ...) keep counting those months' spots after the rows are gone;
-- `dxspots import` reads this table to restore an archived month's rows without counting
-- them a second time. A month dropped again after a restore adds to `spots` and `files`.

CREATE TABLE spot_archives (
    month       timestamptz PRIMARY KEY,
    spots       bigint      NOT NULL,
    files       text[]      NOT NULL,
    dropped_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE spot_archives IS
    'Months of spots archived to Parquet and dropped; their rollup rows were kept.';
COMMENT ON COLUMN spot_archives.month IS 'The first instant of the month, UTC.';
COMMENT ON COLUMN spot_archives.files IS 'The archive files holding the month, by name.';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON spot_archives TO dxspots_reader;
        GRANT SELECT ON spot_archives TO dxspots_writer;
    END IF;
END
$$;

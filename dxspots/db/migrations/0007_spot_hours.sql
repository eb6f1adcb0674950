-- Spots per UTC hour and the dimensions the heatmaps filter by, kept by the write path in
-- the same statement that stores the spots (new spots only; duplicates do not count). A
-- week or a month of band x hour counts then reads a few thousand rows instead of every
-- spot. Unknown values are stored as '' (the key must compare them equal); queries turn
-- them back into NULL. Deleting spots does not update it: delete the same hours here.

CREATE TABLE spot_hours (
    hour               timestamptz NOT NULL,
    band               text        NOT NULL,
    mode               text        NOT NULL,
    spotter_continent  text        NOT NULL,
    dx_continent       text        NOT NULL,
    is_skimmer         boolean     NOT NULL,
    spots              integer     NOT NULL,
    CONSTRAINT spot_hours_key
        PRIMARY KEY (hour, band, mode, spotter_continent, dx_continent, is_skimmer)
);
COMMENT ON TABLE spot_hours IS 'Spots per UTC hour, band, mode, continents and skimmer flag.';

-- Writers wait while the counts are made from what is stored (no batch lands in between
-- uncounted). Restart collectors after this migration: an old one would not count.
LOCK TABLE spots IN SHARE MODE;
INSERT INTO spot_hours
SELECT date_trunc('hour', spot_time, 'UTC'), coalesce(band, ''), coalesce(mode, ''),
       coalesce(spotter_continent, ''), coalesce(dx_continent, ''), is_skimmer, count(*)
FROM spots
GROUP BY 1, 2, 3, 4, 5, 6;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON spot_hours TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON spot_hours TO dxspots_writer;
    END IF;
END
$$;

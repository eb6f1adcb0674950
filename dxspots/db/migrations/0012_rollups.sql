-- Rollups that keep a DX call's history flat in the size of `spots` (issue 15). Kept, like
-- `spot_hours`, by the write path in the statement that stores the spots (new spots only);
-- `forget` and re-enrichment keep them consistent (dxspots/db/rollups.py). They are not made
-- from `spots` again when raw partitions are dropped (retention): they keep what was counted.
-- Unknown values are stored as '' (keys must compare them equal); queries turn '' into NULL.
--
-- call_days: one row per UTC day, DX call and the dimensions a call's history shows (band,
-- mode, spotter continent; the DX entity and continent, one per call but for a changed
-- country file), with its spots and the first and last spot's time. A call's bands, modes,
-- spotter continents, first and last seen read O(days it was active), not O(its spots).
-- Nothing else is in the key: each key column multiplies the rows the writer upserts.
CREATE TABLE call_days (
    day                timestamptz NOT NULL,
    dx_call            text        NOT NULL,
    band               text        NOT NULL,
    mode               text        NOT NULL,
    spotter_continent  text        NOT NULL,
    dx_continent       text        NOT NULL,
    dx_entity          text        NOT NULL,
    spots              integer     NOT NULL,
    first_spot         timestamptz NOT NULL,
    last_spot          timestamptz NOT NULL,
    CONSTRAINT call_days_key PRIMARY KEY
        (dx_call, day, band, mode, spotter_continent, dx_continent, dx_entity)
);
COMMENT ON TABLE call_days IS
    'Spots per UTC day, DX call, band, mode, continents and DX entity.';

-- call_spotters: how many spots each spotter (base call) made of each DX call, over all
-- time: a call's distinct spotters cannot be summed from per-day counts, but can be counted
-- here (rows with spots > 0 and a known spotter).
CREATE TABLE call_spotters (
    dx_call       text    NOT NULL,
    spotter_base  text    NOT NULL,
    spots         integer NOT NULL,
    CONSTRAINT call_spotters_key PRIMARY KEY (dx_call, spotter_base)
);
COMMENT ON TABLE call_spotters IS 'Spots of each DX call by each spotter base call, all time.';

-- Writers wait while the rollups are made from what is stored. Restart collectors after
-- this migration: an old one would not count.
LOCK TABLE spots IN SHARE MODE;
INSERT INTO call_days
SELECT date_trunc('day', spot_time, 'UTC'), dx_call, coalesce(band, ''), coalesce(mode, ''),
       coalesce(spotter_continent, ''), coalesce(dx_continent, ''),
       coalesce(dx_entity, ''), count(*), min(spot_time), max(spot_time)
FROM spots
GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO call_spotters
SELECT dx_call, coalesce(spotter_base, ''), count(*) FROM spots GROUP BY 1, 2;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON call_days, call_spotters TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON call_days, call_spotters TO dxspots_writer;
    END IF;
END
$$;

-- Which DX calls and which spotters were active on each UTC day, with their first and last
-- spot's time: the summary's distinct calls and spotters of the last day then read two days
-- of these rows instead of every spot of the day (issue 15). A window that cuts a day on
-- one side only is counted exactly from them: a call has a spot in [since, end of day) when
-- its row's last_spot >= since, in [start of day, until) when its first_spot < until.
-- Kept, like the other rollups, by the writer in the statement that stores the spots (new
-- spots only) and by `forget` (dxspots/db/rollups.py); retention keeps them. Narrow on
-- purpose: one row per day and call, where call_days has one per band, mode, continents.
CREATE TABLE dx_days (
    day         timestamptz NOT NULL,
    dx_call     text        NOT NULL,
    spots       integer     NOT NULL,
    first_spot  timestamptz NOT NULL,
    last_spot   timestamptz NOT NULL,
    CONSTRAINT dx_days_key PRIMARY KEY (day, dx_call)
);
COMMENT ON TABLE dx_days IS 'Spots per UTC day and DX call, with the first and last time.';

CREATE TABLE spotter_days (
    day           timestamptz NOT NULL,
    spotter_base  text        NOT NULL,
    spots         integer     NOT NULL,
    first_spot    timestamptz NOT NULL,
    last_spot     timestamptz NOT NULL,
    CONSTRAINT spotter_days_key PRIMARY KEY (day, spotter_base)
);
COMMENT ON TABLE spotter_days IS
    'Spots per UTC day and spotter (base call; unknown as ''''), with the first and last time.';

-- The summary's spots without an entity (the sign of a missing country file) by index: with a
-- country file almost no spot is in it, so it costs the writer next to nothing.
CREATE INDEX spots_without_entity ON spots (spot_time) WHERE dx_entity IS NULL;

-- Writers wait while the rollups are made from what is stored. Restart collectors after
-- this migration: an old one would not count.
LOCK TABLE spots IN SHARE MODE;
INSERT INTO dx_days
SELECT date_trunc('day', spot_time, 'UTC'), dx_call, count(*), min(spot_time), max(spot_time)
FROM spots GROUP BY 1, 2;
INSERT INTO spotter_days
SELECT date_trunc('day', spot_time, 'UTC'), coalesce(spotter_base, ''), count(*),
       min(spot_time), max(spot_time)
FROM spots GROUP BY 1, 2;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON dx_days, spotter_days TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON dx_days, spotter_days TO dxspots_writer;
    END IF;
END
$$;

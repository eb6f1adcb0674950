-- Spots, partitioned by month of spot_time.
--
-- Dedupe key: (spot_time, dx_call, spotter, freq_bucket). The same spot relayed by several
-- nodes, or read again from a node's history (sh/dx) after a reconnect, carries the same
-- spotter, DX call and minute; its frequency may be printed with one or two decimals, so the
-- key uses the whole kHz of the frequency rounded to 0.1 kHz (14025.96 and 14026.0 are one
-- spot). A spotter cannot usefully spot one call twice on the same kHz in
-- the same minute, so nothing real is lost; two spots of one call by one spotter on
-- different bands or frequencies stay two rows. spot_time is part of the key because every
-- unique index of a partitioned table must contain the partition key.

CREATE TABLE spots (
    spot_time          timestamptz      NOT NULL,
    freq_khz           double precision NOT NULL,
    dx_call            text             NOT NULL,
    spotter            text             NOT NULL,
    comment            text             NOT NULL DEFAULT '',
    received_at        timestamptz      NOT NULL,
    raw                text             NOT NULL,
    source             text             NOT NULL,
    node               text,
    snr_db             smallint,
    wpm                smallint,
    bps                smallint,
    spot_type          text,
    is_skimmer         boolean          NOT NULL DEFAULT false,
    spotter_locator    text,
    dx_state           text,
    spotter_state      text,
    origin_node        text,
    mode               text,
    locator            text,
    band               text,
    spotter_base       text,
    qsx_khz            double precision,
    dx_entity          text,
    dx_adif            smallint,
    dx_continent       text,
    dx_cq_zone         smallint,
    dx_itu_zone        smallint,
    dx_lat             real,
    dx_lon             real,
    spotter_entity     text,
    spotter_adif       smallint,
    spotter_continent  text,
    spotter_cq_zone    smallint,
    spotter_itu_zone   smallint,
    spotter_lat        real,
    spotter_lon        real,
    freq_bucket        integer GENERATED ALWAYS AS ((round(freq_khz * 10)::bigint / 10)::integer) STORED,
    CONSTRAINT spots_dedupe UNIQUE (spot_time, dx_call, spotter, freq_bucket)
) PARTITION BY RANGE (spot_time);

COMMENT ON TABLE spots IS 'Every DX spot, parsed and enriched; one row per spot however many nodes sent it.';
COMMENT ON CONSTRAINT spots_dedupe ON spots IS 'Same minute, DX call, spotter and whole kHz: the same spot.';

CREATE INDEX spots_dx_call_time ON spots (dx_call, spot_time DESC);

-- Create the monthly partition holding `at`, if missing. Safe to call concurrently; runs as
-- the table owner so that a writer role that does not own `spots` can still add months.
CREATE FUNCTION dxspots_ensure_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    month_start timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    month_end   timestamptz := (date_trunc('month', at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    name        text := format('spots_%s', to_char(at AT TIME ZONE 'UTC', 'YYYY_MM'));
    attached    boolean;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('dxspots_ensure_partition'));
    IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF spots FOR VALUES FROM (%L) TO (%L)',
                       name, month_start, month_end);
        RETURN name;
    END IF;
    SELECT EXISTS (SELECT FROM pg_inherits
                   WHERE inhrelid = to_regclass(name) AND inhparent = 'spots'::regclass)
      INTO attached;
    IF NOT attached THEN
        RAISE EXCEPTION 'table % exists but is not a partition of spots (detached?)', name
            USING HINT = format('re-attach it (ALTER TABLE spots ATTACH PARTITION %I FOR VALUES'
                                ' FROM (%L) TO (%L)) or rename it', name, month_start, month_end);
    END IF;
    RETURN name;
END
$$;

-- This month and the next exist from the start; the writer creates others as spots need them.
SELECT dxspots_ensure_partition(now());
SELECT dxspots_ensure_partition(now() + interval '1 month');

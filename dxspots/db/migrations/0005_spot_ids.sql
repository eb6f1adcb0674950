-- Every spot gets a number, in the order the database stored it: the API's live stream names
-- its events by it (Server-Sent Events' `id`, so a client that reconnects with
-- `Last-Event-ID` gets what it missed), and lists use it to order spots of the same minute.
-- A spot dropped as a duplicate still takes a number, so the numbers have gaps. Numbers are
-- taken at insert and become visible at commit; with one writer (the collector's pipeline
-- writes one batch at a time) that is also the order in which they become visible.

CREATE SEQUENCE spots_id_seq AS bigint;
ALTER TABLE spots ADD COLUMN id bigint NOT NULL DEFAULT nextval('spots_id_seq');
ALTER SEQUENCE spots_id_seq OWNED BY spots.id;
CREATE INDEX spots_id ON spots (id);
-- Newest first, with the number to break ties within a minute: the `spots` list's order and
-- its keyset cursor.
CREATE INDEX spots_time_id ON spots (spot_time DESC, id DESC);

COMMENT ON COLUMN spots.id IS 'Storage order (gaps allowed); the live stream''s event id.';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_writer') THEN
        GRANT USAGE ON SEQUENCE spots_id_seq TO dxspots_writer;
    END IF;
END
$$;

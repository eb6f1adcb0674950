-- Corrections are spots of their own (issue 13). The dedupe key of `spots` was the minute,
-- DX call, spotter and whole kHz, so a spot the node broadcast again with its frequency moved
-- within the kHz, or with new text (a correction), was dropped as a copy of the first. The
-- key becomes close to the one DXSpider itself dedupes on (Spot::dup_add): the minute, DX call,
-- spotter, the frequency at the node's 0.1 kHz, and the comment's text reduced to upper-case
-- ASCII letters and digits (so that a copy relayed through a node that spaces, punctuates or
-- encodes accented letters differently is still the same text). A skimmer's comment is its
-- measurement, printed differently by each node, and skimmers do not correct spots: for a
-- `-#` spotter the text is left out of the key. A comment that some node cut to its column
-- width (`sh/dx` prints 29 or 30 characters of it) is the same text as the whole one; a
-- unique index cannot say "is the start of", so the writer checks that before it inserts
-- (dxspots/db/writer.py), and the index catches the exact copies. docs/database.md says why.
--
-- On a populated table: no row changes and none is rewritten. Every pair of rows distinct
-- under the old key is distinct under the new one (the new key only adds to it: the whole kHz
-- is the tenth of a kHz divided by ten), so the unique index builds on what is stored. It is
-- built on each monthly partition while writers wait (SHARE lock); the old constraint is
-- dropped last, in the same transaction. Partitions made later get the index from the parent.
-- A collector still running the old writer keeps working (its ON CONFLICT DO NOTHING takes
-- any unique index) but merges no truncated copies: restart collectors after this migration.

CREATE FUNCTION dxspots_comment_key(spotter text, comment text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN spotter LIKE '%-#' THEN ''
    -- Index entries are bounded: texts equal in their first 100 letters and digits are one.
    ELSE left(upper(regexp_replace(comment, '[^0-9A-Za-z]+', '', 'g') COLLATE "C"), 100)
END;

COMMENT ON FUNCTION dxspots_comment_key(text, text) IS
    'A spot''s comment as the dedupe key compares it: its upper-case ASCII letters and digits,'
    ' at most 100; empty for a skimmer (-#) spotter.';

CREATE UNIQUE INDEX spots_dedupe_key ON spots (
    spot_time, dx_call, spotter, (round(freq_khz * 10)::integer),
    (dxspots_comment_key(spotter, comment))
);
COMMENT ON INDEX spots_dedupe_key IS
    'Same minute, DX call, spotter, 0.1 kHz and comment text: the same spot.';

ALTER TABLE spots DROP CONSTRAINT spots_dedupe;

COMMENT ON COLUMN spots.freq_bucket IS
    'The whole kHz of the frequency rounded to 0.1 kHz (the dedupe key before migration 0010).';

-- WWV/WCY reports, announcements and talk, and lines that looked like records but were not.

CREATE TABLE solar_reports (
    kind         text        NOT NULL CHECK (kind IN ('wwv', 'wcy')),
    report_time  timestamptz NOT NULL,
    reporter     text        NOT NULL,
    received_at  timestamptz NOT NULL,
    raw          text        NOT NULL,
    sfi          smallint,
    a_index      smallint,
    k_index      smallint,
    expk         smallint,
    r            smallint,
    sa           text,
    gmf          text,
    aurora       text,
    forecast     text,
    node         text,
    -- The same report relayed by several nodes lands once.
    CONSTRAINT solar_reports_dedupe UNIQUE (kind, report_time, reporter)
);
CREATE INDEX solar_reports_time ON solar_reports (report_time DESC);

CREATE TABLE announcements (
    kind         text        NOT NULL CHECK (kind IN ('all', 'local', 'wx', 'talk')),
    sender       text        NOT NULL,
    recipient    text,
    text         text        NOT NULL,
    sent_minute  timestamptz NOT NULL,
    sent_time    timestamptz,
    received_at  timestamptz NOT NULL,
    raw          text        NOT NULL,
    node         text
);
-- sent_minute: the line's own time, or the received time, to the minute. The text is
-- hashed: an index entry cannot hold a long message.
CREATE UNIQUE INDEX announcements_dedupe ON announcements (kind, sender, sent_minute, md5(text));
CREATE INDEX announcements_time ON announcements (sent_minute DESC);

-- Lines that started like a record but could not be read (bad frequency, no time...).
-- Banners, prompts and command replies are not kept here: they are not malformed.
CREATE TABLE rejected_lines (
    received_at  timestamptz NOT NULL,
    node         text,
    reason       text        NOT NULL,
    raw          text        NOT NULL
);
CREATE INDEX rejected_lines_time ON rejected_lines (received_at DESC);
-- The line is hashed: an index entry cannot hold a long line, and those are kept too.
CREATE UNIQUE INDEX rejected_lines_dedupe
    ON rejected_lines (received_at, coalesce(node, ''), md5(raw));

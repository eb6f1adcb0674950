-- The operators' own logs (issue 16): each QSO of an imported ADIF log, held apart by owner
-- (a label the importer is given: one operator's several calls can share one, club members
-- each have their own). `dxspots log import` upserts them, so importing a log again, or a
-- LoTW report of the same QSOs later, adds nothing twice: a QSO is its owner, call, minute,
-- band and mode class, and a confirmation once seen stays.
CREATE TABLE log_qsos (
    owner        text        NOT NULL,
    call         text        NOT NULL,
    qso_time     timestamptz NOT NULL,
    band         text        NOT NULL,
    mode_class   text        NOT NULL CHECK (mode_class IN ('CW', 'PHONE', 'DATA')),
    mode         text        NOT NULL,
    dx_entity    text,
    dxcc         integer,
    confirmed    boolean     NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT log_qsos_key PRIMARY KEY (owner, call, qso_time, band, mode_class)
);
COMMENT ON TABLE log_qsos IS 'QSOs of imported logs, by owner; a QSO once confirmed stays so.';
COMMENT ON COLUMN log_qsos.qso_time IS 'The QSO''s start, UTC, to the minute.';
COMMENT ON COLUMN log_qsos.mode_class IS 'CW, PHONE or DATA, as DXCC awards count modes.';
COMMENT ON COLUMN log_qsos.dx_entity IS
    'The country file''s name of the entity: from the record''s DXCC number, else its call.';
CREATE INDEX log_qsos_entity ON log_qsos (owner, dx_entity, band, mode_class);

-- What each owner has worked and confirmed, per entity, band and mode class: the few
-- thousand rows a spot is judged against (new entity, band, mode, or unconfirmed), made
-- again for the owner by every import (`dxspots.db.logbook.refresh_slots`).
CREATE TABLE log_slots (
    owner       text    NOT NULL,
    dx_entity   text    NOT NULL,
    band        text    NOT NULL,
    mode_class  text    NOT NULL,
    qsos        integer NOT NULL,
    confirmed   boolean NOT NULL,
    CONSTRAINT log_slots_key PRIMARY KEY (owner, dx_entity, band, mode_class)
);
COMMENT ON TABLE log_slots IS
    'Per owner, entity, band and mode class: QSOs, and whether any is confirmed.';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        GRANT SELECT ON log_qsos, log_slots TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON log_qsos, log_slots TO dxspots_writer;
    END IF;
END
$$;

-- Two group roles: dxspots_writer (the collector, importer and migrations' tables) and
-- dxspots_reader (dashboard and API: SELECT only). Login roles are made members of one of
-- them by the administrator (see docs/database.md). A migrating user without CREATEROLE
-- gets a warning instead of a failure, and the grants are skipped.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        CREATE ROLE dxspots_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_writer') THEN
        CREATE ROLE dxspots_writer NOLOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'dxspots: cannot create roles dxspots_reader/dxspots_writer (%); grants skipped', SQLERRM;
END
$$;

-- The partition function runs as the table owner: only writers may call it.
REVOKE EXECUTE ON FUNCTION dxspots_ensure_partition(timestamptz) FROM PUBLIC;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_reader') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO dxspots_reader, dxspots_writer', current_database());
        GRANT USAGE ON SCHEMA public TO dxspots_reader, dxspots_writer;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO dxspots_reader;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO dxspots_writer;
        GRANT EXECUTE ON FUNCTION dxspots_ensure_partition(timestamptz) TO dxspots_writer;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO dxspots_reader;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public
            GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dxspots_writer;
    END IF;
END
$$;

#!/bin/sh
# The login a streaming replica connects with (compose.yaml's `replica` profile) and the
# pg_hba.conf line that lets it in; only when REPLICATION_PASSWORD is set in .env.
# Runs once, when the PostgreSQL volume is new (the image's init hook). On an existing volume,
# run it by hand (docs/scaling.md):
#   docker compose exec -u postgres postgres sh /docker-entrypoint-initdb.d/20-replication.sh
# It may run again: the login's password is set anew, the line is not added twice.
set -eu
if [ -z "${REPLICATION_PASSWORD:-}" ]; then
    echo "20-replication.sh: no REPLICATION_PASSWORD, no replication login (the replica profile needs one)"
else
    # The password is read from the environment inside psql (\getenv, psql 15+), never put
    # on a command line, where every user of the host could read it in the process list.
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --no-psqlrc <<'SQL'
\getenv password REPLICATION_PASSWORD
SELECT 'CREATE ROLE dxspots_replicator WITH LOGIN REPLICATION'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dxspots_replicator') \gexec
ALTER ROLE dxspots_replicator WITH LOGIN REPLICATION PASSWORD :'password';
SQL
    hba="$PGDATA/pg_hba.conf"
    if ! grep -q '^host replication dxspots_replicator ' "$hba"; then
        echo "host replication dxspots_replicator all scram-sha-256" >> "$hba"
    fi
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --no-psqlrc \
        -c "SELECT pg_reload_conf()" >/dev/null
fi

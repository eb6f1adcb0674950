#!/bin/sh
# The entrypoint of compose.yaml's `replica` service: a streaming replica of the `postgres`
# service, from the same image. On an empty volume it clones the primary with
# `pg_basebackup -R -X stream` as the `dxspots_replicator` login (made on the primary by
# deploy/docker/initdb/20-replication.sh), which writes standby.signal and primary_conninfo;
# then it marks the clone finished and hands over to the image's own entrypoint, which finds a data directory and runs
# PostgreSQL as a hot standby: read-only, following the primary. No replication slot: a
# replica left stopped longer than the primary keeps its WAL must be cloned again (remove
# its volume; docs/scaling.md). A clone cut off half-way (no mark) is wiped and made again.
set -eu
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
PRIMARY_HOST="${PRIMARY_HOST:-postgres}"

as_postgres() {
    # The official images have gosu (Debian) or su-exec (Alpine); the stand-in has setpriv.
    if command -v gosu >/dev/null 2>&1; then
        gosu postgres "$@"
    elif command -v su-exec >/dev/null 2>&1; then
        su-exec postgres "$@"
    else
        setpriv --reuid=postgres --regid=postgres --init-groups "$@"
    fi
}

CLONED="$PGDATA/.dxspots-cloned"  # written only once a clone has finished

if [ ! -f "$CLONED" ]; then  # empty, or a clone that was cut off: (re)clone
    if [ -z "${REPLICATION_PASSWORD:-}" ]; then
        echo "error: the replica needs REPLICATION_PASSWORD in .env, the password of the" >&2
        echo "       primary's dxspots_replicator login (docs/scaling.md)" >&2
        exit 1
    fi
    mkdir -p "$PGDATA"
    find "$PGDATA" -mindepth 1 -delete
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    echo "cloning the primary at $PRIMARY_HOST:5432 with pg_basebackup"
    export PGPASSWORD="$REPLICATION_PASSWORD"
    if ! as_postgres pg_basebackup -h "$PRIMARY_HOST" \
        -p 5432 -U dxspots_replicator -D "$PGDATA" -R -X stream --checkpoint=fast; then
        find "$PGDATA" -mindepth 1 -delete
        echo "error: pg_basebackup failed: is REPLICATION_PASSWORD the one the primary got" >&2
        echo "       (deploy/docker/initdb/20-replication.sh, docs/scaling.md)?" >&2
        exit 1
    fi
    unset PGPASSWORD
    as_postgres touch "$CLONED"
fi
exec docker-entrypoint.sh postgres

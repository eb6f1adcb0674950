# A stand-in for the official PostgreSQL image, built from Debian's own packages where no
# registry answers (deploy/docker/images.py). Debian 12 has PostgreSQL 15. It keeps the
# official image's contract: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB make the first
# superuser and database, /docker-entrypoint-initdb.d runs once on a new data directory,
# PGDATA is /var/lib/postgresql/data, password (scram) login over TCP, arguments go to postgres.
FROM debian:bookworm
# No cluster from the package's own scripts: the entrypoint makes the one in PGDATA.
# hadolint ignore=DL3008
RUN mkdir -p /etc/postgresql-common \
    && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /docker-entrypoint-initdb.d \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
    && chmod 3777 /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
COPY docker-entrypoint.sh /usr/local/bin/
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
# The official image's choice: SIGINT is PostgreSQL's "fast" shutdown.
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]

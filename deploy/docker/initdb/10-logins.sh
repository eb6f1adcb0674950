#!/bin/sh
# Runs once, when the PostgreSQL volume is new (the official image's init hook): the two group
# roles the migrations grant to, and the read-only login the API and the dashboard use.
# The owner (POSTGRES_USER) runs the migrations and the collector.
set -eu
# The password is read from the environment inside psql (\getenv, psql 15+), never put on a
# command line, where every user of the host could read it in the process list.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv reader_password READER_PASSWORD
CREATE ROLE dxspots_reader NOLOGIN;
CREATE ROLE dxspots_writer NOLOGIN;
CREATE ROLE dxspots_web LOGIN PASSWORD :'reader_password' IN ROLE dxspots_reader;
SQL

#!/bin/sh
# Starts Debian's PostgreSQL for SCENARIO=twelve-factor (as user postgres, PID 1): a cluster
# made at the container's first start, then one role and one database per app with the
# passwords from the environment (.env), each role allowed to connect to its own database
# only (pg_hba.conf, and CONNECT revoked from PUBLIC); then the server in the foreground.
set -eu
for key in APP1_DATABASE_PASSWORD APP2_DATABASE_PASSWORD; do
  eval "value=\${$key:-}"
  [ -n "$value" ] || { echo "postgres: $key is empty; run 'make env' to write .env" >&2; exit 1; }
  # The values go into SQL and URLs as they are: letters, digits, '-' and '_' only.
  case "$value" in *[!A-Za-z0-9_-]*)
    echo "postgres: $key may hold only letters, digits, '-' and '_'" >&2; exit 1;;
  esac
done
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --username=postgres --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --no-locale \
    -D "$PGDATA" >/dev/null
  echo "include '/etc/postgresql/lab.conf'" >> "$PGDATA/postgresql.conf"
fi
# Applied at every start, with the passwords of now, by a server that listens on its Unix
# socket only: the healthcheck (TCP) cannot pass before the roles are there.
pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
# role_sql APP PASSWORD: the app's role, and its database, which only that role may connect to.
role_sql() {
  printf '%s\n' \
    "SELECT 'CREATE ROLE $1' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$1') \\gexec" \
    "ALTER ROLE $1 LOGIN PASSWORD '$2';" \
    "SELECT 'CREATE DATABASE $1 OWNER $1' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$1') \\gexec" \
    "REVOKE CONNECT ON DATABASE $1 FROM PUBLIC;" \
    "GRANT CONNECT ON DATABASE $1 TO $1;"
}
{
  echo "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;"
  role_sql app1 "$APP1_DATABASE_PASSWORD"
  role_sql app2 "$APP2_DATABASE_PASSWORD"
} | psql -X -q -v ON_ERROR_STOP=1 -d postgres
pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
exec "$@"

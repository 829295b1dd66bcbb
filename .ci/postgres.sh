#!/usr/bin/env bash
# Installs Debian's PostgreSQL, starts it listening on 127.0.0.1 only, creates the test role and
# database, and prints the connection URL on stdout (everything else goes to stderr).
# Idempotent; run as root on Debian. Usage from .ci/run:
#   export CUSTODIA_TEST_PG_URL="$(bash .ci/postgres.sh)"
#   export CUSTODIA_REQUIRE_PG=1   # make the PostgreSQL tests fail instead of skipping
set -euo pipefail

PORT="${CUSTODIA_PG_PORT:-5432}"
ROLE=custodia
PASSWORD=custodia   # test-only credentials; the server listens on loopback only
DB=custodia_test

log() { echo "postgres.sh: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql postgresql-common >&2
fi

VER="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$VER main"; then
  log "creating cluster $VER/main"
  pg_createcluster "$VER" main -p "$PORT" >&2
fi
# Loopback only, on $PORT: a conf.d override (Debian's postgresql.conf includes conf.d).
CONF_D="/etc/postgresql/$VER/main/conf.d"
mkdir -p "$CONF_D"
WANT="$(printf "listen_addresses = '127.0.0.1'\nport = %s\n" "$PORT")"
if [ "$(cat "$CONF_D/custodia.conf" 2>/dev/null)" != "$WANT" ]; then
  printf '%s\n' "$WANT" > "$CONF_D/custodia.conf"
  if pg_ctlcluster "$VER" main status >/dev/null 2>&1; then
    pg_ctlcluster "$VER" main restart >&2
  fi
fi

if ! pg_ctlcluster "$VER" main status >/dev/null 2>&1; then
  log "starting cluster $VER/main on 127.0.0.1:$PORT"
  pg_ctlcluster "$VER" main start >&2
fi

for _ in $(seq 1 30); do
  if runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
  sleep 1
done
runuser -u postgres -- pg_isready -h 127.0.0.1 -p "$PORT" >&2

psql_admin() { runuser -u postgres -- psql -p "$PORT" -v ON_ERROR_STOP=1 -qtAc "$1"; }
if [ -z "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" ]; then
  psql_admin "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ -z "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
  psql_admin "CREATE DATABASE $DB OWNER $ROLE" >&2
fi

echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"

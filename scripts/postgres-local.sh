#!/usr/bin/env bash
# Private PostgreSQL cluster for dtx's tests (the Go SDK's branch barrier, test/interop/go).
#
#   scripts/postgres-local.sh start|stop|status
#
# start   install Debian's postgresql with apt-get when initdb/pg_ctl are missing, create a cluster
#         under the run dir once (trust auth for user $PG_USER, loopback only), start it on
#         127.0.0.1:$PG_PORT in the background, wait until it accepts connections, create database
#         $PG_DB; prints DTX_TEST_PG=127.0.0.1:<port> on stdout (progress goes to stderr).
#         Idempotent: a cluster already started by this script on that port is reused. No system
#         service is started or used.
# stop    fast shutdown of this script's cluster. Idempotent.
# status  exit 0 when this script's cluster runs on the port and accepts connections, else 3.
#
# Environment:
#   PG_PORT           port on 127.0.0.1 (default 25432: not PostgreSQL's 5432, a local server is left alone)
#   PG_USER, PG_DB    superuser and database the tests use (default dtx, dtx_test)
#   PG_RUN_DIR        cluster, socket and log (default /var/tmp/dtx-postgres-<uid>/run-<port>: PostgreSQL
#                     refuses to run as root, so as root the cluster runs as the `postgres` user, which
#                     must be able to reach the directory; root's ~/.cache is not reachable by it)
#   PG_START_TIMEOUT  seconds to wait for the server (default 60)
#
# Needs: bash, flock; apt-get and root only while PostgreSQL is not installed.
set -euo pipefail

PG_PORT="${PG_PORT:-25432}"
PG_USER="${PG_USER:-dtx}"
PG_DB="${PG_DB:-dtx_test}"
RUN_DIR="${PG_RUN_DIR:-/var/tmp/dtx-postgres-$(id -u)/run-$PG_PORT}"
START_TIMEOUT="${PG_START_TIMEOUT:-60}"
DATA_DIR="$RUN_DIR/data"
SOCKET_DIR="$RUN_DIR/socket"
LOG_FILE="$RUN_DIR/postgres.log"

log() { printf 'postgres-local: %s\n' "$*" >&2; }
die() { printf 'postgres-local: error: %s\n' "$*" >&2; exit 1; }

case "$PG_PORT" in *[!0-9]* | '') die "PG_PORT must be a number (got '$PG_PORT')" ;; esac
[[ "$PG_USER$PG_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "PG_USER and PG_DB must be lower-case identifiers"
command -v flock >/dev/null 2>&1 || die "'flock' is missing (Debian: apt-get install -y util-linux)"

# Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin (psql is on PATH).
find_bin_dir() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0; fi
  local d; d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$d" && -x "$d/pg_ctl" && -x "$d/initdb" ]] && { echo "$d"; return 0; }
  return 1
}

install_postgres() {
  find_bin_dir >/dev/null && command -v psql >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is missing and apt-get is not available: install PostgreSQL 13+ (initdb, pg_ctl, psql)"
  [[ "$(id -u)" == 0 ]] || die "PostgreSQL is missing: run 'apt-get install -y postgresql' as root (or run this script as root)"
  log "installing postgresql with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2; then
    DEBIAN_FRONTEND=noninteractive apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2 || die "apt-get could not install postgresql"
  fi
  find_bin_dir >/dev/null || die "postgresql is installed but no initdb/pg_ctl was found"
}

# As root every server command runs as the `postgres` user (PostgreSQL refuses root).
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (created by Debian's postgresql package)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ready() {
  psql -h "$SOCKET_DIR" -p "$PG_PORT" -U "$PG_USER" -d postgres -Atqc 'select 1' >/dev/null 2>&1
}

status() {
  local bin; bin="$(find_bin_dir)" || return 3
  [[ -f "$DATA_DIR/PG_VERSION" ]] || return 3
  as_owner "$bin/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1 || return 3
  ready || return 3
}

init_cluster() {
  local bin="$1"
  [[ -f "$DATA_DIR/PG_VERSION" ]] && return 0
  log "creating a cluster in $DATA_DIR"
  rm -rf "$DATA_DIR"
  as_owner "$bin/initdb" -D "$DATA_DIR" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >&2
  cat >>"$DATA_DIR/postgresql.conf" <<EOF
# dtx test cluster (scripts/postgres-local.sh): loopback only, no durability needed
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 50
max_prepared_transactions = 20
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

start() {
  install_postgres
  local bin; bin="$(find_bin_dir)"
  mkdir -p "$RUN_DIR" "$SOCKET_DIR"
  [[ "$(id -u)" == 0 ]] && chown -R postgres: "$(dirname "$RUN_DIR")" && chmod 755 "$(dirname "$RUN_DIR")"
  exec 9>"$RUN_DIR/.lock"
  flock 9
  if status; then
    log "already running on 127.0.0.1:$PG_PORT ($DATA_DIR)"
  else
    init_cluster "$bin"
    [[ "$(id -u)" == 0 ]] && chown -R postgres: "$RUN_DIR"
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log: $LOG_FILE)"
    # 9>&-: the server must not inherit the lock, or it would hold it for as long as it runs
    as_owner "$bin/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t "$START_TIMEOUT" start >&2 9>&- || { tail -n 30 "$LOG_FILE" >&2 || true; die "PostgreSQL did not start"; }
    local deadline=$((SECONDS + START_TIMEOUT))
    until ready; do
      (( SECONDS < deadline )) || die "PostgreSQL did not accept connections within ${START_TIMEOUT}s (log: $LOG_FILE)"
      sleep 0.2
    done
  fi
  if [[ "$(psql -h "$SOCKET_DIR" -p "$PG_PORT" -U "$PG_USER" -d postgres -Atqc "select 1 from pg_database where datname = '$PG_DB'")" != 1 ]]; then
    psql -h "$SOCKET_DIR" -p "$PG_PORT" -U "$PG_USER" -d postgres -qc "create database $PG_DB" >&2
  fi
  echo "DTX_TEST_PG=127.0.0.1:$PG_PORT"
}

stop() {
  local bin; bin="$(find_bin_dir)" || return 0
  [[ -f "$DATA_DIR/PG_VERSION" ]] || return 0
  if as_owner "$bin/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; then
    log "stopping PostgreSQL on 127.0.0.1:$PG_PORT"
    as_owner "$bin/pg_ctl" -D "$DATA_DIR" -m fast -w -t 30 stop >&2
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac

#!/usr/bin/env bash
# Private MariaDB server for dtx's tests (the TypeScript client's branch barrier and XA on MySQL).
#
#   scripts/mysql-local.sh start|stop|status
#
# start   install Debian's mariadb-server with apt-get when mariadbd is missing, create a data dir
#         under the run dir once, start the server on 127.0.0.1:$MYSQL_PORT in the background, wait
#         until it accepts connections, create user $MYSQL_USER (no password, all privileges) and
#         database $MYSQL_DB; prints DTX_TEST_MYSQL=127.0.0.1:<port> on stdout (progress goes to
#         stderr). Idempotent: a server already started by this script on that port is reused. No
#         system service is started or used.
# stop    shutdown of this script's server. Idempotent.
# status  exit 0 when this script's server runs on the port and accepts connections, else 3.
#
# Environment:
#   MYSQL_PORT           port on 127.0.0.1 (default 23306: below the ephemeral range 32768-60999, so
#                        no client's source port can hold it; not 3306, a local server is left alone)
#   MYSQL_USER, MYSQL_DB user and database the tests use (default dtx, dtx_test)
#   MYSQL_RUN_DIR        data, socket and log (default /var/tmp/dtx-mysql-<uid>/run-<port>; as root the
#                        server runs as the `mysql` user, which must be able to reach the directory)
#   MYSQL_START_TIMEOUT  seconds to wait for the server (default 60)
#
# Needs: bash, flock; apt-get and root only while MariaDB is not installed.
set -euo pipefail

MYSQL_PORT="${MYSQL_PORT:-23306}"
MYSQL_USER="${MYSQL_USER:-dtx}"
MYSQL_DB="${MYSQL_DB:-dtx_test}"
RUN_DIR="${MYSQL_RUN_DIR:-/var/tmp/dtx-mysql-$(id -u)/run-$MYSQL_PORT}"
START_TIMEOUT="${MYSQL_START_TIMEOUT:-60}"
DATA_DIR="$RUN_DIR/data"
SOCKET="$RUN_DIR/mysqld.sock"
PID_FILE="$RUN_DIR/mysqld.pid"
LOG_FILE="$RUN_DIR/mysqld.log"

log() { printf 'mysql-local: %s\n' "$*" >&2; }
die() { printf 'mysql-local: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=lib/pid-file.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/pid-file.sh"

case "$MYSQL_PORT" in *[!0-9]* | '') die "MYSQL_PORT must be a number (got '$MYSQL_PORT')" ;; esac
[[ "$MYSQL_USER$MYSQL_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "MYSQL_USER and MYSQL_DB must be lower-case identifiers"
command -v flock >/dev/null 2>&1 || die "'flock' is missing (Debian: apt-get install -y util-linux)"

server_bin() { command -v mariadbd || command -v mysqld || { [[ -x /usr/sbin/mariadbd ]] && echo /usr/sbin/mariadbd; } || return 1; }

install_mariadb() {
  server_bin >/dev/null && command -v mariadb-install-db >/dev/null 2>&1 && command -v mariadb >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "MariaDB is missing and apt-get is not available: install MariaDB 10.5+ (mariadbd, mariadb-install-db, mariadb)"
  [[ "$(id -u)" == 0 ]] || die "MariaDB is missing: run 'apt-get install -y mariadb-server' as root (or run this script as root)"
  log "installing mariadb-server with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server mariadb-client >&2; then
    DEBIAN_FRONTEND=noninteractive apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server mariadb-client >&2 || die "apt-get could not install mariadb-server"
  fi
  server_bin >/dev/null || die "mariadb-server is installed but no mariadbd was found"
}

# mariadbd refuses to run as root: as root it is told to switch to the `mysql` user.
owner() { if [[ "$(id -u)" == 0 ]]; then echo mysql; else id -un; fi; }

admin() { mariadb -h localhost --protocol=socket -S "$SOCKET" -uroot "$@"; }

ready() { admin -N -e 'select 1' >/dev/null 2>&1; }

alive() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

status() {
  alive || return 3
  ready || return 3
}

init_datadir() {
  [[ -d "$DATA_DIR/mysql" ]] && return 0
  log "creating a data dir in $DATA_DIR"
  rm -rf "$DATA_DIR"
  mkdir -p "$DATA_DIR"
  [[ "$(id -u)" == 0 ]] && chown -R mysql: "$RUN_DIR"
  mariadb-install-db --no-defaults --datadir="$DATA_DIR" --user="$(owner)" --auth-root-authentication-method=socket --skip-test-db >"$RUN_DIR/install.log" 2>&1 \
    || { tail -n 30 "$RUN_DIR/install.log" >&2; die "mariadb-install-db failed"; }
}

start() {
  install_mariadb
  local bin; bin="$(server_bin)"
  mkdir -p "$RUN_DIR"
  if [[ "$(id -u)" == 0 ]]; then
    id mysql >/dev/null 2>&1 || die "running as root needs the 'mysql' user (created by Debian's mariadb-server package)"
    chown mysql: "$RUN_DIR" && chmod 755 "$(dirname "$RUN_DIR")" "$RUN_DIR"
  fi
  exec 9>"$RUN_DIR/.lock"
  flock 9
  if status; then
    log "already running on 127.0.0.1:$MYSQL_PORT ($DATA_DIR)"
  else
    init_datadir
    log "starting MariaDB on 127.0.0.1:$MYSQL_PORT (log: $LOG_FILE)"
    # 9>&-: the server must not inherit the lock, or it would hold it for as long as it runs
    setsid "$bin" --no-defaults --datadir="$DATA_DIR" --user="$(owner)" --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
      --socket="$SOCKET" --pid-file="$PID_FILE" --log-error="$LOG_FILE" --skip-name-resolve \
      --max-connections=400 --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=128M \
      --innodb-lock-wait-timeout=20 --character-set-server=utf8mb4 </dev/null >/dev/null 2>&1 9>&- &
    local deadline=$((SECONDS + START_TIMEOUT))
    until alive && ready; do
      (( SECONDS < deadline )) || { tail -n 30 "$LOG_FILE" >&2 || true; die "MariaDB did not accept connections within ${START_TIMEOUT}s (log: $LOG_FILE)"; }
      sleep 0.2
    done
  fi
  admin -e "create user if not exists '$MYSQL_USER'@'127.0.0.1'; create user if not exists '$MYSQL_USER'@'localhost';
    grant all privileges on *.* to '$MYSQL_USER'@'127.0.0.1' with grant option; grant all privileges on *.* to '$MYSQL_USER'@'localhost' with grant option;
    create database if not exists $MYSQL_DB;" >&2
  echo "DTX_TEST_MYSQL=127.0.0.1:$MYSQL_PORT"
}

stop() {
  alive || return 0
  log "stopping MariaDB on 127.0.0.1:$MYSQL_PORT"
  stop_recorded MariaDB 60
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac

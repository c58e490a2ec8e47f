#!/usr/bin/env bash
# Private Redis server for dtx's tests (the TypeScript client's Redis branch barrier).
#
#   scripts/redis-local.sh start|stop|status
#
# start   install Debian's redis-server with apt-get when it is missing, start a server without
#         persistence on 127.0.0.1:$REDIS_PORT in the background and wait until it answers PING;
#         prints DTX_TEST_REDIS=127.0.0.1:<port> on stdout (progress goes to stderr). Idempotent: a
#         server already started by this script on that port is reused. No system service is used.
# stop    shutdown of this script's server. Idempotent.
# status  exit 0 when this script's server runs on the port and answers PING, else 3.
#
# Environment:
#   REDIS_PORT           port on 127.0.0.1 (default 26379: below the ephemeral range 32768-60999; not
#                        6379, a local server is left alone)
#   REDIS_RUN_DIR        pid file and log (default /var/tmp/dtx-redis-<uid>/run-<port>)
#   REDIS_START_TIMEOUT  seconds to wait for the server (default 30)
#
# Needs: bash, flock; apt-get and root only while Redis is not installed.
set -euo pipefail

REDIS_PORT="${REDIS_PORT:-26379}"
RUN_DIR="${REDIS_RUN_DIR:-/var/tmp/dtx-redis-$(id -u)/run-$REDIS_PORT}"
START_TIMEOUT="${REDIS_START_TIMEOUT:-30}"
PID_FILE="$RUN_DIR/redis.pid"
LOG_FILE="$RUN_DIR/redis.log"

log() { printf 'redis-local: %s\n' "$*" >&2; }
die() { printf 'redis-local: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=lib/pid-file.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/pid-file.sh"

case "$REDIS_PORT" in *[!0-9]* | '') die "REDIS_PORT must be a number (got '$REDIS_PORT')" ;; esac
command -v flock >/dev/null 2>&1 || die "'flock' is missing (Debian: apt-get install -y util-linux)"

install_redis() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "Redis is missing and apt-get is not available: install Redis 6+ (redis-server, redis-cli)"
  [[ "$(id -u)" == 0 ]] || die "Redis is missing: run 'apt-get install -y redis-server' as root (or run this script as root)"
  log "installing redis-server with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server redis-tools >&2; then
    DEBIAN_FRONTEND=noninteractive apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server redis-tools >&2 || die "apt-get could not install redis-server"
  fi
}

alive() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }
ready() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

status() {
  alive || return 3
  ready || return 3
}

start() {
  install_redis
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.lock"
  flock 9
  if status; then
    log "already running on 127.0.0.1:$REDIS_PORT"
  else
    log "starting Redis on 127.0.0.1:$REDIS_PORT (log: $LOG_FILE)"
    # 9>&-: the server must not inherit the lock
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes --daemonize yes \
      --pidfile "$PID_FILE" --logfile "$LOG_FILE" --dir "$RUN_DIR" --save '' --appendonly no >&2 9>&-
    local deadline=$((SECONDS + START_TIMEOUT))
    until alive && ready; do
      (( SECONDS < deadline )) || { tail -n 30 "$LOG_FILE" >&2 || true; die "Redis did not answer PING within ${START_TIMEOUT}s (log: $LOG_FILE)"; }
      sleep 0.1
    done
  fi
  echo "DTX_TEST_REDIS=127.0.0.1:$REDIS_PORT"
}

stop() {
  alive || return 0
  log "stopping Redis on 127.0.0.1:$REDIS_PORT"
  stop_recorded Redis 30
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac

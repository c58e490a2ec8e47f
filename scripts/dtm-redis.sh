#!/usr/bin/env bash
# Real dtm v1.19.0 on its Redis store, the peer of the dtx benchmark (`npm run bench -- --peer dtm-redis`).
#
#   scripts/dtm-redis.sh start|restart|stop|status
#
# start    start Redis (scripts/redis-local.sh on $REDIS_PORT, Debian redis-server) and dtm with
#          Store.Driver redis on it, HTTP on $DTM_HTTP_PORT, gRPC on $DTM_GRPC_PORT, LogLevel
#          $DTM_LOG_LEVEL. The dtm binary is the one scripts/dtm-server.sh builds from the Go module
#          proxy (github.com/dtm-labs/dtm v1.19.0, cached under ~/.cache/dtx-dtm). Waits until
#          /api/dtmsvr/version answers, then prints on stdout:
#            DTM_URL=http://127.0.0.1:<port>  DTM_PID=<pid>  REDIS_PID=<pid>  (one per line)
#          Idempotent: a dtm already started by this script on the port is reused.
# restart  fresh servers: stop dtm and Redis, start both, empty Redis (FLUSHALL) before dtm starts.
# stop     stop this script's dtm (SIGTERM), then the Redis server on $REDIS_PORT. Idempotent.
# status   exit 0 when this script's dtm runs and answers, else 3.
#
# Environment:
#   DTM_HTTP_PORT, DTM_GRPC_PORT  ports (default 26889, 26890; scripts/dtm-server.sh uses 26789/26790)
#   REDIS_PORT                    Redis port on 127.0.0.1 (default 26479; redis-local.sh uses 26379)
#   REDIS_APPENDFSYNC             no (default: in-memory only, as redis-local.sh starts it),
#                                 everysec or always (turns the append-only file on with that fsync policy)
#   DTM_LOG_LEVEL                 dtm's LogLevel (default warn: no line per request)
#   DTM_RUN_DIR                   pid file and log (default /var/tmp/dtx-dtm-<uid>/redis-<http port>)
#   DTM_START_TIMEOUT             seconds to wait for dtm (default 30)
#
# Needs: what scripts/dtm-server.sh build and scripts/redis-local.sh need; curl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DTM_HTTP_PORT="${DTM_HTTP_PORT:-26889}"
DTM_GRPC_PORT="${DTM_GRPC_PORT:-26890}"
export REDIS_PORT="${REDIS_PORT:-26479}"
APPENDFSYNC="${REDIS_APPENDFSYNC:-no}"
LOG_LEVEL="${DTM_LOG_LEVEL:-warn}"
RUN_DIR="${DTM_RUN_DIR:-/var/tmp/dtx-dtm-$(id -u)/redis-$DTM_HTTP_PORT}"
START_TIMEOUT="${DTM_START_TIMEOUT:-30}"
PID_FILE="$RUN_DIR/dtm.pid"
LOG_FILE="$RUN_DIR/dtm.log"
REDIS_PID_FILE="${REDIS_RUN_DIR:-/var/tmp/dtx-redis-$(id -u)/run-$REDIS_PORT}/redis.pid"

log() { printf 'dtm-redis: %s\n' "$*" >&2; }
die() { printf 'dtm-redis: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=lib/pid-file.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/pid-file.sh"

for p in "$DTM_HTTP_PORT" "$DTM_GRPC_PORT" "$REDIS_PORT"; do case "$p" in *[!0-9]* | '') die "ports must be numbers (got '$p')" ;; esac; done
case "$APPENDFSYNC" in no | everysec | always) ;; *) die "REDIS_APPENDFSYNC must be no, everysec or always (got '$APPENDFSYNC')" ;; esac

alive() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }
ready() { curl -fsS -m 2 "http://127.0.0.1:$DTM_HTTP_PORT/api/dtmsvr/version" 2>/dev/null | grep -q 'v1.19.0'; }
status() { alive && ready || return 3; }

start_redis() {
  bash "$ROOT/scripts/redis-local.sh" start >/dev/null
  [[ "${FRESH:-}" == 1 ]] && redis-cli -p "$REDIS_PORT" flushall >/dev/null
  if [[ "$APPENDFSYNC" == no ]]; then
    redis-cli -p "$REDIS_PORT" config set appendonly no >/dev/null
  else
    redis-cli -p "$REDIS_PORT" config set appendfsync "$APPENDFSYNC" >/dev/null
    redis-cli -p "$REDIS_PORT" config set appendonly yes >/dev/null
  fi
  log "Redis on 127.0.0.1:$REDIS_PORT, appendonly $(redis-cli -p "$REDIS_PORT" config get appendonly | tail -n1), appendfsync $(redis-cli -p "$REDIS_PORT" config get appendfsync | tail -n1)"
}

start() {
  local bin; bin="$(bash "$ROOT/scripts/dtm-server.sh" build)"
  start_redis
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.lock"
  flock 9
  if status; then
    log "dtm already running on 127.0.0.1:$DTM_HTTP_PORT"
  else
    # a server that is not ours on the port would answer the readiness check below in our stead
    if curl -sS -m 5 -o /dev/null "http://127.0.0.1:$DTM_HTTP_PORT/" 2>/dev/null; then
      die "port $DTM_HTTP_PORT is in use by another process: stop it, or choose DTM_HTTP_PORT / DTM_GRPC_PORT"
    fi
    log "starting dtm v1.19.0 (Store.Driver redis) on :$DTM_HTTP_PORT (gRPC :$DTM_GRPC_PORT, log: $LOG_FILE)"
    # dtm reads its configuration from these environment variables (dtmsvr/config). exec: the pid
    # file holds dtm's own pid (not a subshell's), so its CPU and RSS can be read. 9>&-: not the lock.
    (cd "$RUN_DIR" && HTTP_PORT="$DTM_HTTP_PORT" GRPC_PORT="$DTM_GRPC_PORT" STORE_DRIVER=redis STORE_HOST=127.0.0.1 \
      STORE_PORT="$REDIS_PORT" LOG_LEVEL="$LOG_LEVEL" exec setsid "$bin" </dev/null >"$LOG_FILE" 2>&1 9>&-) &
    echo $! >"$PID_FILE"
    local deadline=$((SECONDS + START_TIMEOUT))
    until alive && ready; do
      alive || { tail -n 30 "$LOG_FILE" >&2 || true; die "dtm exited during start-up (log: $LOG_FILE)"; }
      (( SECONDS < deadline )) || { tail -n 30 "$LOG_FILE" >&2 || true; die "dtm did not answer within ${START_TIMEOUT}s (log: $LOG_FILE)"; }
      sleep 0.1
    done
  fi
  echo "DTM_URL=http://127.0.0.1:$DTM_HTTP_PORT"
  echo "DTM_PID=$(cat "$PID_FILE")"
  echo "REDIS_PID=$(cat "$REDIS_PID_FILE")"
}

stop() {
  if alive; then
    log "stopping dtm on :$DTM_HTTP_PORT"
    stop_recorded dtm 30
    rm -f "$PID_FILE"
  fi
  bash "$ROOT/scripts/redis-local.sh" stop
}

case "${1:-}" in
  start) start ;;
  restart) stop; FRESH=1 start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|restart|stop|status" ;;
esac

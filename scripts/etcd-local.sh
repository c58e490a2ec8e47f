#!/usr/bin/env bash
# Local single-member etcd for dtx's microservice drivers (development and tests).
#
#   scripts/etcd-local.sh start|stop|status
#
# start   install Debian's etcd-server with apt-get when `etcd` is missing, then run etcd on
#         127.0.0.1:$ETCD_PORT in the background (data under the run dir) and wait until
#         /health answers; prints ETCD_ENDPOINTS=127.0.0.1:<port> on stdout (progress goes to
#         stderr). Idempotent: an etcd already started by this script on that port is reused.
# stop    TERM the etcd from the pid file, KILL after 10 s. Idempotent.
# status  exit 0 when this script's etcd runs on the port and is healthy, else 3.
#
# Environment:
#   ETCD_PORT          client port (default 2379), bound to 127.0.0.1; the tests use 22379
#   ETCD_PEER_PORT     peer port (default ETCD_PORT+1)
#   ETCD_CACHE_DIR     run dirs (default ${XDG_CACHE_HOME:-$HOME/.cache}/dtx-etcd)
#   ETCD_RUN_DIR       data, log and pid of this etcd (default <cache>/run-<port>)
#   ETCD_START_TIMEOUT seconds to wait for health (default 30)
#
# Needs: bash, flock, timeout; apt-get and root only while etcd is not installed. On a machine
# with systemd, installing etcd-server may also start Debian's own etcd service on port 2379.
set -euo pipefail

ETCD_PORT="${ETCD_PORT:-2379}"
ETCD_PEER_PORT="${ETCD_PEER_PORT:-$((ETCD_PORT + 1))}"
CACHE_DIR="${ETCD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dtx-etcd}"
RUN_DIR="${ETCD_RUN_DIR:-$CACHE_DIR/run-$ETCD_PORT}"
START_TIMEOUT="${ETCD_START_TIMEOUT:-30}"
STOP_TIMEOUT=10
DATA_DIR="$RUN_DIR/data"
LOG_FILE="$RUN_DIR/etcd.log"
PID_FILE="$RUN_DIR/etcd.pid"
# shellcheck source=lib/pid-file.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/pid-file.sh"
NAME="dtx-etcd-$ETCD_PORT"

log() { printf 'etcd-local: %s\n' "$*" >&2; }
die() { printf 'etcd-local: error: %s\n' "$*" >&2; exit 1; }

case "$ETCD_PORT$ETCD_PEER_PORT" in
  *[!0-9]*) die "ETCD_PORT and ETCD_PEER_PORT must be numbers (got '$ETCD_PORT', '$ETCD_PEER_PORT')" ;;
esac
[[ "$ETCD_PORT" != "$ETCD_PEER_PORT" ]] || die "ETCD_PEER_PORT must differ from ETCD_PORT"
for t in flock timeout; do
  command -v "$t" >/dev/null 2>&1 || die "'$t' is missing (Debian: apt-get install -y util-linux coreutils)"
done

install_etcd() {
  command -v etcd >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "etcd is missing and apt-get is not available: install etcd (3.4+) and put it on PATH"
  [[ "$(id -u)" == 0 ]] || die "etcd is missing: run 'apt-get install -y etcd-server' as root (or run this script as root)"
  log "installing etcd-server with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server >&2; then
    DEBIAN_FRONTEND=noninteractive apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server >&2 || die "apt-get could not install etcd-server"
  fi
  command -v etcd >/dev/null 2>&1 || die "etcd-server is installed but 'etcd' is not on PATH"
}

# Ours only if alive and its command line names our data dir.
running_pid() { pid_matching "$DATA_DIR"; }

healthy() {
  local reply
  reply="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ETCD_PORT; printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3; cat <&3" 2>/dev/null || true)"
  [[ "$reply" == *'"health":"true"'* ]]
}

do_status() {
  running_pid >/dev/null && healthy
}

do_start() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.start.lock"
  flock 9
  if running_pid >/dev/null; then
    wait_healthy
    log "etcd already running on 127.0.0.1:$ETCD_PORT (pid $(read_pid))"
    printf 'ETCD_ENDPOINTS=127.0.0.1:%s\n' "$ETCD_PORT"
    return 0
  fi
  for p in "$ETCD_PORT" "$ETCD_PEER_PORT"; do
    port_open "$p" && die "port $p on 127.0.0.1 is in use by another process (choose ETCD_PORT / ETCD_PEER_PORT)"
  done
  install_etcd
  mkdir -p "$DATA_DIR"
  chmod 700 "$DATA_DIR"
  log "starting etcd on 127.0.0.1:$ETCD_PORT (data $DATA_DIR, log $LOG_FILE)"
  setsid etcd \
    --name "$NAME" \
    --data-dir "$DATA_DIR" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "$NAME=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state new \
    --logger zap --log-outputs stderr \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  echo $! >"$PID_FILE"
  wait_healthy
  log "etcd is healthy (pid $(read_pid))"
  printf 'ETCD_ENDPOINTS=127.0.0.1:%s\n' "$ETCD_PORT"
}

wait_healthy() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until healthy; do
    if ! started_pid_alive; then
      tail -n 30 "$LOG_FILE" >&2 || true
      die "etcd exited during start-up (log above, full log: $LOG_FILE)"
    fi
    (( SECONDS < deadline )) || die "etcd did not become healthy within ${START_TIMEOUT}s (log: $LOG_FILE)"
    sleep 0.2
  done
}

do_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "etcd on port $ETCD_PORT is not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while running_pid >/dev/null; do
    if (( SECONDS >= deadline )); then
      log "etcd (pid $pid) did not stop within ${STOP_TIMEOUT}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$PID_FILE"
  log "etcd on port $ETCD_PORT stopped"
}

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  status) if do_status; then log "etcd running on 127.0.0.1:$ETCD_PORT (pid $(read_pid))"; else log "etcd not running on port $ETCD_PORT"; exit 3; fi ;;
  *) printf 'usage: %s start|stop|status\n' "$0" >&2; exit 2 ;;
esac

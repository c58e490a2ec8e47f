#!/usr/bin/env bash
# Real dtm v1.19.0 for dtx-client's cross-server tests (client/test/dtm/).
#
#   scripts/dtm-server.sh build|start|stop|status
#
# build   build dtm's server from the Go module proxy at exactly github.com/dtm-labs/dtm v1.19.0
#         (the module in scripts/dtm-server/ requires that version and calls dtm's entry point);
#         cached in $DTM_CACHE/dtm-server-<hash of the module files>, so it is built once (the first
#         build downloads and compiles dtm's dependencies: about 10 minutes on 2 cores). Prints the
#         binary's path on stdout.
# start   build if needed, then start dtm with its default boltdb store in a private dir, HTTP on
#         $DTM_HTTP_PORT and gRPC on $DTM_GRPC_PORT (dtm binds every interface; the tests call it on
#         127.0.0.1), a 1 s cron interval, and wait until /api/dtmsvr/version answers; prints
#         DTX_TEST_DTM=http://127.0.0.1:<port>/api/dtmsvr and DTX_TEST_DTM_GRPC=127.0.0.1:<port>.
#         Idempotent: a server already started by this script on those ports is reused.
# stop    stop this script's server (SIGTERM). Idempotent.
# status  exit 0 when this script's server runs and answers, else 3.
#
# Environment:
#   DTM_HTTP_PORT, DTM_GRPC_PORT  ports (default 26789, 26790: below the ephemeral range 32768-60999)
#   DTM_CACHE                     build cache (default ~/.cache/dtx-dtm)
#   DTM_RUN_DIR                   store, pid file and log (default /var/tmp/dtx-dtm-<uid>/run-<http port>)
#   DTM_START_TIMEOUT             seconds to wait for the server (default 30)
#
# Needs: Go 1.22+ and the Go module proxy (only until the binary is cached), bash, flock, curl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE_DIR="$ROOT/scripts/dtm-server"
DTM_HTTP_PORT="${DTM_HTTP_PORT:-26789}"
DTM_GRPC_PORT="${DTM_GRPC_PORT:-26790}"
CACHE="${DTM_CACHE:-$HOME/.cache/dtx-dtm}"
RUN_DIR="${DTM_RUN_DIR:-/var/tmp/dtx-dtm-$(id -u)/run-$DTM_HTTP_PORT}"
START_TIMEOUT="${DTM_START_TIMEOUT:-30}"
PID_FILE="$RUN_DIR/dtm.pid"
LOG_FILE="$RUN_DIR/dtm.log"

log() { printf 'dtm-server: %s\n' "$*" >&2; }
die() { printf 'dtm-server: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=lib/pid-file.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/pid-file.sh"

for p in "$DTM_HTTP_PORT" "$DTM_GRPC_PORT"; do case "$p" in *[!0-9]* | '') die "ports must be numbers (got '$p')" ;; esac; done

binary_path() {
  local hash; hash="$(cat "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum" "$MODULE_DIR/main.go" | sha256sum | cut -c1-12)"
  echo "$CACHE/dtm-server-v1.19.0-$hash"
}

build() {
  local bin; bin="$(binary_path)"
  if [[ -x "$bin" ]]; then echo "$bin"; return 0; fi
  command -v go >/dev/null 2>&1 || die "Go is missing: install Go 1.22+ (https://go.dev/dl/) to build dtm v1.19.0"
  mkdir -p "$CACHE"
  exec 8>"$CACHE/.build.lock"
  flock 8
  if [[ ! -x "$bin" ]]; then
    log "building dtm v1.19.0 from the Go module proxy (first time: about 10 minutes)"
    (cd "$MODULE_DIR" && GOFLAGS=-mod=readonly go build -trimpath -o "$bin.tmp" .) >&2 || die "go build of github.com/dtm-labs/dtm v1.19.0 failed (see above)"
    mv "$bin.tmp" "$bin"
  fi
  exec 8>&-
  echo "$bin"
}

alive() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }
ready() { curl -fsS -m 2 "http://127.0.0.1:$DTM_HTTP_PORT/api/dtmsvr/version" 2>/dev/null | grep -q 'v1.19.0'; }

status() {
  alive || return 3
  ready || return 3
}

start() {
  local bin; bin="$(build)"
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.lock"
  flock 9
  if alive; then
    # ours, maybe slow to answer on a loaded machine: wait for it rather than start a second one
    local deadline=$((SECONDS + START_TIMEOUT))
    until ready; do
      alive || die "dtm (pid $(cat "$PID_FILE")) exited while starting (log: $LOG_FILE)"
      (( SECONDS < deadline )) || die "dtm (pid $(cat "$PID_FILE")) runs but does not answer within ${START_TIMEOUT}s (log: $LOG_FILE)"
      sleep 0.2
    done
    log "already running on 127.0.0.1:$DTM_HTTP_PORT (gRPC $DTM_GRPC_PORT)"
  else
    # a dtm that is not ours on the port would answer the readiness check below in our stead
    if curl -sS -m 5 -o /dev/null "http://127.0.0.1:$DTM_HTTP_PORT/" 2>/dev/null; then
      die "port $DTM_HTTP_PORT is in use by another process: stop it, or choose DTM_HTTP_PORT / DTM_GRPC_PORT"
    fi
    rm -f "$RUN_DIR/dtm.bolt"
    log "starting dtm v1.19.0 on :$DTM_HTTP_PORT (gRPC :$DTM_GRPC_PORT, log: $LOG_FILE)"
    # boltdb's file is ./dtm.bolt: the run dir is the working directory. The subshell becomes dtm
    # (exec), so that no shell lingers holding the lock (fd 9) or our caller's stdout pipe (a
    # caller reading that pipe to its end, like spawnSync, would wait for dtm to exit).
    ( cd "$RUN_DIR" && exec env HTTP_PORT="$DTM_HTTP_PORT" GRPC_PORT="$DTM_GRPC_PORT" STORE_DRIVER=boltdb TRANS_CRON_INTERVAL=1 LOG_LEVEL=warn \
      setsid "$bin" </dev/null >"$LOG_FILE" 2>&1 8>&- 9>&- ) &
    echo $! >"$PID_FILE"
    local deadline=$((SECONDS + START_TIMEOUT))
    until alive && ready; do
      alive || { tail -n 30 "$LOG_FILE" >&2 || true; die "dtm exited during start-up (log: $LOG_FILE)"; }
      (( SECONDS < deadline )) || { tail -n 30 "$LOG_FILE" >&2 || true; die "dtm did not answer within ${START_TIMEOUT}s (log: $LOG_FILE)"; }
      sleep 0.1
    done
  fi
  echo "DTX_TEST_DTM=http://127.0.0.1:$DTM_HTTP_PORT/api/dtmsvr"
  echo "DTX_TEST_DTM_GRPC=127.0.0.1:$DTM_GRPC_PORT"
}

stop() {
  alive || return 0
  log "stopping dtm on :$DTM_HTTP_PORT"
  stop_recorded dtm 30
  rm -f "$PID_FILE"
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 build|start|stop|status" ;;
esac

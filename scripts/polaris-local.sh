#!/usr/bin/env bash
# Local Polaris server (polarismesh/polaris, standalone, boltdb store) for dtx's dtm-driver-polaris.
#
#   scripts/polaris-local.sh start|stop|status
#
# start   build polaris-server $POLARIS_VERSION once from its Go module (go mod download through
#         the Go module proxy, then go build inside the module, which keeps its replace directives)
#         into the cache; write a run dir whose config keeps only the HTTP API (api-http, which dtx
#         uses) and the client gRPC API (service-grpc, needed by Polaris' own health checker) on
#         127.0.0.1; start it in the background and wait until the HTTP API answers. Prints
#         POLARIS_HTTP=127.0.0.1:<port> on stdout (progress goes to stderr). Idempotent.
# stop    TERM the server from the pid file, KILL after 15 s. Idempotent.
# status  exit 0 when this script's server runs and answers, else 3.
#
# Environment:
#   POLARIS_VERSION     server module version (default 1.18.1)
#   POLARIS_HTTP_PORT   HTTP API port (default 8090); the tests use 28090
#   POLARIS_GRPC_PORT   client gRPC port (default POLARIS_HTTP_PORT+1)
#   POLARIS_CACHE_DIR   binary and run dirs (default ${XDG_CACHE_HOME:-$HOME/.cache}/dtx-polaris)
#   POLARIS_START_TIMEOUT seconds to wait for the API (default 60)
#
# Needs: bash, Go >= 1.21 (only while the binary is not cached), node (rewrites the YAML config
# with the repository's `yaml` package), flock, timeout.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$SCRIPT_DIR")"
POLARIS_VERSION="${POLARIS_VERSION:-1.18.1}"
HTTP_PORT="${POLARIS_HTTP_PORT:-8090}"
GRPC_PORT="${POLARIS_GRPC_PORT:-$((HTTP_PORT + 1))}"
CACHE_DIR="${POLARIS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dtx-polaris}"
START_TIMEOUT="${POLARIS_START_TIMEOUT:-60}"
BIN="$CACHE_DIR/polaris-server-$POLARIS_VERSION"
SRC_CONF="$CACHE_DIR/conf-$POLARIS_VERSION"
RUN_DIR="$CACHE_DIR/run-$HTTP_PORT"
PID_FILE="$RUN_DIR/polaris.pid"
# shellcheck source=lib/pid-file.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/pid-file.sh"
LOG_FILE="$RUN_DIR/polaris.log"

log() { printf 'polaris-local: %s\n' "$*" >&2; }
die() { printf 'polaris-local: error: %s\n' "$*" >&2; exit 1; }

case "$HTTP_PORT$GRPC_PORT" in *[!0-9]*) die "POLARIS_HTTP_PORT and POLARIS_GRPC_PORT must be numbers" ;; esac
for t in flock timeout node; do
  command -v "$t" >/dev/null 2>&1 || die "'$t' is missing"
done

build_server() {
  [[ -x "$BIN" && -d "$SRC_CONF" ]] && return 0
  mkdir -p "$CACHE_DIR"
  exec 8>"$CACHE_DIR/.build.lock"
  flock 8
  if [[ -x "$BIN" && -d "$SRC_CONF" ]]; then exec 8>&-; return 0; fi
  command -v go >/dev/null 2>&1 || die "Go is missing and polaris-server $POLARIS_VERSION is not built in $CACHE_DIR (install Go >= 1.21: apt-get install golang-go, or https://go.dev/dl/)"
  log "building polaris-server $POLARIS_VERSION from github.com/polarismesh/polaris (first run only, a few minutes)"
  local dir tmp
  dir="$(GOFLAGS=-mod=mod go mod download -json "github.com/polarismesh/polaris@v$POLARIS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || die "go mod download github.com/polarismesh/polaris@v$POLARIS_VERSION gave no module directory"
  tmp="$CACHE_DIR/src.tmp.$$"
  rm -rf "$tmp"
  cp -r "$dir" "$tmp"
  chmod -R u+w "$tmp"
  if ! (cd "$tmp" && GOFLAGS=-mod=mod go build -o "$BIN.tmp" . >"$CACHE_DIR/build.log" 2>&1); then
    tail -n 30 "$CACHE_DIR/build.log" >&2
    rm -rf "$tmp"
    die "go build of polaris-server failed (log: $CACHE_DIR/build.log)"
  fi
  rm -rf "$SRC_CONF"
  cp -r "$tmp/release/conf" "$SRC_CONF"
  mv "$BIN.tmp" "$BIN"
  rm -rf "$tmp"
  exec 8>&-
}

# The release config, limited to the two APIs dtx needs, on loopback, with the store in the run dir.
write_config() {
  mkdir -p "$RUN_DIR/conf"
  cp -r "$SRC_CONF/i18n" "$SRC_CONF/plugin" "$RUN_DIR/conf/"
  (cd "$REPO_DIR" && node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    import { parseDocument } from "yaml";
    const [src, dst, http, grpc, store] = process.argv.slice(1);
    const doc = parseDocument(readFileSync(src, "utf8"));
    const ports = { "api-http": Number(http), "service-grpc": Number(grpc) };
    const servers = doc.get("apiservers");
    servers.items = servers.items.filter((s) => s.get("name") in ports);
    for (const s of servers.items) {
      s.get("option").set("listenIP", "127.0.0.1");
      s.get("option").set("listenPort", ports[s.get("name")]);
    }
    doc.setIn(["store", "option", "path"], store);
    writeFileSync(dst, doc.toString());
  ' "$SRC_CONF/polaris-server.yaml" "$RUN_DIR/conf/polaris-server.yaml" "$HTTP_PORT" "$GRPC_PORT" "$RUN_DIR/polaris.bolt")
}

running_pid() { pid_matching "$RUN_DIR/conf/polaris-server.yaml"; }

# The HTTP API answers a discover request with a Polaris JSON reply (code 2xxxxx or 4xxxxx).
answers() {
  local reply
  reply="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HTTP_PORT; body='{\"type\":1,\"service\":{\"name\":\"polaris.checker\",\"namespace\":\"Polaris\"}}'; printf 'POST /v1/Discover HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \${#body} \"\$body\" >&3; cat <&3" 2>/dev/null || true)"
  [[ "$reply" == *'"code"'* ]]
}

wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until answers; do
    if ! started_pid_alive; then
      tail -n 30 "$LOG_FILE" >&2 || true
      die "polaris-server exited during start-up (log above, full log: $LOG_FILE)"
    fi
    (( SECONDS < deadline )) || die "polaris-server did not answer within ${START_TIMEOUT}s (log: $LOG_FILE)"
    sleep 0.3
  done
}

do_start() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.start.lock"
  flock 9
  if running_pid >/dev/null; then
    wait_ready
    log "polaris-server already running on 127.0.0.1:$HTTP_PORT (pid $(read_pid))"
    printf 'POLARIS_HTTP=127.0.0.1:%s\n' "$HTTP_PORT"
    return 0
  fi
  for p in "$HTTP_PORT" "$GRPC_PORT"; do
    port_open "$p" && die "port $p on 127.0.0.1 is in use by another process (choose POLARIS_HTTP_PORT / POLARIS_GRPC_PORT)"
  done
  build_server
  write_config
  log "starting polaris-server $POLARIS_VERSION on 127.0.0.1:$HTTP_PORT (run dir $RUN_DIR)"
  cd "$RUN_DIR" # polaris reads ./conf/i18n and ./conf/plugin, and writes ./log
  setsid "$BIN" start -c "$RUN_DIR/conf/polaris-server.yaml" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  echo $! >"$PID_FILE"
  wait_ready
  log "polaris-server is up (pid $(read_pid))"
  printf 'POLARIS_HTTP=127.0.0.1:%s\n' "$HTTP_PORT"
}

do_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "polaris-server on port $HTTP_PORT is not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15))
  while running_pid >/dev/null; do
    if (( SECONDS >= deadline )); then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$PID_FILE"
  log "polaris-server on port $HTTP_PORT stopped"
}

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  status) if running_pid >/dev/null && answers; then log "polaris-server running on 127.0.0.1:$HTTP_PORT"; else log "polaris-server not running on port $HTTP_PORT"; exit 3; fi ;;
  *) printf 'usage: %s start|stop|status\n' "$0" >&2; exit 2 ;;
esac

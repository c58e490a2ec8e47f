#!/usr/bin/env bash
# Saturates the machine's cores with busy loops, to check that tests pass on a loaded machine.
#
#   scripts/cpu-hog.sh run -- <command> [args...]   hog while <command> runs; stop the hog afterwards
#                                                   whatever happens (exit, failure, Ctrl-C); exits
#                                                   with <command>'s status
#   scripts/cpu-hog.sh start                        hog in the background (pids in the pid file)
#   scripts/cpu-hog.sh stop                         stop a hog started with `start`. Idempotent.
#   scripts/cpu-hog.sh status                       exit 0 when a started hog runs, else 3
#
# Each hog is a bash busy loop at normal priority (nice 0) that ends by itself after CPU_HOG_SECONDS,
# even when nobody stops it (a killed test run, a lost terminal).
#
# Environment:
#   CPU_HOG_PROCS     busy processes (default: the number of cores, `nproc`)
#   CPU_HOG_SECONDS   each busy process ends after this many seconds (default 3600)
#   CPU_HOG_PID_FILE  pid file of `start`/`stop` (default ${TMPDIR:-/tmp}/dtx-cpu-hog.pids)
set -euo pipefail

PROCS="${CPU_HOG_PROCS:-$(nproc)}"
SECONDS_LIMIT="${CPU_HOG_SECONDS:-3600}"
PID_FILE="${CPU_HOG_PID_FILE:-${TMPDIR:-/tmp}/dtx-cpu-hog.pids}"

log() { printf 'cpu-hog: %s\n' "$*" >&2; }
die() { printf 'cpu-hog: error: %s\n' "$*" >&2; exit 1; }

case "$PROCS$SECONDS_LIMIT" in
  *[!0-9]*) die "CPU_HOG_PROCS and CPU_HOG_SECONDS must be whole numbers (got '$PROCS', '$SECONDS_LIMIT')" ;;
esac
[[ "$PROCS" -ge 1 ]] || die "CPU_HOG_PROCS must be at least 1"

HOGS=()

# Starts the busy loops; their pids go to HOGS.
spawn() {
  local i
  for ((i = 0; i < PROCS; i += 1)); do
    # shellcheck disable=SC2016
    nice -n 0 bash -c 'end=$((SECONDS + $1)); while ((SECONDS < end)); do :; done' cpu-hog "$SECONDS_LIMIT" &
    HOGS+=("$!")
    disown "$!" # stopped by pid (kill_pids), never waited for: no "Killed" job reports
  done
  log "$PROCS busy process(es) started (pids ${HOGS[*]}), each stops by itself after ${SECONDS_LIMIT} s"
}

# True when pid $1 is one of our busy loops (not a process that reused the pid after the loop ended).
is_hog() {
  [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'while ((SECONDS < end)); do :; done cpu-hog'
}

kill_pids() {
  local pid
  for pid in "$@"; do if is_hog "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi; done
}

alive() {
  local pid
  for pid in "$@"; do is_hog "$pid" && return 0; done
  return 1
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  run)
    [[ "${1:-}" == "--" ]] && shift
    [[ $# -gt 0 ]] || die "usage: $0 run -- <command> [args...]"
    trap 'kill_pids "${HOGS[@]}"; log "stopped"' EXIT
    spawn
    # The command runs in the background so that a signal to this script is handled at once: it is
    # passed on to the command, whose exit then ends the script (and the hog, by the EXIT trap).
    "$@" &
    child=$!
    trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM
    status=0
    while true; do
      set +e
      wait "$child"
      status=$?
      set -e
      kill -0 "$child" 2>/dev/null || break # wait returned because of a trapped signal
    done
    exit "$status"
    ;;
  start)
    if [[ -f "$PID_FILE" ]] && alive $(cat "$PID_FILE"); then
      log "already running (pids $(tr '\n' ' ' <"$PID_FILE"))"
      exit 0
    fi
    spawn
    printf '%s\n' "${HOGS[@]}" >"$PID_FILE"
    ;;
  stop)
    if [[ -f "$PID_FILE" ]]; then
      # shellcheck disable=SC2046
      kill_pids $(cat "$PID_FILE")
      rm -f "$PID_FILE"
      log "stopped"
    fi
    ;;
  status)
    # shellcheck disable=SC2046
    if [[ -f "$PID_FILE" ]] && alive $(cat "$PID_FILE"); then exit 0; fi
    exit 3
    ;;
  *)
    die "usage: $0 run -- <command> [args...] | start | stop | status"
    ;;
esac

# Process helpers shared by the scripts that start a local server in the background and record its
# pid in $PID_FILE (etcd, polaris, kafka, mysql, redis and dtm scripts). Source it after PID_FILE is
# set. Nothing here prints except read_pid / pid_matching (the pid, on success).

# The pid recorded in $PID_FILE.
read_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid; pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] || return 1
  printf '%s\n' "$pid"
}

# Alive and not a zombie (kill -0 also succeeds for a zombie: a server that died while this script
# is its parent).
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local st; st="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)"
  [[ "$st" != Z ]]
}

# During start-up: the recorded pid is alive. Its command line is not checked: on a loaded machine
# the forked shell may not have exec'd the server yet.
started_pid_alive() {
  local pid; pid="$(read_pid)" || return 1
  pid_alive "$pid"
}

# The recorded pid if it is alive and its command line contains every argument (guards against pid
# reuse after a reboot or a crash).
pid_matching() {
  local pid cmd mark
  pid="$(read_pid)" || return 1
  pid_alive "$pid" || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  for mark in "$@"; do [[ "$cmd" == *"$mark"* ]] || return 1; done
  printf '%s\n' "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Sends TERM to the recorded pid and waits up to $2 seconds until it has gone; $1 names the server
# in the error (the sourcing script's `die`). Nothing to do without a recorded pid.
stop_recorded() {
  local what="$1" seconds="$2" pid
  pid="$(read_pid)" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + seconds))
  while kill -0 "$pid" 2>/dev/null; do
    (( SECONDS < deadline )) || die "$what (pid $pid) did not stop within ${seconds}s"
    sleep 0.1
  done
}

#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) for dtx tests and development.
#
#   scripts/kafka-local.sh start|stop|status|reset
#
# start   fetch the broker jars once (Maven, scripts/kafka/pom.xml) into a cache, write
#         server.properties + logging config, format storage once, start kafka.Kafka in the
#         background and wait until it answers client requests; prints KAFKA_BROKERS=127.0.0.1:<port>
#         on stdout (everything else goes to stderr). Idempotent: a running broker is reused.
# stop    TERM the broker from the pid file, KILL after 30 s. Idempotent.
# status  exit 0 when the broker is running and answers, else 3.
# reset   stop, then wipe the data and logs of this run dir (next start formats afresh).
#
# Environment:
#   KAFKA_VERSION          broker version (default 3.9.2; 4.x works too, needs Java 17+)
#   KAFKA_PORT             client listener port (default 9092), bound to 127.0.0.1
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default KAFKA_PORT+1)
#   KAFKA_CACHE_DIR        jar cache + run dirs (default ${XDG_CACHE_HOME:-$HOME/.cache}/dtx-kafka)
#   KAFKA_RUN_DIR          data, logs, pid for this broker (default <cache>/run-<port>)
#   KAFKA_DATA_DIR         the broker's log.dirs (default <run dir>/data), e.g. on a disk of its own
#   KAFKA_LOGGING          log4j1 | log4j2 (default: log4j1 for 3.x, log4j2 for 4.x and later)
#   KAFKA_HEAP_OPTS        JVM heap (default -Xmx512m)
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90)
#   KAFKA_EXTRA_PROPERTIES extra server.properties lines (newline separated), appended last
#   KAFKA_SECURE_PORT      when set: a SASL_SSL listener on it and a mutual-TLS listener on it+1, with a
#                          test CA in <run dir>/tls (scripts/lib/kafka-secure.sh; start prints their
#                          KAFKA_SASL_SSL_BROKERS=, KAFKA_MTLS_BROKERS= and KAFKA_TLS_DIR= lines too)
#   KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD  the SASL user of the SASL_SSL listener (dtx / dtx-local-secret)
#   JAVA_HOME              used when set, else `java` from PATH
#
# Needs: bash, java (17+ for Kafka 4.x), mvn (only while the jar cache is cold), flock, timeout;
# node is used for the readiness probe when present, and writes the OAUTHBEARER JWK set (KAFKA_SECURE_PORT).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"

KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
CACHE_DIR="${KAFKA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dtx-kafka}"
RUN_DIR="${KAFKA_RUN_DIR:-$CACHE_DIR/run-$KAFKA_PORT}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT=30

KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
LIB_DIR="$KAFKA_HOME/lib"
MARKER="$KAFKA_HOME/.complete"
DATA_DIR="${KAFKA_DATA_DIR:-$RUN_DIR/data}"
LOG_DIR="$RUN_DIR/logs"
PID_FILE="$RUN_DIR/kafka.pid"
# shellcheck source=lib/pid-file.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/pid-file.sh"
PROPS="$RUN_DIR/server.properties"
VERSION_FILE="$RUN_DIR/formatted-version"
BROKERS="127.0.0.1:$KAFKA_PORT"

log() { printf 'kafka-local: %s\n' "$*" >&2; }
die() { printf 'kafka-local: error: %s\n' "$*" >&2; exit 1; }

case "$KAFKA_PORT$KAFKA_CONTROLLER_PORT" in
  *[!0-9]*) die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must be numbers (got '$KAFKA_PORT', '$KAFKA_CONTROLLER_PORT')" ;;
esac
[[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_CONTROLLER_PORT must differ from KAFKA_PORT"
# shellcheck source=lib/kafka-secure.sh
source "$SCRIPT_DIR/lib/kafka-secure.sh"
secure_check_env

major="${KAFKA_VERSION%%.*}"
case "$major" in *[!0-9]*|'') die "KAFKA_VERSION '$KAFKA_VERSION' does not look like a Kafka version (e.g. 3.9.2, 4.4.0)" ;; esac
if [[ -n "${KAFKA_LOGGING:-}" ]]; then
  LOGGING="$KAFKA_LOGGING"
elif (( major >= 4 )); then
  LOGGING=log4j2
else
  LOGGING=log4j1
fi
case "$LOGGING" in log4j1|log4j2) ;; *) die "KAFKA_LOGGING must be log4j1 or log4j2 (got '$LOGGING')" ;; esac

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "Java is missing: install a JDK/JRE (17+; Debian: apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"
  fi
}

require_tools() {
  local t
  for t in flock timeout; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' is missing (Debian: apt-get install -y util-linux coreutils)"
  done
}

# ---------- jar cache ----------

# The marker names what the lib dir holds. It is written only after a complete copy. A change to the pom
# alone does not refetch (a running broker may use these jars): delete <cache>/kafka-<version> for that.
marker_content() {
  printf 'kafka=%s logging=%s' "$KAFKA_VERSION" "$LOGGING"
}

cache_complete() {
  [[ -f "$MARKER" ]] || return 1
  local have; have="$(head -n1 "$MARKER")"
  [[ "$have" == "$1" || "$have" == "$1 "* ]]
}

fetch_jars() {
  mkdir -p "$KAFKA_HOME"
  local want; want="$(marker_content)"
  if cache_complete "$want"; then return 0; fi
  exec 8>"$KAFKA_HOME/.fetch.lock"
  flock 8
  if cache_complete "$want"; then exec 8>&-; return 0; fi
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is missing and the Kafka $KAFKA_VERSION jars are not cached in $LIB_DIR (Debian: apt-get install -y maven)"
  [[ -f "$POM" ]] || die "missing $POM"
  log "fetching Kafka $KAFKA_VERSION jars ($LOGGING) with Maven into $LIB_DIR"
  local tmp="$KAFKA_HOME/lib.tmp.$$"
  rm -rf "$tmp"
  local profile=()
  [[ "$LOGGING" == log4j2 ]] && profile=(-Dkafka.logging=log4j2)
  local mvn_log="$KAFKA_HOME/mvn.log"
  if ! mvn -q -B -Dstyle.color=never -f "$POM" -Dkafka.version="$KAFKA_VERSION" "${profile[@]}" \
      dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime >"$mvn_log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$mvn_log" | tail -n 40 >&2
    rm -rf "$tmp"
    die "Maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (output above, full log: $mvn_log)"
  fi
  compgen -G "$tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || { rm -rf "$tmp"; die "Maven finished but $tmp has no kafka_2.13-$KAFKA_VERSION.jar"; }
  rm -f "$MARKER"
  rm -rf "$LIB_DIR"
  mv "$tmp" "$LIB_DIR"
  printf '%s' "$want" >"$MARKER"
  log "cached $(find "$LIB_DIR" -name '*.jar' | wc -l) jars"
  exec 8>&-
}

# ---------- process helpers ----------

# Ours only if alive and its command line names kafka.Kafka and our server.properties.
running_pid() { pid_matching kafka.Kafka "$PROPS"; }

# Readiness probe: ApiVersions v0 must answer without error, and Metadata v1 must list at least one
# (unfenced) broker, i.e. the node can serve CreateTopics, Produce and the group/txn coordinators.
PROBE_JS='
const net = require("node:net");
const port = Number(process.argv[1]);
function frame(apiKey, apiVersion, corr, body) {
  const client = Buffer.from("dtx-probe");
  const h = Buffer.alloc(10);
  h.writeInt16BE(apiKey, 0); h.writeInt16BE(apiVersion, 2); h.writeInt32BE(corr, 4); h.writeInt16BE(client.length, 8);
  const payload = Buffer.concat([h, client, body]);
  const size = Buffer.alloc(4); size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}
const sock = net.connect({ host: "127.0.0.1", port });
const fail = (why) => { process.stderr.write("probe: " + why + "\n"); process.exit(1); };
sock.setTimeout(3000, () => fail("timeout"));
sock.on("error", (e) => fail(e.code || e.message));
let buf = Buffer.alloc(0); let step = 0;
sock.on("connect", () => sock.write(frame(18, 0, 1, Buffer.alloc(0))));
sock.on("data", (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
    const msg = buf.subarray(4, 4 + buf.readInt32BE(0)); buf = buf.subarray(4 + msg.length);
    if (step === 0) {
      if (msg.readInt32BE(0) !== 1) fail("bad correlation id");
      const err = msg.readInt16BE(4); if (err !== 0) fail("ApiVersions error " + err);
      step = 1;
      const all = Buffer.alloc(4); all.writeInt32BE(-1, 0);
      sock.write(frame(3, 1, 2, all));
    } else {
      if (msg.readInt32BE(0) !== 2) fail("bad correlation id");
      const brokers = msg.readInt32BE(4); if (brokers < 1) fail("no live broker in metadata yet");
      sock.end(); process.exit(0);
    }
  }
});
'

probe() {
  if command -v node >/dev/null 2>&1; then
    timeout 10 node -e "$PROBE_JS" "$KAFKA_PORT" 2>/dev/null
  else
    port_open "$KAFKA_PORT"
  fi
}

show_logs() {
  local f
  for f in "$LOG_DIR/server.log" "$LOG_DIR/kafka.out"; do
    [[ -s "$f" ]] || continue
    printf -- '----- last lines of %s -----\n' "$f" >&2
    tail -n 40 "$f" >&2
  done
}

# ---------- config ----------

write_config() {
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  cat >"$PROPS" <<EOF
# Written by scripts/kafka-local.sh on each start: single-node KRaft, loopback only, for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT$(secure_listeners)
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT$(secure_listeners)
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT$(secure_protocols)
log.dirs=$DATA_DIR
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
# One node: internal topics must have replication factor 1, or groups and transactions fail.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Test speed-ups and limits.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=false
transaction.max.timeout.ms=900000
$(secure_properties)
EOF
  # the PLAIN listener's password is in it
  if secure_enabled; then chmod 600 "$PROPS"; fi
  if [[ -n "${KAFKA_EXTRA_PROPERTIES:-}" ]]; then
    printf '# KAFKA_EXTRA_PROPERTIES\n%s\n' "$KAFKA_EXTRA_PROPERTIES" >>"$PROPS"
  fi

  local noisy=(org.apache.zookeeper io.netty state.change.logger kafka.request.logger kafka.authorizer.logger
               org.apache.kafka.clients org.apache.kafka.common.network kafka.log.LogCleaner org.apache.kafka.storage.internals.log.LogCleaner)
  local n i
  if [[ "$LOGGING" == log4j1 ]]; then
    {
      printf 'log4j.rootLogger=INFO, file\n'
      printf 'log4j.appender.file=org.apache.log4j.RollingFileAppender\n'
      printf 'log4j.appender.file.File=%s\n' "$LOG_DIR/server.log"
      printf 'log4j.appender.file.MaxFileSize=20MB\nlog4j.appender.file.MaxBackupIndex=2\n'
      printf 'log4j.appender.file.layout=org.apache.log4j.PatternLayout\n'
      printf 'log4j.appender.file.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\n'
      printf 'log4j.logger.kafka=INFO\nlog4j.logger.org.apache.kafka=INFO\n'
      for n in "${noisy[@]}"; do printf 'log4j.logger.%s=WARN\n' "$n"; done
    } >"$RUN_DIR/log4j.properties"
  else
    {
      printf 'status = warn\nname = dtx-kafka-local\n'
      printf 'appender.file.type = RollingFile\nappender.file.name = FILE\n'
      printf 'appender.file.fileName = %s\n' "$LOG_DIR/server.log"
      printf 'appender.file.filePattern = %s\n' "$LOG_DIR/server.log.%i"
      printf 'appender.file.layout.type = PatternLayout\nappender.file.layout.pattern = [%%d] %%p %%m (%%c)%%n\n'
      printf 'appender.file.policies.type = Policies\n'
      printf 'appender.file.policies.size.type = SizeBasedTriggeringPolicy\nappender.file.policies.size.size = 20MB\n'
      printf 'appender.file.strategy.type = DefaultRolloverStrategy\nappender.file.strategy.max = 2\n'
      printf 'rootLogger.level = INFO\nrootLogger.appenderRef.file.ref = FILE\n'
      printf 'logger.kafka.name = kafka\nlogger.kafka.level = INFO\n'
      printf 'logger.apachekafka.name = org.apache.kafka\nlogger.apachekafka.level = INFO\n'
      i=0
      for n in "${noisy[@]}"; do
        i=$((i + 1))
        printf 'logger.noisy%d.name = %s\nlogger.noisy%d.level = WARN\n' "$i" "$n" "$i"
      done
    } >"$RUN_DIR/log4j2.properties"
  fi
}

log_opts() {
  if [[ "$LOGGING" == log4j1 ]]; then
    printf '%s\n' "-Dlog4j.configuration=file:$RUN_DIR/log4j.properties"
  else
    printf '%s\n' "-Dlog4j2.configurationFile=$RUN_DIR/log4j2.properties"
  fi
}

new_cluster_id() {
  # Kafka cluster ids are 16 random bytes, base64url without padding (22 chars), not starting with '-'.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" == -* ]] || break
  done
  printf '%s\n' "$id"
}

format_storage() {
  local java="$1"
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    local formatted; formatted="$(cat "$VERSION_FILE" 2>/dev/null || echo unknown)"
    if [[ "$formatted" != "$KAFKA_VERSION" ]]; then
      die "$DATA_DIR was formatted by Kafka $formatted, not $KAFKA_VERSION: run '$0 reset' (same env) or use another KAFKA_PORT/KAFKA_RUN_DIR"
    fi
    if secure_enabled; then check_scram_formatted; fi
    return 0
  fi
  local id; id="$(new_cluster_id)"
  log "formatting $DATA_DIR (cluster id $id)"
  local lo; lo="$(log_opts)"
  local scram=()
  mapfile -t scram < <(scram_format_args)
  if ! "$java" -cp "$LIB_DIR/*" "$lo" kafka.tools.StorageTool format -t "$id" -c "$PROPS" "${scram[@]}" >"$LOG_DIR/format.out" 2>&1; then
    cat "$LOG_DIR/format.out" >&2
    die "kafka.tools.StorageTool format failed"
  fi
  printf '%s\n' "$KAFKA_VERSION" >"$VERSION_FILE"
  scram_wanted >"$SCRAM_FILE"
}

# ---------- commands ----------

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if ! pid_alive "$pid"; then
      show_logs
      rm -f "$PID_FILE"
      die "Kafka $KAFKA_VERSION exited during startup (logs: $LOG_DIR)"
    fi
    if grep -q 'Kafka Server started' "$LOG_DIR/server.log" 2>/dev/null && probe; then
      return 0
    fi
    sleep 0.5
  done
  show_logs
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  die "Kafka $KAFKA_VERSION did not become ready on $BROKERS within ${START_TIMEOUT}s (logs: $LOG_DIR)"
}

cmd_start() {
  require_tools
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.lock"
  flock 9
  local pid
  if pid="$(running_pid)"; then
    local running_version; running_version="$(cat "$VERSION_FILE" 2>/dev/null || echo unknown)"
    if [[ "$running_version" != "$KAFKA_VERSION" ]]; then
      die "a Kafka $running_version broker (pid $pid) is already running from $RUN_DIR, not $KAFKA_VERSION: stop it first or use another KAFKA_PORT"
    fi
    if secure_enabled; then
      grep -q "SASL_SSL://127.0.0.1:$SECURE_PORT," "$PROPS" 2>/dev/null || die "the Kafka broker running from $RUN_DIR (pid $pid) has no SASL_SSL listener on $SECURE_PORT: stop it first"
      check_scram_formatted
    fi
    if probe; then
      log "Kafka already running (pid $pid, $RUN_DIR)"
      print_brokers
      return 0
    fi
    log "Kafka pid $pid is alive but not answering yet; waiting"
    wait_ready "$pid"
    print_brokers
    return 0
  fi
  if [[ -f "$PID_FILE" ]]; then
    log "removing stale pid file $PID_FILE"
    rm -f "$PID_FILE"
  fi
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" $(secure_ports); do
    if port_open "$p"; then
      die "port $p on 127.0.0.1 is already in use by another process (not this script's broker in $RUN_DIR); choose another KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done

  local java; java="$(java_bin)"
  local jv; jv="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)"
  if (( major >= 4 )) && [[ -n "$jv" ]] && (( ${jv%%.*} < 17 )); then
    die "Kafka $KAFKA_VERSION needs Java 17+, found Java $jv ($java); set JAVA_HOME"
  fi
  fetch_jars
  if secure_enabled; then make_tls; fi
  write_config
  # Fresh log per start so the readiness check never sees an older "Kafka Server started".
  local f
  for f in server.log kafka.out; do
    if [[ -f "$LOG_DIR/$f" ]]; then mv -f "$LOG_DIR/$f" "$LOG_DIR/$f.prev"; fi
  done
  format_storage "$java"

  local lo; lo="$(log_opts)"
  local secure_opts; mapfile -t secure_opts < <(secure_jvm_opts)
  local started=$SECONDS
  # shellcheck disable=SC2086  # HEAP_OPTS is a list of JVM flags
  setsid "$java" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    "$lo" "${secure_opts[@]}" -Dkafka.logs.dir="$LOG_DIR" -cp "$LIB_DIR/*" kafka.Kafka "$PROPS" \
    </dev/null >"$LOG_DIR/kafka.out" 2>&1 8>&- 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  log "started Kafka $KAFKA_VERSION (pid $pid) on $BROKERS, controller 127.0.0.1:$KAFKA_CONTROLLER_PORT, run dir $RUN_DIR"
  wait_ready "$pid"
  log "ready after $((SECONDS - started))s"
  print_brokers
}

print_brokers() {
  printf 'KAFKA_BROKERS=%s\n' "$BROKERS"
  secure_print
}

cmd_stop() {
  require_tools
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.lock"
  flock 9
  local pid
  if ! pid="$(running_pid)"; then
    [[ -f "$PID_FILE" ]] && { log "removing stale pid file $PID_FILE"; rm -f "$PID_FILE"; }
    log "Kafka not running ($RUN_DIR)"
    return 0
  fi
  log "stopping Kafka (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while pid_alive "$pid" && (( SECONDS < deadline )); do sleep 0.3; done
  if pid_alive "$pid"; then
    log "Kafka did not stop within ${STOP_TIMEOUT}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    while pid_alive "$pid"; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(running_pid)" && probe; then
    log "running: Kafka $(cat "$VERSION_FILE" 2>/dev/null || echo '?') pid $pid, run dir $RUN_DIR"
    print_brokers
    return 0
  fi
  if [[ -n "${pid:-}" ]]; then
    log "pid $pid is alive but $BROKERS does not answer (starting or stuck); logs: $LOG_DIR"
  else
    log "not running ($RUN_DIR)"
  fi
  return 3
}

cmd_reset() {
  cmd_stop
  exec 9>"$RUN_DIR/.lock"
  flock 9
  rm -rf "$DATA_DIR" "$LOG_DIR" "$VERSION_FILE" "$SCRAM_FILE" "$PROPS" "$RUN_DIR/log4j.properties" "$RUN_DIR/log4j2.properties"
  log "wiped data and logs in $RUN_DIR"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  *) printf 'usage: %s start|stop|status|reset   (see the header of this file for env knobs)\n' "$0" >&2; exit 2 ;;
esac

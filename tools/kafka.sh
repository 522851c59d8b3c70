#!/usr/bin/env bash
# tools/kafka.sh - a real single-node Apache Kafka broker (3.9, from Maven Central) on this
# machine, for tests, benchmarks and trying things out.
#
#   tools/kafka.sh start [--kraft | --zookeeper HOST:PORT] [--port P] [--partitions N]
#                        [--dir D] [--owner PID] [--host ADDR]
#   tools/kafka.sh stop  [--dir D]          stop the broker (and the ZooKeeper it started),
#                                           remove the directory
#   tools/kafka.sh down  --dir D            stop the broker only (data and ZooKeeper stay)
#   tools/kafka.sh up    --dir D            start it again: same port, same data
#   tools/kafka.sh fetch                    only fetch the jars
#   tools/kafka.sh groups ARGS...           Kafka's own consumer-groups tool (what
#                                           kafka-consumer-groups.sh runs), e.g.
#                                           groups --bootstrap-server B --describe --group G
#   tools/kafka.sh topics ARGS...           Kafka's own topics tool (what kafka-topics.sh
#                                           runs), e.g. topics --bootstrap-server B --alter
#                                           --topic T --partitions 4
#
# HOW IT WORKS
# The broker is the kafka_2.13 artifact and its runtime dependencies, copied by Maven from
# tools/kafka/pom.xml into ${SLUICE_CACHE:-$HOME/.cache/sluice}/kafka-VERSION/lib (once: a
# stamp file with the pom's checksum marks a complete fetch; a lock serializes concurrent
# fetches). The broker runs as `java -cp 'lib/*' kafka.Kafka server.properties` on
# 127.0.0.1 (--host: another address, below), with its data, configuration, pid files and
# logs (broker.log, zookeeper.log) in the directory (--dir, else a new one from mktemp).
# ZooKeeper mode is the default: without --zookeeper, Debian's zookeeper package is started
# on a free loopback port as tests/util/zkserver.c does. --kraft runs a combined
# broker+controller instead (storage formatted with kafka.tools.StorageTool first). `start`
# returns once the broker answers a metadata request (kcat -L), printing on stdout
#   KAFKA_DIR=/tmp/sluice-kafka-XXXXXX
#   BOOTSTRAP=127.0.0.1:PORT
#   ZOOKEEPER=127.0.0.1:PORT     (only when it started a ZooKeeper)
# so `eval "$(tools/kafka.sh start)"` sets them. Everything else goes to stderr.
# --owner PID: the broker (and its ZooKeeper) is stopped when process PID exits, so a test
# program that crashes leaves no Java process behind.
# --host ADDR: the broker listens on ADDR instead of 127.0.0.1, and its advertised listener
# (the address clients are sent to after the bootstrap) is ADDR too - a local address, e.g.
# the bridge of tests/util/netns.sh, so that processes in other network namespaces reach
# the broker (librdkafka's mock cluster listens on 127.0.0.1 only). The ZooKeeper it starts
# (without --zookeeper) and the KRaft controller listen on ADDR as well. When it started a
# ZooKeeper, `start` also prints ZOOKEEPER=ADDR:PORT: other programs may use that server
# too (tests/sql/test_cluster_netns.sh runs its sluice jobs' coordination there).
#
# The settings are for a fast single-node test broker: replication factor 1 for the
# internal topics, no initial rebalance delay, retention and compaction checked every
# second, deleted segments removed at once, and no retention by time unless a topic sets
# retention.ms (tests write records stamped years ago - Kafka's default of 7 days, checked
# every second, would delete them within a second of their write). SLUICE_KAFKA_HEAP (default "-Xms64m -Xmx512m")
# and SLUICE_KAFKA_JVM_OPTS (default "-XX:+UseSerialGC -XX:TieredStopAtLevel=1", which
# starts fastest; benchmarks may want "-XX:+UseG1GC") tune the JVM; SLUICE_KAFKA_CLUSTER_ID
# sets the KRaft cluster id (default: 16 random bytes). The JVMs map the classes the first
# broker loaded from a class data sharing archive that broker wrote when it stopped
# (KAFKA_HOME/kafka.jsa, "class data sharing" below; SLUICE_KAFKA_CDS=0 turns it off).
set -euo pipefail

SL_ROOT=$(cd "$(dirname "$0")/.." && pwd)
SL_POM=$SL_ROOT/tools/kafka/pom.xml
SL_CACHE=${SLUICE_CACHE:-$HOME/.cache/sluice}
SL_JAVA=${SLUICE_JAVA:-java}
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$SL_POM")
KAFKA_HOME=$SL_CACHE/kafka-$KAFKA_VERSION
ZK_JARS=(zookeeper zookeeper-jute slf4j-api slf4j-nop netty-handler netty-common netty-buffer
  netty-transport netty-codec netty-resolver netty-transport-native-epoll
  netty-transport-native-unix-common metrics-core commons-cli snappy-java commons-io)

die() { echo "kafka.sh: $*" >&2; exit 1; }
log() { echo "kafka.sh: $*" >&2; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

# ---- fetch ---------------------------------------------------------------------------------

sl_fetch() {
  local stamp=$KAFKA_HOME/.stamp sum
  sum=$(sha256sum "$SL_POM" | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && return 0
  command -v mvn >/dev/null || die "mvn is missing (Debian's maven package; tools/setup.sh installs it)"
  mkdir -p "$KAFKA_HOME"
  (
    flock 9
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && exit 0
    log "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_HOME"
    rm -rf "$KAFKA_HOME/lib" "$KAFKA_HOME/lib.new" "$KAFKA_HOME/kafka.jsa" "$KAFKA_HOME/kafka.nocds"
    if ! mvn -q -B -f "$SL_POM" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$KAFKA_HOME/lib.new" >"$KAFKA_HOME/fetch.log" 2>&1; then
      tail -n 30 "$KAFKA_HOME/fetch.log" >&2
      die "fetching Kafka $KAFKA_VERSION failed (log: $KAFKA_HOME/fetch.log)"
    fi
    mv "$KAFKA_HOME/lib.new" "$KAFKA_HOME/lib"
    echo "$sum" >"$stamp"
  ) 9>"$KAFKA_HOME/.lock"
}

# ---- helpers -------------------------------------------------------------------------------

free_port() {
  python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$HOST"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Ends process $1 (SIGTERM, then SIGKILL after $2 seconds).
end_pid() {
  local pid=$1 grace=$2 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  log "pid $pid did not stop within ${grace} s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
}

log_tail() { [ -f "$1" ] && tail -n "${2:-25}" "$1" >&2 || true; }

zk_ready() {
  local out
  out=$( (exec 3<>"/dev/tcp/$HOST/$1" && printf srvr >&3 && timeout 2 cat <&3) 2>/dev/null) || true
  [[ $out == *"Mode: "* ]]
}

broker_ready() {
  kcat -L -b "$HOST:$1" -m 2 2>/dev/null | grep -q "broker 0 at"
}

# ---- ZooKeeper (Debian's package) ----------------------------------------------------------

zk_start() {
  local dir=$1 cp="" j
  for j in "${ZK_JARS[@]}"; do
    [ -r "/usr/share/java/$j.jar" ] ||
      die "/usr/share/java/$j.jar is missing (Debian's zookeeper package; tools/setup.sh installs it)"
    cp+="${cp:+:}/usr/share/java/$j.jar"
  done
  mkdir -p "$dir/zk"
  ZK_PORT=$(free_port)
  cat >"$dir/zk/zoo.cfg" <<EOF
tickTime=200
dataDir=$dir/zk/data
clientPort=$ZK_PORT
clientPortAddress=$HOST
minSessionTimeout=400
maxSessionTimeout=40000
admin.enableServer=false
4lw.commands.whitelist=srvr
EOF
  "$SL_JAVA" -Xms32m -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp" \
    org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zk/zoo.cfg" \
    </dev/null >"$dir/zookeeper.log" 2>&1 &
  echo $! >"$dir/zookeeper.pid"
  local pid=$! i
  for ((i = 0; i < 300; i++)); do
    zk_ready "$ZK_PORT" && return 0
    alive "$pid" || { log_tail "$dir/zookeeper.log"; die "ZooKeeper exited at start-up (log: $dir/zookeeper.log)"; }
    sleep 0.1
  done
  log_tail "$dir/zookeeper.log"
  die "ZooKeeper not up on port $ZK_PORT after 30 s (log: $dir/zookeeper.log)"
}

# ---- the broker ----------------------------------------------------------------------------

write_config() {
  local dir=$1
  {
    echo "# written by tools/kafka.sh"
    if [ "$MODE" = kraft ]; then
      echo "process.roles=broker,controller"
      echo "node.id=0"
      echo "controller.quorum.voters=0@$HOST:$CONTROLLER_PORT"
      echo "listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT"
      echo "controller.listener.names=CONTROLLER"
      echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    else
      echo "broker.id=0"
      echo "zookeeper.connect=$ZK"
      echo "zookeeper.session.timeout.ms=6000"
      echo "listeners=PLAINTEXT://$HOST:$PORT"
    fi
    cat <<EOF
advertised.listeners=PLAINTEXT://$HOST:$PORT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=$PARTITIONS
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
log.initial.task.delay.ms=0
log.retention.check.interval.ms=1000
log.retention.ms=-1
log.segment.delete.delay.ms=0
log.cleaner.backoff.ms=500
log.flush.offset.checkpoint.interval.ms=1000
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
  } >"$dir/server.properties"
  cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/broker.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.org.apache.zookeeper=WARN
log4j.logger.state.change.logger=WARN
EOF
}

# ---- class data sharing --------------------------------------------------------------------
# The first broker started after a fetch writes, when it stops, a JDK dynamic CDS archive of
# the classes it loaded (KAFKA_HOME/kafka.jsa; one broker at a time, the lock directory
# KAFKA_HOME/cds.lock naming it); every later JVM of this script - brokers, the storage
# tool, the topics and groups tools - maps them from it instead of loading them from the
# jars (a broker's JVM reaches "up" in about 3 CPU s instead of 4). An archive holds for the
# exact class path it was written with: the jars by name, in sorted order. When the archive
# was not written (the broker did not stop cleanly), kafka.nocds says so and no broker
# tries again until the next fetch; SLUICE_KAFKA_CDS=0 turns the archive off.

kafka_cp() {
  find "$KAFKA_HOME/lib" -name '*.jar' | LC_ALL=C sort | paste -sd:
}

# CDS_OPTS: the archive's JVM options; with a broker's directory $1, this JVM may be the one
# that writes the archive.
cds_opts() {
  CDS_OPTS=()
  [ "${SLUICE_KAFKA_CDS:-1}" = 0 ] && return 0
  if [ -s "$KAFKA_HOME/kafka.jsa" ]; then
    CDS_OPTS=(-XX:SharedArchiveFile="$KAFKA_HOME/kafka.jsa")
  elif [ -n "${1:-}" ] && [ ! -f "$KAFKA_HOME/kafka.nocds" ]; then
    # a lock older than 10 minutes is one whose broker was never stopped by this script
    find "$KAFKA_HOME" -maxdepth 1 -name cds.lock -mmin +10 -exec rm -rf {} + 2>/dev/null || true
    if mkdir "$KAFKA_HOME/cds.lock" 2>/dev/null; then
      echo "$1" >"$KAFKA_HOME/cds.lock/dir"
      CDS_OPTS=(-XX:ArchiveClassesAtExit="$1/kafka.jsa")
    fi
  fi
}

# After the broker of directory $1 has ended: the archive it wrote goes into KAFKA_HOME.
cds_collect() {
  [ "$(cat "$KAFKA_HOME/cds.lock/dir" 2>/dev/null)" = "$1" ] || return 0
  if [ -s "$1/kafka.jsa" ]; then
    mv "$1/kafka.jsa" "$KAFKA_HOME/kafka.jsa"
  else
    echo "the broker of $1 wrote no class data sharing archive (broker.out there)" \
      >"$KAFKA_HOME/kafka.nocds"
  fi
  rm -rf "$KAFKA_HOME/cds.lock"
}

# Replaces the shell with java: run it in a subshell or in the background (so that $! is
# the java process itself). CDS_OPTS (cds_opts) are added.
kafka_java() {
  local dir=$1; shift
  # shellcheck disable=SC2086
  exec "$SL_JAVA" ${SLUICE_KAFKA_HEAP:--Xms64m -Xmx512m} \
    ${SLUICE_KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1} "${CDS_OPTS[@]}" \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$dir/log4j.properties" \
    -Dkafka.logs.dir="$dir" -cp "$(kafka_cp)" "$@"
}

broker_spawn() {
  local dir=$1 i pid
  cds_opts "$dir"
  kafka_java "$dir" kafka.Kafka "$dir/server.properties" </dev/null >>"$dir/broker.out" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/broker.pid"
  for ((i = 0; i < 1200; i++)); do
    broker_ready "$PORT" && return 0
    alive "$pid" || { log_tail "$dir/broker.log"; log_tail "$dir/broker.out"; die "the Kafka broker exited at start-up (log: $dir/broker.log)"; }
    sleep 0.1
  done
  log_tail "$dir/broker.log"
  die "the Kafka broker is not up on port $PORT after 120 s (log: $dir/broker.log)"
}

# The watcher: stops everything when the owner process exits.
watch_owner() {
  local dir=$1 owner=$2
  (
    while kill -0 "$owner" 2>/dev/null && [ -f "$dir/kafka.env" ]; do sleep 1; done
    [ -f "$dir/kafka.env" ] && "$0" stop --dir "$dir" >/dev/null 2>&1
  ) </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/watcher.pid"
}

cmd_start() {
  MODE=zk ZK="" PORT="" PARTITIONS=4 DIR="" OWNER="" HOST=127.0.0.1
  while [ $# -gt 0 ]; do
    case "$1" in
      --kraft) MODE=kraft ;;
      --zookeeper) ZK=${2:?--zookeeper needs HOST:PORT}; shift ;;
      --port) PORT=${2:?--port needs a number}; shift ;;
      --partitions) PARTITIONS=${2:?--partitions needs a number}; shift ;;
      --dir) DIR=${2:?--dir needs a directory}; shift ;;
      --owner) OWNER=${2:?--owner needs a pid}; shift ;;
      --host) HOST=${2:?--host needs an address}; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die "start: unknown argument '$1' (--help)" ;;
    esac
    shift
  done
  [ "$MODE" = kraft ] && [ -n "$ZK" ] && die "start: --kraft and --zookeeper exclude each other"
  [[ $PARTITIONS =~ ^[1-9][0-9]*$ ]] || die "start: --partitions must be a positive number"
  command -v kcat >/dev/null || die "kcat is missing (Debian's kcat package; tools/setup.sh installs it)"
  sl_fetch
  local owned=0
  if [ -z "$DIR" ]; then
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/sluice-kafka-XXXXXX")
    owned=1
  else
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    [ -f "$DIR/kafka.env" ] && die "start: $DIR already holds a broker (tools/kafka.sh stop --dir $DIR)"
  fi
  [ -n "$PORT" ] || PORT=$(free_port)
  CONTROLLER_PORT=""
  local zk_own=0 t0=$SECONDS
  if [ "$MODE" = kraft ]; then
    CONTROLLER_PORT=$(free_port)
  elif [ -z "$ZK" ]; then
    zk_start "$DIR"
    ZK=$HOST:$ZK_PORT
    zk_own=1
  fi
  cat >"$DIR/kafka.env" <<EOF
MODE=$MODE
PORT=$PORT
HOST=$HOST
CONTROLLER_PORT=$CONTROLLER_PORT
ZK=$ZK
ZK_OWN=$zk_own
PARTITIONS=$PARTITIONS
OWNED=$owned
EOF
  write_config "$DIR"
  if [ "$MODE" = kraft ]; then
    # a random cluster id (16 bytes, URL-safe base64) - one in 64 of them starts with '-',
    # which the storage tool took for an option when written "-t ID": hence --cluster-id=ID
    # (SLUICE_KAFKA_CLUSTER_ID sets it; tests/tools/test_bench_latency.sh gives a '-' one)
    local id=${SLUICE_KAFKA_CLUSTER_ID:-}
    [ -n "$id" ] || id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    cds_opts
    (kafka_java "$DIR" kafka.tools.StorageTool format --cluster-id="$id" \
      -c "$DIR/server.properties") \
      </dev/null >"$DIR/format.log" 2>&1 ||
      { log_tail "$DIR/format.log"; die "formatting the KRaft storage failed (log: $DIR/format.log)"; }
  fi
  [ -n "$OWNER" ] && watch_owner "$DIR" "$OWNER"
  broker_spawn "$DIR"
  log "Kafka $KAFKA_VERSION ($MODE) up in $((SECONDS - t0)) s at $HOST:$PORT${ZK:+, ZooKeeper $ZK}"
  echo "KAFKA_DIR=$DIR"
  echo "BOOTSTRAP=$HOST:$PORT"
  [ "$zk_own" = 1 ] && echo "ZOOKEEPER=$ZK"
  return 0
}

load_env() {
  DIR=${1:-${KAFKA_DIR:-}}
  HOST=127.0.0.1 # a kafka.env written before --host existed names none
  [ -n "$DIR" ] || die "--dir D is needed (or KAFKA_DIR in the environment)"
  [ -f "$DIR/kafka.env" ] || die "$DIR holds no broker started by tools/kafka.sh"
  # shellcheck disable=SC1091
  . "$DIR/kafka.env"
}

parse_dir() {
  DIR_ARG=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) DIR_ARG=${2:?--dir needs a directory}; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown argument '$1' (--help)" ;;
    esac
    shift
  done
}

cmd_stop() {
  parse_dir "$@"
  load_env "$DIR_ARG"
  end_pid "$(cat "$DIR/broker.pid" 2>/dev/null)" 30
  cds_collect "$DIR"
  [ "$ZK_OWN" = 1 ] && end_pid "$(cat "$DIR/zookeeper.pid" 2>/dev/null)" 5
  local watcher
  watcher=$(cat "$DIR/watcher.pid" 2>/dev/null || true)
  rm -f "$DIR/kafka.env"
  [ -n "$watcher" ] && [ "$watcher" != "${BASHPID:-$$}" ] && kill "$watcher" 2>/dev/null || true
  if [ "$OWNED" = 1 ]; then
    rm -rf "$DIR"
  else
    rm -rf "$DIR/data" "$DIR/zk" "$DIR"/*.pid "$DIR/server.properties" "$DIR/log4j.properties"
  fi
}

cmd_down() {
  parse_dir "$@"
  load_env "$DIR_ARG"
  end_pid "$(cat "$DIR/broker.pid" 2>/dev/null)" 30
  cds_collect "$DIR"
  rm -f "$DIR/broker.pid"
}

cmd_up() {
  parse_dir "$@"
  load_env "$DIR_ARG"
  alive "$(cat "$DIR/broker.pid" 2>/dev/null)" && die "up: the broker in $DIR runs already"
  broker_spawn "$DIR"
  echo "BOOTSTRAP=$HOST:$PORT"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  down) shift; cmd_down "$@" ;;
  up) shift; cmd_up "$@" ;;
  fetch) sl_fetch; echo "KAFKA_HOME=$KAFKA_HOME" ;;
  groups)
    shift
    sl_fetch
    cds_opts
    exec "$SL_JAVA" -Xmx256m -XX:TieredStopAtLevel=1 "${CDS_OPTS[@]}" -cp "$(kafka_cp)" \
      org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@" ;;
  topics)
    shift
    sl_fetch
    cds_opts
    exec "$SL_JAVA" -Xmx256m -XX:TieredStopAtLevel=1 "${CDS_OPTS[@]}" -cp "$(kafka_cp)" \
      org.apache.kafka.tools.TopicCommand "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# bench/cluster_eos.sh - what exactly-once into Kafka costs a job over several processes
# (issue #15; docs/cluster.md, "Exactly-once into Kafka over several processes"): the rows
# of an exactly-once table travel to one writer, the leader's first worker, whose process
# holds the job's transaction (engine/ops/op_txsink.h). On a real Apache Kafka broker
# (tools/kafka.sh, with its ZooKeeper for the commits and the assignment):
#
#   bench/cluster_eos.sh [--bin SLUICE] [--events N] [--reps R] [--query q1|tumble]
#                        [--out DIR] [--help]
#
# Defaults: build/release/sluice, 1 000 000 events, 3 reps, q1. Three configurations of the
# same job (W = 2 workers, checkpoints every second in ZooKeeper, the Nexmark generator,
# unpaced, into one Kafka table of CSV values):
#   1x2 eos   one process of 2 workers, 'exactly-once': its workers write into the shared
#             transaction directly;
#   2x1 alo   2 processes of 1 worker (`--cluster auto`), 'at-least-once': each process
#             writes its own rows (no gathering: the baseline of the hop's cost);
#   2x1 eos   2 processes of 1 worker, 'exactly-once': the member's rows cross the channel
#             (a Kafka topic) to the leader's worker, which writes them.
#   q1      every bid is a row of the table (Nexmark q1): the worst case, half the rows cross;
#   tumble  COUNT, MAX per auction and 2 s window: a few rows per window cross.
# Each line: the medians over the reps of the wall time (from the launch to the last exit,
# the generation's set-up included), the sluice processes' CPU seconds (user + system,
# /usr/bin/time), the broker's CPU seconds over the run (/proc, the JVM's threads), the rows
# written (read back with kcat, read_committed), events per sluice CPU second and per
# sluice + broker CPU second. Both processes of a 2x1 run share this machine's cores with
# each other and with the broker, so wall times say little; CPU seconds do.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/release/sluice
events=1000000
reps=3
query=q1
out=
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --query) query=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/cluster_eos.sh: unknown option '$1' (--help lists them)" >&2; exit 2 ;;
  esac
done
case $query in q1|tumble) ;; *) echo "bench/cluster_eos.sh: --query q1|tumble" >&2; exit 2 ;; esac
[ -x "$bin" ] || { echo "bench/cluster_eos.sh: no sluice binary at $bin (--bin)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench/cluster_eos.sh: /usr/bin/time is missing" >&2; exit 2; }
command -v kcat > /dev/null || { echo "bench/cluster_eos.sh: no kcat" >&2; exit 2; }
if [ -n "$out" ]; then mkdir -p "$out"; tmp=$out; keep=1; else tmp=$(mktemp -d); keep=0; fi
kdir=
cleanup() {
  [ -n "$kdir" ] && "$root/tools/kafka.sh" stop --dir "$kdir" > /dev/null 2>&1
  [ "$keep" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
eval "$("$root/tools/kafka.sh" start --partitions 2 --owner $$)"
kdir=$KAFKA_DIR
bs=$BOOTSTRAP
zk=127.0.0.1:$(sed -n 's/^clientPort=//p' "$kdir/zk/zoo.cfg")/sluice-bench
bpid=$(cat "$kdir/broker.pid")
tck=$(getconf CLK_TCK)
cpu_of() { cut -d')' -f2- "/proc/$1/stat" 2> /dev/null | awk -v t="$tck" '{print ($12 + $13) / t}' || echo 0; }
ex=$root/docs/examples/nexmark
cat > "$tmp/set.sql" << 'SQL'
SET 'jobmanager.adaptive-scheduler.resource-stabilization-timeout' = '100 ms';
SQL
if [ "$query" = q1 ]; then
  cat > "$tmp/q.sql" << 'SQL'
CREATE TABLE out_t (auction BIGINT, bidder BIGINT, price DECIMAL(23, 3), `dateTime` TIMESTAMP(3),
  extra VARCHAR) WITH ('connector' = 'kafka', 'topic' = '${OUT_TOPIC}',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}', 'sink.partitioner' = 'round-robin',
  'sink.delivery-guarantee' = '${GUARANTEE}', 'sink.transactional-id-prefix' = '${OUT_TOPIC}',
  'format' = 'csv');
INSERT INTO out_t SELECT auction, bidder, 0.908 * price, `dateTime`, extra FROM bid;
SQL
else
  cat > "$tmp/q.sql" << 'SQL'
CREATE TABLE out_t (auction BIGINT, window_start TIMESTAMP(3), bids BIGINT, top_price BIGINT)
  WITH ('connector' = 'kafka', 'topic' = '${OUT_TOPIC}',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}', 'sink.partitioner' = 'round-robin',
  'sink.delivery-guarantee' = '${GUARANTEE}', 'sink.transactional-id-prefix' = '${OUT_TOPIC}',
  'format' = 'csv');
INSERT INTO out_t SELECT auction, window_start, COUNT(*), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND))
GROUP BY auction, window_start, window_end;
SQL
fi
sql=("$ex/ddl_gen.sql" "$ex/ddl_views.sql" "$tmp/set.sql" "$tmp/q.sql" --set TPS=100000000
     --set EVENTS_NUM="$events" --set PERSON_PROPORTION=1 --set AUCTION_PROPORTION=3
     --set BID_PROPORTION=46 --set NEXMARK_TABLE=datagen --set BOOTSTRAP_SERVERS="$bs")

# run NAME P GUARANTEE REP -> "wall cpu broker rows" on stdout
run() {
  local name=$1 P=$2 g=$3 rep=$4 i pids=() job=$1-$4
  local d=$tmp/$job
  mkdir -p "$d"
  local b0 t0 t1 b1
  b0=$(cpu_of "$bpid")
  t0=$(date +%s.%N)
  for ((i = 0; i < P; i++)); do
    local cmd=("$bin" run "${sql[@]}" --set OUT_TOPIC="out-$job" --set GUARANTEE="$g"
               --workers $((2 / P)) --zk "$zk" --job "$job" --state-dir "$d/state"
               --checkpoint-interval 1000 --quiet)
    [ "$P" -gt 1 ] && cmd+=(--cluster auto --cluster-brokers "$bs" --cluster-min-members "$P")
    /usr/bin/time -f '%U %S' -o "$d/p$i.time" timeout 600 "${cmd[@]}" > /dev/null 2> "$d/p$i.err" &
    pids+=($!)
    [ "$i" = 0 ] && [ "$P" -gt 1 ] && { # the first process leads (and writes)
      for _ in $(seq 1 100); do grep -q "this process leads" "$d/p0.err" 2> /dev/null && break; sleep 0.1; done
    }
  done
  for ((i = 0; i < P; i++)); do
    wait "${pids[$i]}" || { echo "bench/cluster_eos.sh: $job process $i failed:" >&2; tail -5 "$d/p$i.err" >&2; exit 1; }
  done
  t1=$(date +%s.%N)
  b1=$(cpu_of "$bpid")
  local rows
  rows=$(kcat -b "$bs" -C -t "out-$job" -o beginning -e -q -X isolation.level=read_committed \
           -f '\n' 2> /dev/null | wc -l)
  echo "$(echo "$t1 - $t0" | bc) $(cat "$d"/p*.time | awk '{s += $1 + $2} END {print s}') \
$(echo "$b1 - $b0" | bc) $rows"
}
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
printf '%-8s %8s %9s %10s %9s %14s %16s\n' config "wall s" "sluice s" "broker s" rows \
  "events/CPU s" "+broker CPU s"
for c in "1x2 1 exactly-once" "2x1-alo 2 at-least-once" "2x1-eos 2 exactly-once"; do
  set -- $c
  run "warm-$1" "$2" "$3" 0 > /dev/null # the broker's JIT, the topics' first leaders
  : > "$tmp/$1.runs"
  for ((r = 1; r <= reps; r++)); do run "$1" "$2" "$3" "$r" >> "$tmp/$1.runs"; done
  w=$(awk '{print $1}' "$tmp/$1.runs" | median)
  s=$(awk '{print $2}' "$tmp/$1.runs" | median)
  b=$(awk '{print $3}' "$tmp/$1.runs" | median)
  n=$(awk '{print $4}' "$tmp/$1.runs" | median)
  printf '%-8s %8.2f %9.2f %10.2f %9d %14.0f %16.0f\n' "$1" "$w" "$s" "$b" "$n" \
    "$(echo "$events / $s" | bc -l)" "$(echo "$events / ($s + $b)" | bc -l)"
done

#!/usr/bin/env bash
# tests/sql/test_kafka_broker.sh - `sluice run` against a real Apache Kafka broker in KRaft
# mode (tools/kafka.sh; tests/io/test_kafka_broker.c covers ZooKeeper mode), with the broker
# stopped and started again under the running job - deterministically:
#
#   1. the first N1 of N Nexmark events go into an auto-created topic (`sluice gen`, round
#      robin over 4 partitions: N1/4 records each);
#   2. an exactly-once job (ckpt_kafka_bounded.sql with 'scan.bounded.mode' =
#      'specific-offsets' at N/4 on every partition, q1 into files, checkpoints every 20 ms,
#      2 workers) starts: it cannot finish before the other N - N1 events exist;
#   3. once its committed output holds every q1 row of the first N1 events (polled), the
#      broker is stopped (`kafka.sh down`) while the job still runs, and started again (`up`);
#   4. the other N - N1 events are produced; the job reads up to its end offsets and ends.
#
# The job either rides through the outage or fails with an error; the same command is then
# run again until the job completes (it resumes from its last checkpoint). The visible
# output must be exactly reference.py's q1 rows of all N events: nothing lost, nothing
# twice. Without a broker the test FAILS (it does not skip).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
kdir=
run=
cleanup() {
  [ -n "$run" ] && kill "$run" 2> /dev/null
  [ -n "$kdir" ] && "$src/tools/kafka.sh" stop --dir "$kdir" > /dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

out=$("$src/tools/kafka.sh" start --kraft --partitions 4 --owner $$) ||
  { echo "FAIL: no Kafka broker (tools/kafka.sh start --kraft failed: see above)"; exit 1; }
eval "$out"
kdir=$KAFKA_DIR
bs=$BOOTSTRAP

parts=4
events=100000
first=60000 # both multiples of $parts: each gen run's round robin starts at partition 0
base=1700000000000
gen() { "$bin" gen nexmark --base-time $base --rate 1000 "$@"; }
gen --events $first --topic nexmark --brokers "$bs" --property log_level=3 ||
  { echo "FAIL: sluice gen to Kafka"; exit 1; }
gen --events $events --out "$tmp/events.json" || exit 1
sl_reference q1 "$tmp/events.json" > "$tmp/want"
head -n $first "$tmp/events.json" > "$tmp/first.json"
want1=$(sl_reference q1 "$tmp/first.json" | wc -l)

ends=
for ((p = 0; p < parts; p++)); do ends="${ends}partition:$p,offset:$((events / parts));"; done
sed "s/'scan.bounded.mode' = 'latest-offset'/'scan.bounded.mode' = 'specific-offsets', 'scan.bounded.specific-offsets' = '$ends'/" \
  "$here/ckpt_kafka_bounded.sql" > "$tmp/table.sql"
grep -q "'specific-offsets'" "$tmp/table.sql" || { echo "FAIL: ckpt_kafka_bounded.sql changed"; exit 1; }

krun() {
  timeout -k 5 300 "$bin" run "$tmp/table.sql" "$ex/ddl_views.sql" "$here/q1_fs.sql" \
      --set BOOTSTRAP_SERVERS="$bs" --set TOPIC=nexmark --set NEXMARK_TABLE=kafka --quiet \
      --workers 2 --checkpoint-interval 20 --set OUT="$tmp/out" --state-dir "$tmp/state" --job j
}
rows() { cat "$tmp/out"/part-* 2> /dev/null | wc -l; }

krun > "$tmp/log" 2>&1 &
run=$!
# The job's committed output reaches the first part's rows, and then waits for the rest.
for ((i = 0; i < 1200; i++)); do
  [ "$(rows)" -ge "$want1" ] && break
  kill -0 $run 2> /dev/null || break
  sleep 0.1
done
got1=$(rows)
if kill -0 $run 2> /dev/null && [ "$got1" -eq "$want1" ]; then
  echo "ok   the job committed the first $first events' $got1 rows and waits for the rest"
else
  bad "before the outage: $got1 rows committed (want $want1), job running: $(kill -0 $run 2> /dev/null && echo yes || echo no)"
  tail -20 "$tmp/log"
  exit 1
fi
"$src/tools/kafka.sh" down --dir "$kdir" || bad "kafka.sh down"
kill -0 $run 2> /dev/null || echo "note: the job ended while the broker was down (it resumes below)"
"$src/tools/kafka.sh" up --dir "$kdir" > /dev/null || bad "kafka.sh up"
gen --start $first --events $((events - first)) --topic nexmark --brokers "$bs" \
  --property log_level=3 || bad "sluice gen of the rest after the restart"
wait $run
rc=$?
run=
echo "the run across the restart exited $rc: $(grep -v '^%' "$tmp/log" | tail -1)"
runs=1
while [ $rc -ne 0 ] && [ $runs -lt 5 ]; do
  if [ $rc -eq 3 ] && tail -1 "$tmp/log" | grep -q "already finished"; then break; fi
  krun >> "$tmp/log" 2>&1
  rc=$?
  runs=$((runs + 1))
  echo "resumed run $runs exited $rc"
done
[ $rc -eq 0 ] || [ $rc -eq 3 ] || { bad "the job did not complete in 5 runs"; tail -20 "$tmp/log"; }
cat "$tmp/out"/part-* 2>/dev/null | LC_ALL=C sort > "$tmp/got"
if [ -s "$tmp/want" ] && cmp -s "$tmp/got" "$tmp/want"; then
  echo "ok   q1 across a broker restart: $(wc -l < "$tmp/got") rows exactly once ($runs runs)"
else
  bad "q1 across a broker restart: $(wc -l < "$tmp/got") rows, want $(wc -l < "$tmp/want")"
  diff "$tmp/got" "$tmp/want" | head -6
  tail -20 "$tmp/log"
fi
exit $fail

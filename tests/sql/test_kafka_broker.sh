#!/usr/bin/env bash
# tests/sql/test_kafka_broker.sh - `sluice run` against a real Apache Kafka broker in KRaft
# mode (tools/kafka.sh; tests/io/test_kafka_broker.c covers ZooKeeper mode): the Nexmark
# events go into an auto-created topic (`sluice gen`), then an exactly-once job
# (ckpt_kafka_bounded.sql, q1 into files, checkpoints every 20 ms, 2 workers) reads them
# while the broker is stopped and started again under it. The job either rides through or
# fails with an error; the same command is then run again until the job completes (it
# resumes from its last checkpoint). The visible output must be exactly reference.py's q1
# rows: nothing lost, nothing twice. Without a broker the test FAILS (it does not skip).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
kdir=
cleanup() {
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

events=100000
base=1700000000000
"$bin" gen nexmark --events $events --base-time $base --rate 1000 --topic nexmark \
    --brokers "$bs" || { echo "FAIL: sluice gen to Kafka"; exit 1; }
"$bin" gen nexmark --events $events --base-time $base --rate 1000 --out "$tmp/events.json" || exit 1
python3 "$here/reference.py" q1 "$tmp/events.json" | LC_ALL=C sort > "$tmp/want"

krun() {
  timeout -k 5 120 "$bin" run "$here/ckpt_kafka_bounded.sql" "$ex/ddl_views.sql" "$here/q1_fs.sql" \
      --set BOOTSTRAP_SERVERS="$bs" --set TOPIC=nexmark --set NEXMARK_TABLE=kafka --quiet \
      --workers 2 --checkpoint-interval 20 --set OUT="$tmp/out" --state-dir "$tmp/state" --job j
}

krun > "$tmp/log" 2>&1 &
run=$!
sleep 0.5
kill -0 $run 2> /dev/null ||
  echo "note: the run ended before the broker stopped (a fast build): the restart was not under it"
"$src/tools/kafka.sh" down --dir "$kdir" || bad "kafka.sh down"
sleep 3
"$src/tools/kafka.sh" up --dir "$kdir" > /dev/null || bad "kafka.sh up"
wait $run
rc=$?
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

#!/usr/bin/env bash
# tests/sql/test_kafka_topics.sh - several topics in one Kafka table, 'topic-pattern' and
# partition discovery ('scan.topic-partition-discovery.interval'), against a real Apache Kafka
# broker (tools/kafka.sh, KRaft) with Kafka's own topics tool (`kafka.sh topics`) and kcat:
#
#   A. 'topic' = 'tl-a;tl-b', bounded: every record of both topics exactly once, each row with
#      its own record's 'topic', 'partition' and 'offset' metadata;
#   B. 'topic-pattern' = 'tp-[0-9]+' with discovery every 300 ms and checkpoints every 100 ms
#      into files: a topic created while the job runs (tp-2) and partitions added with
#      `kafka-topics --alter` (tp-1: 2 -> 4) are read from their first record; the job is
#      killed (SIGKILL), and while it is down records go to an existing new partition, a new
#      topic (tp-3) appears and tp-2 grows to 3 partitions; the job restarts with
#      'scan.startup.mode' = 'latest-offset' - which must not matter: every partition the
#      checkpoint lists resumes at its offset, every one that appeared since starts from its
#      first record. The visible output must hold every record exactly once;
#   C. errors: the checkpoint of B restored into a table that reads only tp-1 (the checkpoint
#      names tp-2 and tp-3); a pattern that matches nothing with discovery off.
#
# Without a broker the test FAILS (it does not skip).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
tmp=$(mktemp -d)
kdir=
run=
cleanup() {
  [ -n "$run" ] && kill -KILL "$run" 2> /dev/null
  [ -n "$kdir" ] && "$src/tools/kafka.sh" stop --dir "$kdir" > /dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
command -v kcat > /dev/null || { echo "FAIL: no kcat"; exit 1; }

out=$("$src/tools/kafka.sh" start --kraft --partitions 2 --owner $$) ||
  { echo "FAIL: no Kafka broker (tools/kafka.sh start --kraft failed: see above)"; exit 1; }
eval "$out"
kdir=$KAFKA_DIR
bs=$BOOTSTRAP

topics() { "$src/tools/kafka.sh" topics --bootstrap-server "$bs" "$@" > /dev/null 2>> "$tmp/topics.log"; }
# prod TOPIC PARTITION FIRST N: values TOPIC/PARTITION/I for I in FIRST..FIRST+N-1, also
# added to $tmp/want as "value,topic,partition,offset" (offset = I: each partition is
# written in order, from 0, by this script only)
prod() {
  local t=$1 p=$2 first=$3 n=$4 i
  for ((i = first; i < first + n; i++)); do echo "{\"v\":\"$t/$p/$i\"}"; done |
    kcat -P -b "$bs" -t "$t" -p "$p" || { echo "FAIL: kcat -P $t [$p]"; exit 1; }
  for ((i = first; i < first + n; i++)); do echo "$t/$p/$i,$t,$p,$i"; done >> "$tmp/want"
}
rows() { cat "$tmp/out"/part-* 2> /dev/null | wc -l; }
# waits (a guard of 120 s, not a measurement) until the committed output holds $1 rows
wait_rows() {
  local i
  for ((i = 0; i < 1200; i++)); do
    [ "$(rows)" -ge "$1" ] && return 0
    [ -n "$run" ] && ! kill -0 "$run" 2> /dev/null && break
    sleep 0.1
  done
  return 1
}
table() { # table NAME WHAT EXTRA: the source table (json, with metadata columns) and the sink
  cat << EOF
CREATE TABLE src (v STRING, t STRING METADATA FROM 'topic' VIRTUAL,
  p INT METADATA FROM 'partition' VIRTUAL, o BIGINT METADATA FROM 'offset' VIRTUAL)
WITH ('connector' = 'kafka', $1, 'format' = 'json',
  'properties.bootstrap.servers' = '$bs'$2);
CREATE TABLE out (v STRING, t STRING, p INT, o BIGINT)
WITH ('connector' = 'filesystem', 'path' = '$tmp/out', 'format' = 'csv');
INSERT INTO out SELECT v, t, p, o FROM src;
EOF
}
same() { # same WHAT: the output is exactly $tmp/want (as sets, and no row twice)
  LC_ALL=C sort "$tmp/want" > "$tmp/want.s"
  cat "$tmp/out"/part-* 2> /dev/null | LC_ALL=C sort > "$tmp/got.s"
  local dups
  dups=$(uniq -d "$tmp/got.s" | wc -l)
  if cmp -s "$tmp/want.s" "$tmp/got.s"; then
    echo "ok   $1: $(wc -l < "$tmp/got.s") rows, every record exactly once"
  else
    bad "$1: $(wc -l < "$tmp/got.s") rows, want $(wc -l < "$tmp/want.s"), $dups twice;" \
      "missing: $(comm -23 "$tmp/want.s" "$tmp/got.s" | head -5 | tr '\n' ' ')" \
      "extra: $(comm -13 "$tmp/want.s" "$tmp/got.s" | head -5 | tr '\n' ' ')"
  fi
}

# ---- A: a list of topics ---------------------------------------------------------------------
topics --create --topic tl-a --partitions 2 || { echo "FAIL: kafka-topics --create"; cat "$tmp/topics.log"; exit 1; }
topics --create --topic tl-b --partitions 3 || exit 1
: > "$tmp/want"
for p in 0 1; do prod tl-a $p 0 15; done
for p in 0 1 2; do prod tl-b $p 0 10; done
table "'topic' = 'tl-a;tl-b'" ", 'scan.bounded.mode' = 'latest-offset'" > "$tmp/a.sql"
timeout -k 5 120 "$bin" run "$tmp/a.sql" --workers 2 --quiet > "$tmp/a.log" 2>&1 ||
  { bad "A: the bounded run of two topics failed"; cat "$tmp/a.log"; }
same "A: 'topic' = 'tl-a;tl-b' (2 + 3 partitions, 2 workers)"
rm -rf "$tmp/out"

# ---- B: a pattern, discovery, kill and restore -----------------------------------------------
: > "$tmp/want"
topics --create --topic tp-1 --partitions 2 || exit 1
topics --create --topic other-1 --partitions 1 || exit 1 # not matched: never read
echo '{"v":"other"}' | kcat -P -b "$bs" -t other-1 -p 0
for p in 0 1; do prod tp-1 $p 0 10; done
disc=", 'scan.topic-partition-discovery.interval' = '300 ms'"
table "'topic-pattern' = 'tp-[0-9]+'" "$disc" > "$tmp/b.sql"
brun() { # in the background, not under timeout: $run is sluice itself, for kill -KILL
  "$bin" run "$1" --workers 2 --checkpoint-interval 100 --state-dir "$tmp/state" --job topics \
    --quiet >> "$tmp/b.log" 2>&1 &
  run=$!
}
brun "$tmp/b.sql"
wait_rows 20 || bad "B: the job did not read tp-1's 20 records ($(rows) rows)"
topics --create --topic tp-2 --partitions 2 || exit 1
for p in 0 1; do prod tp-2 $p 0 10; done
wait_rows 40 && echo "ok   B: topic tp-2, created while the job runs, read from its first record" ||
  bad "B: tp-2 (created while running) not read: $(rows) rows, want 40"
topics --alter --topic tp-1 --partitions 4 || { bad "B: kafka-topics --alter"; cat "$tmp/topics.log"; }
for p in 2 3; do prod tp-1 $p 0 10; done
wait_rows 60 && echo "ok   B: partitions 2 and 3 added to tp-1 with --alter, read from their first record" ||
  bad "B: tp-1's new partitions not read: $(rows) rows, want 60"
kill -KILL "$run"
wait "$run" 2> /dev/null
run=
# while the job is down: more records in a known partition, a new topic, a new partition
prod tp-1 3 10 10
topics --create --topic tp-3 --partitions 2 || exit 1
for p in 0 1; do prod tp-3 $p 0 10; done
topics --alter --topic tp-2 --partitions 3 || exit 1
prod tp-2 2 0 10
sed "s/'format' = 'json',/'format' = 'json', 'scan.startup.mode' = 'latest-offset',/" \
  "$tmp/b.sql" > "$tmp/b2.sql"
brun "$tmp/b2.sql"
wait_rows 100 || bad "B: after the restart: $(rows) rows, want 100"
prod tp-3 0 10 5 # and one more while it runs again
wait_rows 105 || bad "B: after the restart: $(rows) rows, want 105"
kill -KILL "$run"
wait "$run" 2> /dev/null
run=
same "B: 'topic-pattern' with discovery, killed and restored"
grep -q "other" "$tmp/out"/part-* 2> /dev/null && bad "B: topic other-1 (not matched) was read"

# ---- C: errors -------------------------------------------------------------------------------
table "'topic' = 'tp-1'" "$disc" > "$tmp/c.sql"
timeout -k 5 120 "$bin" run "$tmp/c.sql" --workers 2 --checkpoint-interval 100 \
  --state-dir "$tmp/state" --job topics --quiet > "$tmp/c.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "the checkpoint read topic 'tp-[23]', which the table does not read now (it reads 'topic' = 'tp-1')" "$tmp/c.log"; then
  echo "ok   C: a checkpoint naming topics the table no longer reads is refused, naming them"
else
  bad "C: restoring into a table of tp-1 only: exit $rc"
  cat "$tmp/c.log"
fi
table "'topic-pattern' = 'zz-.*'" ", 'scan.topic-partition-discovery.interval' = '0'" > "$tmp/d.sql"
timeout -k 5 120 "$bin" run "$tmp/d.sql" --quiet > "$tmp/d.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "topic-pattern 'zz-.\*' matches no topic, and with discovery off" "$tmp/d.log"; then
  echo "ok   C: a pattern that matches nothing, discovery off: an error"
else
  bad "C: a pattern matching nothing with discovery off: exit $rc"
  cat "$tmp/d.log"
fi
[ $fail -eq 0 ] || { echo "--- run log"; tail -30 "$tmp/b.log"; }
exit $fail

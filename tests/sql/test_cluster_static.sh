#!/usr/bin/env bash
# tests/sql/test_cluster_static.sh - one job over several processes, static mode
# (docs/cluster.md, docs/scaling.md): `sluice run --workers n --cluster W:LO` runs the global
# workers [LO, LO + n) of a job of W; messages to another process's workers go through the
# Kafka channel (io/kafka_chan.h), here on one `sluice kafka-mock`, which creates each case's
# channel topic with W partitions (--topic NAME:W). Every case starts the processes, waits
# for all of them to end, and compares the union of their outputs with one process at
# --workers W:
#   - the Nexmark generator (each process generates its workers' splits of W) through
#     (a) a TUMBLE window aggregation, (b) a regular join (q3) - both into one filesystem
#     folder that the processes share (part files named by the global worker) - and (c) an
#     unbounded GROUP BY printed as a changelog (final state, changelog.py); W = 4 as 2 + 2;
#   - a bounded Kafka source of 4 partitions (q1, no exchange: each process reads only its
#     workers' partitions, so the union has every row once; and the TUMBLE aggregation);
#   - an uneven split: W = 3 as 2 + 1;
#   - DATA messages in fragments (SLUICE_CHANNEL_FRAGMENT=32, the join case: small enough
#     that a message of one row is cut too, as in the batch-capacity-2 build);
#   - the refusals: --cluster with a checkpoint directory but no ZooKeeper (checkpoints over
#     several processes: test_cluster_ckpt.sh), and workers beyond W.
# Each exchanging case also checks that messages crossed the channel (the run's summary).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
. "$src/tests/sql/mock.sh" # $tmp, sl_mock_start
events=${CLUSTER_EVENTS:-20000}
base=1700000000000
fail=0

sl_mock_start --topic nexmark:4 --topic c-tumble:4 --topic c-join:4 --topic c-group:4 \
    --topic c-kq1:4 --topic c-ktumble:4 --topic c-uneven:3
"$bin" gen nexmark --events $events --base-time $base --rate 1000 --topic nexmark \
    --brokers "$bs" || { echo "FAIL: sluice gen to Kafka"; exit 1; }

gen=("$here/nexmark_gen.sql" "$ex/ddl_views.sql")
genset=(--set TPS=10000000 --set EVENTS_NUM=$events --set BASE_TIME=$base
        --set NEXMARK_TABLE=datagen)
kafka=("$here/ckpt_kafka_bounded.sql" "$ex/ddl_views.sql")
kafkaset=(--set TOPIC=nexmark --set BOOTSTRAP_SERVERS="$bs" --set NEXMARK_TABLE=kafka)

# The rows of a case's output: a filesystem folder (rows.py) or printed changelogs (their
# final state). $1 kind (fs|print:IDENT), $2 folder, $3... stdout files
rows() {
  local kind=$1 dir=$2
  shift 2
  case $kind in
    fs) python3 "$here/rows.py" "$dir" ;;
    print:*) cat "$@" | python3 "$here/changelog.py" --ident "${kind#print:}" /dev/stdin ;;
  esac
}

# case NAME KIND TOPIC W "n0 n1 ..." sluice-run arguments...
case_run() {
  local name=$1 kind=$2 topic=$3 W=$4 split=$5
  shift 5
  local d=$tmp/$name
  mkdir -p "$d"
  # one process of W workers
  if ! timeout 120 "$bin" run "$@" --workers "$W" --set OUT="$d/one" > "$d/one.out" \
       2> "$d/one.err"; then
    echo "FAIL $name: the single process failed"; cat "$d/one.err"; fail=1; return
  fi
  # the processes of the cluster, all at once, writing one folder
  local lo=0 i=0 pids=() outs=()
  for n in $split; do
    timeout 120 "$bin" run "$@" --workers "$n" --cluster "$W:$lo" --cluster-brokers "$bs" \
        --cluster-topic "$topic" --set OUT="$d/many" > "$d/p$i.out" 2> "$d/p$i.err" &
    pids+=($!)
    outs+=("$d/p$i.out")
    lo=$((lo + n))
    i=$((i + 1))
  done
  local k=0 bad=0
  for p in "${pids[@]}"; do
    if ! wait "$p"; then
      echo "FAIL $name: process $k (of $split) failed"; cat "$d/p$k.err"; bad=1
    fi
    k=$((k + 1))
  done
  [ $bad = 0 ] || { fail=1; return; }
  rows "$kind" "$d/one" "$d/one.out" > "$d/want" || { echo "FAIL $name: rows (one)"; fail=1; return; }
  rows "$kind" "$d/many" "${outs[@]}" > "$d/got" || { echo "FAIL $name: rows (many)"; fail=1; return; }
  local sent
  sent=$(cat "$d"/p*.err | sed -n 's/.*channel: \([0-9]*\) messages sent.*/\1/p' |
         awk '{s += $1} END {print s + 0}')
  if [ ! -s "$d/want" ]; then
    echo "FAIL $name: no rows at all"; fail=1
  elif ! cmp -s "$d/want" "$d/got"; then
    echo "FAIL $name: W=$W as $split: $(wc -l < "$d/got") rows, want $(wc -l < "$d/want")"
    diff "$d/want" "$d/got" | head -5
    cat "$d"/p*.err
    fail=1
  elif [ "${NO_EXCHANGE:-0}" = 0 ] && [ "$sent" -eq 0 ]; then
    echo "FAIL $name: equal rows, but nothing crossed the channel"; cat "$d"/p*.err; fail=1
  elif [ -n "${SLUICE_CHANNEL_FRAGMENT:-}" ] &&
       ! grep -q "[1-9][0-9]* messages in fragments" "$d"/p*.err; then
    echo "FAIL $name: equal rows, but no message crossed in fragments"; cat "$d"/p*.err; fail=1
  else
    echo "ok   $name: W=$W as $split: $(wc -l < "$d/got") rows equal, $sent channel messages"
  fi
}

case_run tumble fs c-tumble 4 "2 2" "${gen[@]}" "$here/cluster_tumble_fs.sql" "${genset[@]}"
# the join's messages cut into channel records of 32 bytes (at batch capacity 2 a message
# holds one or two rows: 200 bytes cut none of them): fragments put together again
SLUICE_CHANNEL_FRAGMENT=32 case_run join fs c-join 4 "2 2" "${gen[@]}" "$here/q3_fs.sql" \
    "${genset[@]}"
case_run group print:cluster_group c-group 4 "2 2" "${gen[@]}" "$here/cluster_group_print.sql" \
    "${genset[@]}"
NO_EXCHANGE=1 case_run kafka-q1 fs c-kq1 4 "2 2" "${kafka[@]}" "$here/q1_fs.sql" "${kafkaset[@]}"
case_run kafka-tumble fs c-ktumble 4 "2 2" "${kafka[@]}" "$here/cluster_tumble_fs.sql" \
    "${kafkaset[@]}"
case_run uneven fs c-uneven 3 "2 1" "${gen[@]}" "$here/cluster_tumble_fs.sql" "${genset[@]}"

# refusals
refuse() { # name, expected text, sluice run arguments...
  local name=$1 want=$2
  shift 2
  "$bin" run "$@" > "$tmp/r.out" 2> "$tmp/r.err"
  local rc=$?
  if [ $rc = 2 ] && grep -qF -- "$want" "$tmp/r.err"; then
    echo "ok   refused: $name"
  else
    echo "FAIL refusal $name: exit $rc"; cat "$tmp/r.err"; fail=1
  fi
}
refuse "--cluster with --state-dir but no --zk" \
    "checkpoints of a job over several processes need --zk" \
    "${gen[@]}" "$here/cluster_tumble_fs.sql" "${genset[@]}" --set OUT="$tmp/r" --workers 2 \
    --cluster 4:0 --cluster-brokers "$bs" --state-dir "$tmp/state"
refuse "LO + n > W" "are not within the job's 4" \
    "${gen[@]}" "$here/cluster_tumble_fs.sql" "${genset[@]}" --set OUT="$tmp/r" --workers 2 \
    --cluster 4:3 --cluster-brokers "$bs"
refuse "--cluster without brokers" "--cluster needs --cluster-brokers" \
    "${gen[@]}" "$here/cluster_tumble_fs.sql" "${genset[@]}" --set OUT="$tmp/r" --workers 2 \
    --cluster 4:0
exit $fail

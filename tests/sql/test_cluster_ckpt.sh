#!/usr/bin/env bash
# tests/sql/test_cluster_ckpt.sh - checkpoints of one job over several processes (issue #15;
# docs/cluster.md, docs/scaling.md "Cluster-wide epochs"): `sluice run --workers n
# --cluster W:LO --zk Z --job J --state-dir D`, the processes meeting in a real ZooKeeper
# (tests/coord/zkserver_run.c) and exchanging through `sluice kafka-mock` (which cannot
# create topics: each generation's channel topic "sluice-J-g<G>" is made at its start with W
# partitions). The job: the Nexmark generator (paced: a few seconds of input) through a TUMBLE
# window aggregation into one filesystem folder the processes share; W = 3 as 2 + 1, an
# epoch every 200 ms, ZooKeeper sessions of 2 s. Every case compares the folder's rows with
# one process at --workers 3 (no checkpoints), row for row:
#   (a) crash-free: equal rows, epochs committed by the leader with the 3 workers' files in
#       its manifests (and the member's files beside the leader's in the shared directory);
#   (b) the member killed (SIGKILL) after 2 committed epochs: the leader stops with an error
#       naming the member (within 30 s), both restarted run to the end: equal rows (nothing
#       twice, nothing lost across the crash), on the next generation's topic;
#   (c) the same with the leader killed: the member stops naming the leader;
#   (d) a crash at W = 3 (2 + 1), the restart at W = 2 (1 + 1): restores by rescaling;
#   (e) refusals: processes of different W (the one that meets the other's node stops,
#       naming both members and values);
#   (f) SIGINT on the leader: a final epoch over the cluster ("final 1", not finished),
#       both exit 0; both restarted run to the end: equal rows;
#   (g) an exactly-once Kafka late-data side output is refused (not built across
#       processes), naming it.
# It prints the time from each kill to the other process's error (the session timeout
# bounds it) and the epochs' p50 durations.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
build=${SLUICE_BUILD_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
. "$src/tests/sql/zkmock.sh" # $tmp, sl_mock_start, $zkaddr
zk=$zkaddr/sluice-cc
topics=()
for j in ca cb cc cd ce cf; do
  for g in 1 2 3; do topics+=(--topic "sluice-$j-g$g:3"); done
done
topics=("${topics[@]/sluice-cd-g2:3/sluice-cd-g2:2}") # (d) restarts at W = 2
sl_mock_start "${topics[@]}" --topic nexmark:4
fail=0
events=${CLUSTER_EVENTS:-12000}
base=1700000000000
echo "SET 'high-availability.zookeeper.client.session-timeout' = '2 s';" > "$tmp/zset.sql"
# paced: each process reads at most 1500 records/s (about 5 s of input: room for a kill
# after 2 epochs)
echo "SET 'sluice.source.datagen.scan.rate-limit' = '1500';" > "$tmp/paced.sql"
sql=("$here/nexmark_gen.sql" "$ex/ddl_views.sql" "$tmp/zset.sql" "$here/cluster_tumble_fs.sql"
     --set EVENTS_NUM=$events --set BASE_TIME=$base --set NEXMARK_TABLE=datagen --set TPS=10000)
paced=("$tmp/paced.sql")

# the reference: one process, 3 workers, no checkpoints
"$bin" run "${sql[@]}" --workers 3 --set OUT="$tmp/one" > /dev/null \
    2> "$tmp/one.err" || { echo "FAIL: the single process"; cat "$tmp/one.err"; exit 1; }
want=$tmp/want
python3 "$here/rows.py" "$tmp/one" > "$want"
[ -s "$want" ] || { echo "FAIL: no reference rows"; exit 1; }

# start JOB NAME W LO N [more run arguments]: one process in the background; its pid in $pid
start() {
  local job=$1 name=$2 W=$3 lo=$4 n=$5
  shift 5
  timeout 120 "$bin" run "$@" "${sql[@]}" --workers "$n" --cluster "$W:$lo" \
      --cluster-brokers "$bs" --zk "$zk" --job "$job" --state-dir "$tmp/state" \
      --checkpoint-interval 200 --set OUT="$tmp/$job.out" > /dev/null 2> "$tmp/$job-$name.err" &
  pid=$!
}
# same JOB CASE: the folder's rows equal the reference's
same() {
  python3 "$here/rows.py" "$tmp/$1.out" > "$tmp/$1.got"
  if cmp -s "$want" "$tmp/$1.got"; then
    return 0
  fi
  echo "FAIL $2: $(wc -l < "$tmp/$1.got") rows, want $(wc -l < "$want")"
  diff "$want" "$tmp/$1.got" | head -5
  cat "$tmp/$1"-*.err
  fail=1
  return 1
}
# run_to_end JOB CASE "W:LO:N ...": every process at once, all must exit 0
run_to_end() {
  local job=$1 name=$2 k=0 pids=()
  for spec in $3; do
    IFS=: read -r W lo n <<< "$spec"
    start "$job" "$name$k" "$W" "$lo" "$n" "${paced[@]}"
    pids+=($pid)
    k=$((k + 1))
  done
  local bad=0
  k=0
  for p in "${pids[@]}"; do
    wait "$p" || { echo "FAIL $name: process $k exited $?"; cat "$tmp/$job-$name$k.err"; bad=1; }
    k=$((k + 1))
  done
  [ $bad = 0 ] || fail=1
  return $bad
}
# kill_case JOB CASE VICTIM(0 leader-side process, 1 the other) "W:LO:N ..." (restart split)
kill_case() {
  local job=$1 name=$2 victim=$3 restart=$4
  start "$job" p0 3 0 2 "${paced[@]}"
  local p0=$pid
  sleep 0.3 # the first process takes the latch: it leads
  start "$job" p1 3 2 1 "${paced[@]}"
  local p1=$pid
  local t=0
  while [ "$(committed "$job")" -lt 2 ] && [ $t -lt 150 ]; do sleep 0.1; t=$((t + 1)); done
  if [ "$(committed "$job")" -lt 2 ]; then
    echo "FAIL $name: fewer than 2 epochs committed in 15 s"; cat "$tmp/$job"-p*.err; fail=1
    kill "$p0" "$p1" 2> /dev/null; wait "$p0" "$p1"; return
  fi
  local dead=$p1 other=$p0 oname=p0
  [ "$victim" = 0 ] && { dead=$p0; other=$p1; oname=p1; }
  local at
  at=$(now)
  kill -9 "$(pgrep -P "$dead")" # sluice itself, not its `timeout`
  wait "$dead" 2> /dev/null
  local rc=0
  wait "$other" || rc=$?
  local took
  took=$(echo "$(now) - $at" | bc)
  if [ $rc = 0 ] || [ $rc = 124 ]; then
    echo "FAIL $name: the surviving process exited $rc (want an error, not a hang)"
    cat "$tmp/$job-$oname.err"; fail=1; return
  fi
  if ! grep -q "is gone from ZooKeeper" "$tmp/$job-$oname.err"; then
    echo "FAIL $name: no error naming the dead process"; cat "$tmp/$job-$oname.err"; fail=1
    return
  fi
  local before
  before=$(committed "$job")
  printf 'ok   %s: killed after epoch %s; the other process stopped %.1f s later: %s\n' \
      "$name" "$before" "$took" "$(grep -o 'member m-[^ ]* (workers[^)]*)' "$tmp/$job-$oname.err" |
      head -1)"
  sleep 2.5 # the dead process's nodes expire with its session (2 s)
  run_to_end "$job" "$name-restart" "$restart" || return
  if ! grep -q "resuming from epoch" "$tmp/$job-$name-restart0.err"; then
    echo "FAIL $name: the restart did not resume"; cat "$tmp/$job-$name-restart0.err"; fail=1
    return
  fi
  same "$job" "$name" &&
    echo "ok   $name: restarted ($restart), resumed from epoch $before: $(wc -l < "$want") rows equal"
}

# (a) crash-free
start ca p0 3 0 2 "${paced[@]}"
a0=$pid
sleep 0.3
start ca p1 3 2 1 "${paced[@]}"
a1=$pid
ok=1
wait "$a0" || { echo "FAIL crash-free: p0 exited $?"; cat "$tmp/ca-p0.err"; ok=0; }
wait "$a1" || { echo "FAIL crash-free: p1 exited $?"; cat "$tmp/ca-p1.err"; ok=0; }
if [ $ok = 1 ] && same ca crash-free; then
  last=$(committed ca)
  man=$tmp/state/ca/manifest-$last
  nw=$(grep -c '^worker [0-2] ca-w[0-2]-e' "$man" 2> /dev/null || echo 0)
  if [ "$last" -lt 3 ] || [ "$nw" != 3 ] || ! grep -q '^finished 1' "$man"; then
    echo "FAIL crash-free: last epoch $last, $nw worker lines in $man"; cat "$man"; fail=1
  elif ! { grep -q "leader of the cluster: generation 1" "$tmp/ca-p0.err" &&
            grep -q "a member of the cluster" "$tmp/ca-p1.err"; } &&
       ! { grep -q "leader of the cluster: generation 1" "$tmp/ca-p1.err" &&
            grep -q "a member of the cluster" "$tmp/ca-p0.err"; }; then
    # one leads, the other is a member: usually p0 (started first), but on a loaded machine
    # p1's ZooKeeper session can take the latch first
    echo "FAIL crash-free: roles (not one leader and one member)"; cat "$tmp"/ca-p*.err; fail=1
  else
    echo "ok   crash-free: $(wc -l < "$want") rows equal, $last epochs, manifest-$last names 3 workers"
    for p in 0 1; do
      sed -n "s/.*duration p50 \([0-9.]*\) ms.*/  p$p epoch p50 \1 ms (leader: trigger to commit; member: ack to commit seen)/p" \
          "$tmp/ca-p$p.err"
    done
  fi
else
  fail=1
fi

kill_case cb member-killed 1 "3:0:2 3:2:1"
kill_case cc leader-killed 0 "3:0:2 3:2:1"
# (f) SIGINT on the leader: a final epoch over the cluster, then both leave
start cf p0 3 0 2 "${paced[@]}"
f0=$pid
sleep 0.3
start cf p1 3 2 1 "${paced[@]}"
f1=$pid
t=0
while [ "$(committed cf)" -lt 2 ] && [ $t -lt 150 ]; do sleep 0.1; t=$((t + 1)); done
# the latch holder leads: usually p0, started first, but a loaded machine can start p1's
# ZooKeeper session sooner (the leader's log says "leader of the cluster")
lead=$f0
grep -q "leader of the cluster: generation 1" "$tmp/cf-p1.err" && lead=$f1
kill -INT "$(pgrep -P "$lead")"
rc0=0 rc1=0
wait "$f0" || rc0=$?
wait "$f1" || rc1=$?
last=$(committed cf)
if [ $rc0 != 0 ] || [ $rc1 != 0 ] || ! grep -q '^final 1' "$tmp/state/cf/manifest-$last" ||
   grep -q '^finished 1' "$tmp/state/cf/manifest-$last"; then
  echo "FAIL stopped: exits $rc0 $rc1, last epoch $last"; cat "$tmp"/cf-p*.err
  cat "$tmp/state/cf/manifest-$last"; fail=1
else
  echo "ok   stopped: SIGINT on the leader: a final epoch $last over the cluster, both exit 0"
  run_to_end cf stopped-restart "3:0:2 3:2:1" &&
    same cf stopped && echo "ok   stopped: restarted, resumed from epoch $last: $(wc -l < "$want") rows equal"
fi

# (d) rescaling: a bounded Kafka source (the generator's position depends on the worker
# count; Kafka partitions are reassigned by key group), 4 partitions
"$bin" gen nexmark --events "$events" --base-time $base --rate 10000 --topic nexmark \
    --brokers "$bs" > /dev/null 2> "$tmp/gen.err" || { echo "FAIL: sluice gen"; cat "$tmp/gen.err"; exit 1; }
echo "SET 'sluice.source.kafka.scan.rate-limit' = '1500';" > "$tmp/paced.sql"
sql=("$here/ckpt_kafka_bounded.sql" "$ex/ddl_views.sql" "$tmp/zset.sql"
     "$here/cluster_tumble_fs.sql" --set TOPIC=nexmark --set BOOTSTRAP_SERVERS="$bs"
     --set NEXMARK_TABLE=kafka)
"$bin" run "${sql[@]}" --workers 3 --set OUT="$tmp/onek" > /dev/null 2> "$tmp/onek.err" ||
  { echo "FAIL: the single process (Kafka)"; cat "$tmp/onek.err"; exit 1; }
want=$tmp/wantk
python3 "$here/rows.py" "$tmp/onek" > "$want"
kill_case cd rescaled 1 "2:0:1 2:1:1"
if grep -q "rescaling the state of epoch [0-9]* from 3 workers to 2" "$tmp"/cd-rescaled-restart0.err; then
  echo "ok   rescaled: the restart at W = 2 rescaled the state of W = 3"
else
  echo "FAIL rescaled: no rescale at the restart"; cat "$tmp"/cd-rescaled-restart*.err; fail=1
fi

# (e) refusals: another W. The process that meets the other's node stops naming both; the
# other one (here the leader, which waits for the ranges) stops the same way if it looked
# while both nodes were there, else it waits on, until SIGTERM.
start ce p0 3 0 2
e0=$pid
sleep 0.5
start ce p1 4 2 1
e1=$pid
rc1=0
wait "$e1" || rc1=$?
sleep 0.3
kill -TERM "$e0" 2> /dev/null
rc0=0
wait "$e0" || rc0=$?
named="member m-[^ ]* runs the job with W = [34] workers (--cluster [34]:[02]) and member m-[^ ]* (this process) with W = [34]"
if [ $rc1 != 0 ] && [ $rc1 != 124 ] && grep -q "$named" "$tmp/ce-p1.err" &&
   { { [ $rc0 = 1 ] && grep -q "$named" "$tmp/ce-p0.err"; } ||
     { [ $rc0 = 0 ] && grep -q "stopped while waiting for the cluster's members" "$tmp/ce-p0.err"; }; }; then
  echo "ok   refused: processes of different W ($(grep -o 'member [^ ]* runs the job with W = [0-9]*' "$tmp/ce-p1.err" | head -1))"
else
  echo "FAIL refusal of different W: exits $rc0 $rc1"; cat "$tmp"/ce-p*.err; fail=1
fi
# (g) an exactly-once Kafka table as a late-data side output over several processes (the
# late rows are written where they are found, not gathered to the one writer):
# refused before anything runs; an exactly-once sink table itself is not
# (test_cluster_kafka_eos.sh)
printf '1,1,2026-01-01 00:00:01.000\n' > "$tmp/late_in.csv"
cat > "$tmp/eos.sql" <<SQL
CREATE TABLE b (id BIGINT, k BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/late_in.csv', 'format' = 'csv',
        'sluice.late-data.sink' = 'late_b');
CREATE TABLE late_b (id BIGINT, k BIGINT, ts TIMESTAMP(3)) WITH ('connector' = 'kafka',
  'topic' = 'eos', 'properties.bootstrap.servers' = '$bs', 'format' = 'csv',
  'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'cg');
CREATE TABLE o (k BIGINT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO o SELECT k, COUNT(*) FROM TABLE(TUMBLE(TABLE b, DESCRIPTOR(ts), INTERVAL '1' SECOND))
  GROUP BY k, window_start, window_end;
SQL
rc=0
timeout 60 "$bin" run "$tmp/eos.sql" --workers 1 --cluster 2:0 --cluster-brokers "$bs" \
    --zk "$zk" --job cg --state-dir "$tmp/state" > /dev/null 2> "$tmp/cg.err" || rc=$?
if [ $rc != 0 ] && [ $rc != 124 ] &&
   grep -q "an exactly-once Kafka table as a late-data side output ('sluice.late-data.sink') in a job over several processes (--cluster) is not built yet" "$tmp/cg.err"; then
  echo "ok   refused: an exactly-once Kafka late-data side output over several processes"
else
  echo "FAIL: an exactly-once Kafka late-data side output with --cluster: exit $rc"; cat "$tmp/cg.err"; fail=1
fi
exit $fail

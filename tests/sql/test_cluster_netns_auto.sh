#!/usr/bin/env bash
# tests/sql/test_cluster_netns_auto.sh - issue #15's acceptance test of a job over several
# hosts ("Tests": a bounded Kafka -> windowed aggregation -> file job on 3 processes, one
# killed with SIGKILL mid-run, scaled from 3 to 2 and back to 4, the output equal to a
# crash-free single process's row for row) with the assignment from ZooKeeper: `--cluster
# auto` (docs/cluster.md, "The assignment from ZooKeeper" and "Several hosts: the network
# namespace test"). Every sluice process runs in a network namespace of its own
# (tests/util/netns.sh) and reaches the real Kafka broker and ZooKeeper of tools/kafka.sh
# only over the bridge (chroot /sluice-na); the channel topic of each generation,
# "sluice-na-g<G>-w<W>", is created by the processes on that broker. The state directory
# is one folder every process shares, standing in for NFS or HDFS.
#
# The job: the topic "nexmark" (filled by `sluice gen`) through a TUMBLE window aggregation
# into one filesystem folder (ckpt_kafka_bounded.sql, cluster_tumble_fs.sql) and into a
# Kafka topic exactly once (cluster_tumble_kafka.sql: the issue's "-> Kafka exactly-once"
# variant, checked with a read_committed reader against a reference run's topic), one worker
# per process, an epoch every 200 ms, ZooKeeper sessions of 2 s, stabilization 0.5 s, each
# process paced at $PACE records/s, so that every change lands mid-run (400 and 20000 events:
# the input lasts about 17 s at W = 3, 12 at W = 4; at 600 and 16000 a loaded clean-clone
# run, its rebalances 1.7 s each with the exactly-once table, had read it all before the
# fourth step's process joined). Three choices make
# windows close - and output commit - under every generation, not only at the end:
#   - 12 partitions: W = 2, 3 and 4 all divide 12, so every worker reads as many;
#   - the events 4 ms of event time apart (`gen --rate 250`: 80 s for 20000 events, 40
#     windows of 2 s; a window closes 4 s of watermark after its end);
#   - record batches of 50 (the producer's batch.num.messages) and fetch answers of about
#     one batch per partition (the source's 'properties.max.partition.fetch.bytes' =
#     '16384', added to a copy of the DDL): a worker's partitions alternate in its queue, so
#     they advance together, where a whole partition fetched at once would be read before
#     the next and hold the watermark (the minimum over the partitions) back to the end.
# No process is ever restarted: the processes that run rebalance by themselves.
#   1. hosts 1-3 start (--cluster-min-members 3): generation 1 at W = 3; wait for its
#      first committed epoch, and for output committed under it;
#   2. the leader's process is SIGKILLed: once its session expired, the two survivors - one
#      of them now holding the latch - publish generation 2 at W = 2 and go on; wait for its
#      first committed epoch, and for output committed under it;
#   3. a process starts on host 4: generation 3 at W = 3; the same waits;
#   4. a process starts on host 5: generation 4 at W = 4;
#   5. the bounded input ends: every running process exits 0, the last manifest is generation
#      4's over 4 workers and says "finished 1", every generation committed output rows
#      (the part files' epochs), and the folder's rows equal one process at --workers 3
#      (no checkpoints), row for row.
# Each generation's first committed epoch is read from the processes' logs (the leader's
# line "generation G (W workers): its first epoch E committed T ms after its publication
# (the rebalance time; at Unix S s)"). The test prints each rebalance time and the time
# from the SIGKILL to generation 2's first committed epoch (time to output resuming), with
# the session timeout and stabilization they depend on.
# At the end: the namespaces, veths and bridge are gone (checked after the teardown).
# Needs root (or CAP_NET_ADMIN): without, it skips (exit 77) saying why.
# Label netns: it runs in the release build only (docs/testing.md, "Which test runs where").
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
. "$here/netns_broker.sh" # sl_netns_broker, sl_reference, sl_teardown_check
sl_netns_broker 5 12
zk=$ZOOKEEPER/sluice-na
session=2       # s, the ZooKeeper session timeout
stab=500        # ms, the stabilization before a generation is published
PACE=${PACE:-400} # records/s per process

fail=0
events=${CLUSTER_EVENTS:-20000}
base=1700000000000
"$bin" gen nexmark --events "$events" --base-time $base --rate 250 --topic nexmark \
    --brokers "$bs" --property log_level=3 --property batch.num.messages=50 > /dev/null 2> "$tmp/gen.err" ||
  { echo "FAIL: sluice gen"; cat "$tmp/gen.err"; exit 1; }
cat > "$tmp/set.sql" << SQL
SET 'high-availability.zookeeper.client.session-timeout' = '$session s';
SET 'jobmanager.adaptive-scheduler.resource-stabilization-timeout' = '$stab ms';
SQL
echo "SET 'sluice.source.kafka.scan.rate-limit' = '$PACE';" > "$tmp/paced.sql"
sed "s/'scan.bounded.mode' = 'latest-offset'/&, 'properties.max.partition.fetch.bytes' = '16384'/" \
    "$here/ckpt_kafka_bounded.sql" > "$tmp/source.sql"
grep -q "max.partition.fetch.bytes" "$tmp/source.sql" ||
  { echo "FAIL: no 'scan.bounded.mode' = 'latest-offset' in ckpt_kafka_bounded.sql to add to"; exit 1; }
sql=("$tmp/source.sql" "$ex/ddl_views.sql" "$tmp/set.sql"
     "$here/cluster_tumble_fs.sql" "$here/cluster_tumble_kafka.sql" --set TOPIC=nexmark
     --set BOOTSTRAP_SERVERS="$bs" --set NEXMARK_TABLE=kafka)

# the reference: one process, 3 workers, no checkpoints (in the root namespace); its Kafka
# rows at least once (nothing crashes), the job's exactly once
sl_reference --set KOUT=ref-tumble --set GUARANTEE=at-least-once
read_committed() { # topic -> sorted rows a read_committed reader sees
  kcat -b "$bs" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed \
    -X fetch.wait.max.ms=10 -f '%s\n' 2> "$tmp/kcat.err" | LC_ALL=C sort
}
read_committed ref-tumble > "$tmp/want-kafka"
[ "$(wc -l < "$tmp/want-kafka")" = "$(wc -l < "$want")" ] ||
  { echo "FAIL: the reference's Kafka topic has $(wc -l < "$tmp/want-kafka") rows, its folder $(wc -l < "$want")"; exit 1; }

now() { date +%s.%N; }
log=() # the log of each host's process
# start I [more run arguments]: the job's process on host I, one worker
start() {
  local i=$1
  shift
  log[i]=$tmp/h$i.err
  sl_host_start "$i" "${log[i]}" "$bin" run "${sql[@]}" "$tmp/paced.sql" "$@" --workers 1 \
      --cluster auto --cluster-brokers "$bs" --zk "$zk" --job na --state-dir "$tmp/state" \
      --checkpoint-interval 200 --set OUT="$tmp/na.out" --set KOUT=na-tumble \
      --set GUARANTEE=exactly-once
}
logs() { local i; for i in "$@"; do cat "${log[i]}"; done; }
# first G FIELD HOSTS: of generation G's first committed epoch, from its leader's log among
# HOSTS: FIELD 1 the rebalance time (ms), 2 the Unix time of the commit, 3 the epoch, 4 W
first() {
  local i l
  for i in $3; do
    l=$(sed -n "s/.*generation $1 (\([0-9]*\) workers): its first epoch \([0-9]*\) committed \([0-9.]*\) ms after its publication (the rebalance time; at Unix \([0-9.]*\) s).*/\3 \4 \2 \1/p" \
          "${log[i]}" | head -1)
    [ -n "$l" ] && { echo "$l" | awk -v f="$2" '{print $f}'; return; }
  done
}
# await G W HOSTS: waits (up to 30 s) for generation G's first committed epoch, which must
# be at W workers; fails naming the step otherwise
await() {
  local t=0
  while [ -z "$(first "$1" 3 "$3")" ] && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
  if [ -z "$(first "$1" 3 "$3")" ]; then
    echo "FAIL: generation $1 committed no epoch in 30 s (hosts $3)"
    logs $3
    fail=1
    return 1
  fi
  if [ "$(first "$1" 4 "$3")" != "$2" ]; then
    echo "FAIL: generation $1 runs $(first "$1" 4 "$3") workers, want $2"
    logs $3
    fail=1
    return 1
  fi
}
# leader HOSTS: the host whose process published the newest generation
leader() {
  local i g best=0 who=
  for i in $1; do
    g=$(sed -n 's/.*leader of the cluster: generation \([0-9]*\) published.*/\1/p' "${log[i]}" |
          tail -1)
    [ -n "$g" ] && [ "$g" -gt $best ] && { best=$g; who=$i; }
  done
  echo "$who"
}
# output: the newest epoch of a committed part file in the folder (0: none)
output() {
  ls "$tmp/na.out" 2> /dev/null | sed -n 's/^part-[0-9]*-0*\([0-9][0-9]*\)\.csv$/\1/p' |
    sort -n | tail -1 | grep . || echo 0
}
# outputs G: waits (up to 30 s) for output committed under generation G (a part file of an
# epoch from its first committed one on), else fails
outputs() {
  local t=0 e
  e=$(first "$1" 3 "$2")
  while [ "$(output)" -lt "$e" ] && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
  [ "$(output)" -ge "$e" ] && return 0
  echo "FAIL: no output committed under generation $1 (from epoch $e) in 30 s"
  logs $2
  fail=1
  return 1
}
# committed: the last committed epoch (0: none)
committed() {
  "$bin" checkpoints --job na --state-dir "$tmp/state" --zk "$zk" 2> /dev/null |
    awk '$1 ~ /^[0-9]+$/ {print $1; exit}' | grep . || echo 0
}

run() {
  local i t=0 victim at rest ns
  start 1 --cluster-min-members 3
  while ! grep -q "this process leads" "${log[1]}" 2> /dev/null && [ $t -lt 300 ]; do
    sleep 0.1; t=$((t + 1))
  done
  start 2 --cluster-min-members 3
  start 3 --cluster-min-members 3
  await 1 3 "1 2 3" && outputs 1 "1 2 3" || return 1
  # each process runs in its host's namespace
  for i in 1 2 3; do
    ns=$(ip netns identify "$(sl_host_pid $i)" 2> /dev/null)
    [ "$ns" = "${SL_NETNS_NAME[i]}" ] ||
      { echo "FAIL: host $i's process is in network namespace '$ns', not ${SL_NETNS_NAME[i]}"; fail=1; }
  done
  victim=$(leader "1 2 3")
  [ -n "$victim" ] || { echo "FAIL: no host published generation 1"; logs 1 2 3; fail=1; return 1; }
  rest=$(echo 1 2 3 | tr ' ' '\n' | grep -vx "$victim" | tr '\n' ' ')
  echo "generation 1: W = 3 on hosts 1-3, epoch $(committed) committed, output up to epoch $(output); SIGKILL to host $victim (the leader)"
  at=$(now)
  sl_host_kill "$victim"
  await 2 2 "$rest" && outputs 2 "$rest" || return 1
  printf 'generation 2: W = 2 on hosts %s(no restart): rebalance time %s ms; SIGKILL to its first committed epoch (time to output resuming) %.2f s\n' \
      "$rest" "$(first 2 1 "$rest")" "$(echo "$(first 2 2 "$rest") - $at" | bc)"
  start 4
  await 3 3 "$rest 4" && outputs 3 "$rest 4" || return 1
  echo "generation 3: W = 3, host 4 joined: rebalance time $(first 3 1 "$rest 4") ms"
  start 5
  if ! await 4 4 "$rest 4 5"; then
    # the input must outlast the four steps: at $PACE records/s per process it lasts about
    # events / (W x PACE) s of processing; a machine so slow that the steps took longer
    # shows here, said plainly
    grep -q "already finished" "${log[5]}" &&
      echo "(the bounded input had ended before host 5 joined: the steps took longer than" \
           "the input lasts at $PACE records/s per process - committed offsets: $(committed))"
    return 1
  fi
  echo "generation 4: W = 4, host 5 joined: rebalance time $(first 4 1 "$rest 4 5") ms"
  local bad=0 rc g
  for i in $rest 4 5; do
    rc=0
    sl_host_wait "$i" || rc=$?
    [ $rc = 0 ] || { echo "FAIL: host $i's process exited $rc"; cat "${log[i]}"; bad=1; }
  done
  [ $bad = 0 ] || { fail=1; return 1; }
  local last man nw
  last=$(committed)
  man=$tmp/state/na/manifest-$last
  nw=$(grep -c '^worker [0-3] na-w[0-3]-e' "$man" 2> /dev/null || echo 0)
  if [ "$nw" != 4 ] || ! grep -q '^finished 1' "$man"; then
    echo "FAIL: the last epoch ($last) is not generation 4's finished one over 4 workers:"
    cat "$man"; fail=1; return 1
  fi
  # the rows each generation committed: part files of epochs [its first, the next's first)
  local per=() from to
  for g in 1 2 3 4; do
    from=$(first $g 3 "1 2 3 4 5")
    to=$([ $g -lt 4 ] && first $((g + 1)) 3 "1 2 3 4 5" || echo $((last + 1)))
    per[g]=$(for f in "$tmp"/na.out/part-*.csv; do
               e=${f##*-}; e=$((10#${e%.csv}))
               [ "$e" -ge "$from" ] && [ "$e" -lt "$to" ] && cat "$f"
             done | wc -l)
    [ "${per[g]}" -gt 0 ] || { echo "FAIL: generation $g committed no rows (epochs $from to $to)"; fail=1; }
  done
  python3 "$here/rows.py" "$tmp/na.out" > "$tmp/got"
  if ! cmp -s "$want" "$tmp/got"; then
    echo "FAIL: $(wc -l < "$tmp/got") rows, want $(wc -l < "$want")"
    diff "$want" "$tmp/got" | head -5
    fail=1
    return 1
  fi
  # the same rows exactly once in Kafka: the exactly-once table's transactions, written by
  # each generation's leader (three leaders: host 1, then two more after its SIGKILL)
  read_committed na-tumble > "$tmp/got-kafka"
  if ! cmp -s "$tmp/want-kafka" "$tmp/got-kafka"; then
    echo "FAIL: Kafka: $(wc -l < "$tmp/got-kafka") rows, want $(wc -l < "$tmp/want-kafka"):" \
         "$(($(wc -l < "$tmp/got-kafka") - $(sort -u "$tmp/got-kafka" | wc -l))) twice"
    LC_ALL=C comm -3 "$tmp/want-kafka" "$tmp/got-kafka" | head -4
    fail=1
    return 1
  fi
  echo "ok   the exactly-once Kafka table: $(wc -l < "$tmp/got-kafka") rows, each exactly once (read_committed)"
  # the channel topics: the leader that publishes generation G + 1 deletes G - 1's (the
  # previous assignment names it) - generation 1's by 3's leader, 2's by 4's; the broker
  # drops a deleted topic from its metadata a moment later
  local t2=0 topics
  while kcat -L -b "$bs" -m 5 2> /dev/null | grep -q 'topic "sluice-na-g[12]-w' && [ $t2 -lt 100 ]; do
    sleep 0.1; t2=$((t2 + 1))
  done
  topics=$(kcat -L -b "$bs" -m 5 2> /dev/null |
             sed -n 's/.*topic "\(sluice-na-g[0-9]*-w[0-9]*\)".*/\1/p' | sort | tr '\n' ' ')
  if [ "$topics" != "sluice-na-g3-w3 sluice-na-g4-w4 " ]; then
    echo "FAIL: the channel topics on the broker are '$topics', want generation 3's and 4's only"
    grep -H "channel topic" "${log[@]}"; fail=1; return 1
  fi
  echo "ok   the channel topics of generations 1 and 2 deleted by the leaders of 3 and 4" \
       "($topics left)"
  echo "ok   3 -> 2 (SIGKILL) -> 3 -> 4 hosts without a restart: $(wc -l < "$want") rows equal," \
       "the last epoch ($last, finished) over 4 workers; rows committed by generation 1-4:" \
       "${per[1]} / ${per[2]} / ${per[3]} / ${per[4]}; session timeout $session s," \
       "stabilization $stab ms, $PACE records/s per process, $events events"
}
run

# no leftovers: the teardown (also the EXIT trap's) removes every namespace, veth and bridge
sl_teardown_check
exit $fail

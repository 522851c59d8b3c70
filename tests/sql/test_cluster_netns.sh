#!/usr/bin/env bash
# tests/sql/test_cluster_netns.sh - one job over several processes on several "hosts" of
# one machine (issue #15, "Tests"; docs/cluster.md, "Several hosts: the network namespace
# test"): each sluice process runs in a network namespace of its own (tests/util/netns.sh:
# a bridge, a veth per namespace, a private /24), and reaches ZooKeeper and the Kafka broker
# only through the bridge's address, where they listen in the root namespace. The broker is
# the real Apache Kafka of tools/kafka.sh (`--host`: listener and advertised listener on the
# bridge address), and the ZooKeeper is the one that script starts beside it (Debian's
# package, on the bridge address too); the jobs use it under the chroot /sluice-nn.
# librdkafka's mock cluster (`sluice kafka-mock`, test_cluster_ckpt.sh's broker) listens on
# 127.0.0.1 only, which a process in another namespace cannot reach: hence the real broker.
# The state directory is one folder of the root file system that every process writes and
# reads: it stands in for NFS or HDFS (the namespaces share the file system, not the network).
#
# The job: a bounded Kafka source (the topic "nexmark", 4 partitions, filled by `sluice gen`
# before the runs) through a TUMBLE window aggregation into one filesystem folder
# (ckpt_kafka_bounded.sql, cluster_tumble_fs.sql), the static mode `--cluster W:LO` with one
# worker per process, checkpoints every 200 ms in ZooKeeper (--zk, --job, --state-dir),
# 2 s ZooKeeper sessions, each process paced to 1500 records/s (500 until a case's kill).
# Every case compares the folder's rows with one process at --workers 3 (no checkpoints),
# row for row:
#   (a) crash-free on 3 hosts (W = 3): equal rows, the last manifest names 3 workers;
#   (b) a member's process SIGKILLed after 2 committed epochs (each of the three checked to
#       run in its host's namespace): the other two stop with an error naming it; the 3
#       processes restarted (today's recovery: every process starts again) resume from the
#       last committed epoch: equal rows;
#   (c) the leader killed at W = 3, the job restarted on 2 hosts (W = 2: the rescale path),
#       a member killed there after an epoch of its own, then restarted on 4 hosts (W = 4):
#       equal rows, and both restarts rescaled the epoch they resumed from; generation 3's
#       leader deleted generation 1's channel topic.
# At the end: the namespaces, veths and bridge are gone (checked here, after the teardown).
# Needs root (or CAP_NET_ADMIN): without, it skips (exit 77) saying why.
# Label netns: it runs in the release build only (docs/testing.md, "Which test runs where").
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
. "$here/netns_broker.sh" # sl_netns_broker, sl_reference, sl_teardown_check
sl_netns_broker 4 4
zk=$ZOOKEEPER/sluice-nn

fail=0
events=${CLUSTER_EVENTS:-12000}
base=1700000000000
"$bin" gen nexmark --events "$events" --base-time $base --rate 10000 --topic nexmark \
    --brokers "$bs" --property log_level=3 > /dev/null 2> "$tmp/gen.err" ||
  { echo "FAIL: sluice gen"; cat "$tmp/gen.err"; exit 1; }
echo "SET 'high-availability.zookeeper.client.session-timeout' = '2 s';" > "$tmp/zset.sql"
echo "SET 'sluice.source.kafka.scan.rate-limit' = '1500';" > "$tmp/paced.sql"
# before a kill a third of that: the input must outlast the epochs a case waits for before it
# kills, however slowly a loaded machine gets there (a clean-clone run under the suite's load
# once saw the W = 2 run of (c) read all that was left and end, exit 0, before its kill)
echo "SET 'sluice.source.kafka.scan.rate-limit' = '500';" > "$tmp/slow.sql"
pace=$tmp/paced.sql
sql=("$here/ckpt_kafka_bounded.sql" "$ex/ddl_views.sql" "$tmp/zset.sql"
     "$here/cluster_tumble_fs.sql" --set TOPIC=nexmark --set BOOTSTRAP_SERVERS="$bs"
     --set NEXMARK_TABLE=kafka)

# the reference: one process, 3 workers, no checkpoints (in the root namespace)
sl_reference

now() { date +%s.%N; }
log=() # the log of each host's current process
run=0
# start JOB I W LO: the job's process on host I, the global worker LO of W
start() {
  local job=$1 i=$2 W=$3 lo=$4
  run=$((run + 1))
  log[i]=$tmp/$job-h$i-$run.err
  sl_host_start "$i" "${log[i]}" "$bin" run "${sql[@]}" "$pace" --workers 1 \
      --cluster "$W:$lo" --cluster-brokers "$bs" --zk "$zk" --job "$job" \
      --state-dir "$tmp/state" --checkpoint-interval 200 --set OUT="$tmp/$job.out"
}
# start_all JOB W: W processes on hosts 1..W, host i the global worker i - 1 (what a
# failed case left running is killed first)
start_all() {
  local i
  for ((i = 1; i <= SL_NETNS_N; i++)); do sl_host_kill "$i"; done
  for ((i = 1; i <= $2; i++)); do start "$1" "$i" "$2" $((i - 1)); done
}
# committed JOB: the last committed epoch (0: none)
committed() {
  "$bin" checkpoints --job "$1" --state-dir "$tmp/state" --zk "$zk" 2> /dev/null |
    awk '$1 ~ /^[0-9]+$/ {print $1; exit}' | grep . || echo 0
}
# wait_epoch JOB CASE N HOSTS: waits (up to 30 s) until epoch N is committed
wait_epoch() {
  local t=0 i
  while [ "$(committed "$1")" -lt "$3" ] && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
  [ "$(committed "$1")" -ge "$3" ] && return 0
  echo "FAIL $2: epoch $3 not committed in 30 s"
  for i in $4; do cat "${log[i]}"; done
  fail=1
  return 1
}
# role HOST: leader or member, from its process's log
role() {
  if grep -q "leader of the cluster: generation" "${log[$1]}"; then echo leader; else echo member; fi
}
# pick ROLE HOSTS: the first of HOSTS whose process has ROLE
pick() {
  local i
  for i in $2; do [ "$(role "$i")" = "$1" ] && { echo "$i"; return; }; done
}
# crash CASE VICTIM HOSTS: SIGKILL to the process of host VICTIM; the processes of the other
# HOSTS must stop with an error (not 0, not the timeout) naming the dead member
crash() {
  local name=$1 victim=$2 i rc at took bad=0 logs=() vrole
  if [ -z "$victim" ]; then
    echo "FAIL $name: no process of hosts $3 has the role to kill"
    for i in $3; do cat "${log[i]}"; done
    fail=1
    return 1
  fi
  vrole=$(role "$victim")
  at=$(now)
  sl_host_kill "$victim"
  for i in $3; do
    [ "$i" = "$victim" ] && continue
    logs+=("${log[i]}")
    rc=0
    sl_host_wait "$i" || rc=$?
    if [ $rc = 0 ] || [ $rc = 124 ] || ! grep -q "is gone from ZooKeeper" "${log[i]}"; then
      echo "FAIL $name: host $i's process exited $rc (want an error naming the dead member)"
      cat "${log[i]}"
      bad=1
    fi
  done
  took=$(echo "$(now) - $at" | bc)
  [ $bad = 0 ] || { fail=1; return 1; }
  printf 'ok   %s: host %s (%s) killed; the others stopped %.1f s later: %s\n' "$name" "$victim" \
      "$vrole" "$took" \
      "$(grep -ho 'member m-[^ ]* (workers \[[0-9]*, [0-9]*) of generation [0-9]*)' "${logs[@]}" |
         head -1)"
}
# to_end CASE HOSTS: every process of HOSTS must exit 0
to_end() {
  local i rc bad=0
  for i in $2; do
    rc=0
    sl_host_wait "$i" || rc=$?
    [ $rc = 0 ] || { echo "FAIL $1: host $i's process exited $rc"; cat "${log[i]}"; bad=1; }
  done
  [ $bad = 0 ] || fail=1
  return $bad
}
# same JOB CASE: the folder's rows equal the reference's
same() {
  python3 "$here/rows.py" "$tmp/$1.out" > "$tmp/$1.got"
  cmp -s "$want" "$tmp/$1.got" && return 0
  echo "FAIL $2: $(wc -l < "$tmp/$1.got") rows, want $(wc -l < "$want")"
  diff "$want" "$tmp/$1.got" | head -5
  fail=1
  return 1
}
# resumed CASE HOSTS E [FROM TO]: the processes of HOSTS resumed from epoch E, the last one
# committed before the crash, or E + 1 (a leader killed between its PREPARED and COMMITTED
# records: the restart rolls E + 1 forward); sets $res to that epoch. With FROM TO, its
# state was rescaled from FROM workers to TO.
resumed() {
  local i logs=()
  for i in $2; do logs+=("${log[i]}"); done
  res=$(grep -ho "resuming from epoch [0-9]*" "${logs[@]}" | head -1 | awk '{print $4}')
  if [ -z "$res" ] || [ "$res" -lt "$3" ] || [ "$res" -gt $(($3 + 1)) ]; then
    echo "FAIL $1: the restart did not resume from epoch $3 (or $(($3 + 1)))"
    cat "${logs[@]}"; fail=1; return 1
  fi
  if [ $# -gt 3 ] &&
     ! grep -q "rescaling the state of epoch $res from $4 workers to $5" "${logs[@]}"; then
    echo "FAIL $1: no rescale of epoch $res from $4 to $5 workers"; cat "${logs[@]}"; fail=1
    return 1
  fi
}

# (a) crash-free on 3 hosts
start_all na 3
if to_end crash-free "1 2 3" && same na crash-free; then
  last=$(committed na)
  man=$tmp/state/na/manifest-$last
  nw=$(grep -c '^worker [0-2] na-w[0-2]-e' "$man" 2> /dev/null || echo 0)
  leaders=$(grep -l "leader of the cluster: generation 1" "${log[1]}" "${log[2]}" "${log[3]}" | wc -l)
  if [ "$last" -lt 2 ] || [ "$nw" != 3 ] || ! grep -q '^finished 1' "$man" || [ "$leaders" != 1 ]; then
    echo "FAIL crash-free: last epoch $last, $nw worker lines in $man, $leaders leaders"
    cat "$man"; fail=1
  else
    echo "ok   crash-free: 3 hosts, $(wc -l < "$want") rows equal, $last epochs, manifest-$last names 3 workers"
  fi
fi

# (b) a member killed after 2 epochs, the 3 processes restarted
pace=$tmp/slow.sql
start_all nb 3
pace=$tmp/paced.sql
if wait_epoch nb killed 2 "1 2 3"; then
  # each process runs in its host's namespace (while all three run)
  for i in 1 2 3; do
    ns=$(ip netns identify "$(sl_host_pid $i)" 2> /dev/null)
    [ "$ns" = "${SL_NETNS_NAME[i]}" ] ||
      { echo "FAIL: host $i's process is in network namespace '$ns', not ${SL_NETNS_NAME[i]}"; fail=1; }
  done
  if crash member-killed "$(pick member "1 2 3")" "1 2 3"; then
    before=$(committed nb) # nothing commits once the others have stopped
    start_all nb 3
    to_end member-killed-restart "1 2 3" && resumed member-killed "1 2 3" "$before" &&
      same nb member-killed &&
      echo "ok   member-killed: restarted on 3 hosts, resumed from epoch $res: $(wc -l < "$want") rows equal"
  fi
fi

# (c) the leader killed at W = 3; W = 2, a member killed; W = 4 to the end
pace=$tmp/slow.sql
start_all nc 3
if wait_epoch nc rescaled 2 "1 2 3"; then
  if crash rescaled-w3 "$(pick leader "1 2 3")" "1 2 3"; then
    e3=$(committed nc)
    start_all nc 2
    # the W = 2 run commits an epoch of its own before its kill: e3 + 2 is above the one it
    # resumed from (e3, or e3 + 1 rolled forward)
    if wait_epoch nc rescaled $((e3 + 2)) "1 2" && resumed rescaled-w2 "1 2" "$e3" 3 2; then
      if crash rescaled-w2 "$(pick member "1 2")" "1 2"; then
        e2=$(committed nc)
        pace=$tmp/paced.sql
        start_all nc 4
        to_end rescaled-w4 "1 2 3 4" && resumed rescaled-w4 "1 2 3 4" "$e2" 2 4 &&
          same nc rescaled &&
          echo "ok   rescaled: W = 3 killed after epoch $e3, W = 2 (rescaled) killed after epoch $e2, W = 4 (rescaled from $res): $(wc -l < "$want") rows equal"
        # generation 3's leader deleted generation 1's channel topic (nobody reads it any
        # more), as --cluster auto's do; the broker drops it from its metadata a moment later
        t=0
        while kcat -L -b "$bs" -m 5 2> /dev/null | grep -q 'topic "sluice-nc-g1"' && [ $t -lt 100 ]; do
          sleep 0.1
          t=$((t + 1))
        done
        topics=$(kcat -L -b "$bs" -m 5 2> /dev/null |
                   sed -n 's/.*topic "\(sluice-nc-g[0-9]*\)".*/\1/p' | sort | tr '\n' ' ')
        if [ "$topics" = "sluice-nc-g2 sluice-nc-g3 " ]; then
          echo "ok   the channel topic of generation 1 deleted by generation 3's leader ($topics left)"
        else
          echo "FAIL: the channel topics of job nc are '$topics', want generation 2's and 3's"
          fail=1
        fi
      fi
    fi
  fi
fi

# no leftovers: the teardown (also the EXIT trap's) removes every namespace, veth and bridge
sl_teardown_check
exit $fail

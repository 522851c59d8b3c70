#!/usr/bin/env bash
# tests/sql/test_cluster_auto.sh - one job over several processes with the assignment from
# ZooKeeper, rebalanced without a restart (issue #15; docs/cluster.md "The assignment from
# ZooKeeper"): `sluice run --workers n --cluster auto --cluster-brokers B --zk Z --job J
# --state-dir D`. The processes meet in a real ZooKeeper (tests/coord/zkserver_run.c) and
# exchange through `sluice kafka-mock`, which cannot create topics: every channel topic a
# generation may use, "sluice-J-g<G>-w<W>", is made at its start. The job: a bounded Kafka
# topic of Nexmark events (4 partitions; a Kafka source restores at another W, the
# generator does not) through a TUMBLE window aggregation into one filesystem folder the
# processes share; an epoch every 200 ms, ZooKeeper sessions of 2 s, stabilization 0.5 s,
# each process paced at 1500 records/s (a few seconds of input). Every case compares the
# folder's rows with one process at --workers 3 (no checkpoints), row for row:
#   (a) crash-free: 2 processes of 1 + 2 workers (--cluster-min-members 2): generation 1
#       at W = 3, both exit 0, equal rows;
#   (b) the member that does not lead killed (SIGKILL) after 2 committed epochs: the leader
#       keeps running (no restart), publishes generation 2 at the survivor's W, restores
#       the last committed epoch and runs to the end: equal rows (nothing lost, nothing
#       twice);
#   (c) a process joining mid-run: generation 2 at W = 3, both exit 0, equal rows;
#   (d) the leader killed: the member takes the latch once the leader's session expired,
#       leads generation 2 alone, equal rows;
#   (e) SIGTERM on the member: it leaves at once (exit 0), the leader goes on alone under
#       generation 2, equal rows;
#   (f) the leader frozen past its session: the member leads, the old leader joins later;
#   (g) a spare (--standby, 1 worker) beside 2 + 1 workers: it takes no work (generation 1
#       lists it empty, its log has no generation it ran, its metrics say generation 0);
#       the member of 1 worker SIGKILLed: generation 2 gives the spare that member's
#       range [2, 3) - W stays 3, nothing is rescaled, the leader keeps [0, 2) - equal
#       rows; the leader's metrics then count 2 rebalances, generation 2 and its
#       rebalance duration;
#   (h) balancing by cores: 2 processes without --workers, one of them under `taskset -c 0`:
#       each runs as many workers as cores in its cpuset (1 and the machine's C), so
#       generation 1 has W = 1 + C with ranges [0, 1) and [1, 1 + C); equal rows (skipped
#       on a machine of one core, where it could not tell);
#   (i) the only working process (the leader, 1 worker) SIGKILLed beside a spare: no
#       working process is left, so once the leader's session expired the spare joins as a
#       member, takes the latch and runs generation 2 alone; equal rows;
#   --standby refused with --cluster W:LO and without a state directory (exit 2, named).
# It prints each rebalance time (publication to the first committed epoch, the leader's
# log) and, for the kills, the time from the SIGKILL to that first committed epoch.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
build=${SLUICE_BUILD_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
. "$src/tests/sql/zkmock.sh" # $tmp, sl_mock_start, $zkaddr
zk=$zkaddr/sluice-ca
# the channel topics of the generations each case makes (the first process to start leads:
# the others start once it says so); the mock takes about 0.25 s per topic here
topics=()
for t in aa-g1-w3 ab-g1-w3 ab-g2-w2 ac-g1-w2 ac-g2-w3 ad-g1-w3 ad-g2-w1 ae-g1-w3 ae-g2-w2 \
         af-g1-w3 af-g2-w1 af-g2-w2 af-g3-w3 af-g3-w1 af-g4-w3 af-g4-w1 ag-g1-w3 ag-g2-w3 \
         ai-g1-w1 ai-g2-w1 ai-g3-w1; do
  topics+=(--topic "sluice-$t:${t##*-w}")
done
# (h): the machine's cores as hwloc counts them (lscpu's core ids)
cores=$(lscpu -p=core 2> /dev/null | grep -v '^#' | sort -u | wc -l)
[ "$cores" -ge 2 ] && topics+=(--topic "sluice-ah-g1-w$((cores + 1)):$((cores + 1))")
sl_mock_start "${topics[@]}" --topic nexmark:4
fail=0
events=${CLUSTER_EVENTS:-12000}
base=1700000000000
"$bin" gen nexmark --events "$events" --base-time $base --rate 10000 --topic nexmark \
    --brokers "$bs" > /dev/null 2> "$tmp/gen.err" || { echo "FAIL: sluice gen"; cat "$tmp/gen.err"; exit 1; }
cat > "$tmp/set.sql" <<'SQL'
SET 'high-availability.zookeeper.client.session-timeout' = '2 s';
SET 'jobmanager.adaptive-scheduler.resource-stabilization-timeout' = '500 ms';
SQL
echo "SET 'sluice.source.kafka.scan.rate-limit' = '1500';" > "$tmp/paced.sql"
sql=("$here/ckpt_kafka_bounded.sql" "$ex/ddl_views.sql" "$tmp/set.sql"
     "$here/cluster_tumble_fs.sql" --set TOPIC=nexmark --set BOOTSTRAP_SERVERS="$bs"
     --set NEXMARK_TABLE=kafka)

# the reference: one process, 3 workers, no checkpoints
"$bin" run "${sql[@]}" --workers 3 --set OUT="$tmp/one" > /dev/null 2> "$tmp/one.err" ||
  { echo "FAIL: the single process"; cat "$tmp/one.err"; exit 1; }
want=$tmp/want
python3 "$here/rows.py" "$tmp/one" > "$want"
[ -s "$want" ] || { echo "FAIL: no reference rows"; exit 1; }

# start JOB NAME N [more run arguments]: one process in the background (N "-": without
# --workers; $pre, if set, before the command, e.g. taskset); its pid in $pid
start() {
  local job=$1 name=$2 n=$3 w=()
  shift 3
  [ "$n" = - ] || w=(--workers "$n")
  timeout 120 ${pre:-} "$bin" run "$tmp/paced.sql" "${sql[@]}" "$@" "${w[@]}" --cluster auto \
      --cluster-brokers "$bs" --zk "$zk" --job "$job" --state-dir "$tmp/state" \
      --checkpoint-interval 200 --set OUT="$tmp/$job.out" > /dev/null 2> "$tmp/$job-$name.err" &
  pid=$!
}
# leads JOB NAME: waits (up to 30 s) until NAME's log says it leads
leads() {
  local t=0
  while ! grep -q "this process leads" "$tmp/$1-$2.err" 2> /dev/null && [ $t -lt 300 ]; do
    sleep 0.1; t=$((t + 1))
  done
}
# await_epochs JOB K: waits (up to 30 s) until K epochs are committed
await_epochs() {
  local t=0
  while [ "$(committed "$1")" -lt "$2" ] && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
  [ "$(committed "$1")" -ge "$2" ]
}
# same JOB CASE: the folder's rows equal the reference's
same() {
  python3 "$here/rows.py" "$tmp/$1.out" > "$tmp/$1.got"
  if cmp -s "$want" "$tmp/$1.got"; then
    return 0
  fi
  echo "FAIL $2: $(wc -l < "$tmp/$1.got") rows, want $(wc -l < "$want")"
  diff "$want" "$tmp/$1.got" | head -5
  tail -n 30 "$tmp/$1"-*.err
  fail=1
  return 1
}
# waitall CASE JOB NAME...: every named process (pid in pids[NAME]) exits 0
declare -A pids
waitall() {
  local name=$1 job=$2 bad=0
  shift 2
  for p in "$@"; do
    wait "${pids[$p]}" ||
      { echo "FAIL $name: process $p exited $?"; tail -n 30 "$tmp/$job-$p.err"; bad=1; }
  done
  [ $bad = 0 ] || fail=1
  return $bad
}
# rebalance JOB NAME G: the rebalance time of generation G in NAME's log ("" if none)
rebalance() {
  sed -n "s/.*generation $3 ([0-9]* workers): its first epoch [0-9]* committed \([0-9.]*\) ms after its publication.*/\1/p" \
      "$tmp/$1-$2.err" | head -1
}
# committed_at JOB NAME G: the Unix time of generation G's first commit in NAME's log
committed_at() {
  sed -n "s/.*generation $3 ([0-9]* workers): its first epoch .* at Unix \([0-9.]*\) s).*/\1/p" \
      "$tmp/$1-$2.err" | head -1
}

# (a) crash-free: 1 + 2 workers
start aa p0 1 --cluster-min-members 2
pids[p0]=$pid
leads aa p0
start aa p1 2 --cluster-min-members 2
pids[p1]=$pid
if waitall crash-free aa p0 p1 && same aa crash-free; then
  lead=p0
  grep -q "leader of the cluster: generation 1 published" "$tmp/aa-p1.err" && lead=p1
  if ! grep -q "generation 1 published, 3 workers over 2 processes" "$tmp/aa-$lead.err"; then
    echo "FAIL crash-free: no generation 1 of 3 workers over 2 processes"; cat "$tmp"/aa-p*.err
    fail=1
  else
    echo "ok   crash-free: 1 + 2 workers, generation 1 at W = 3: $(wc -l < "$want") rows equal" \
         "(rebalance time of generation 1: $(rebalance aa $lead 1) ms)"
  fi
fi

# kill_case JOB CASE WHO (leader | member): 2 + 1 workers, WHO killed after 2 epochs
kill_case() {
  local job=$1 name=$2 who=$3
  start "$job" p0 2 --cluster-min-members 2
  pids[p0]=$pid
  leads "$job" p0
  start "$job" p1 1 --cluster-min-members 2
  pids[p1]=$pid
  if ! await_epochs "$job" 2; then
    echo "FAIL $name: fewer than 2 epochs committed in 30 s"; tail -n 30 "$tmp/$job"-p*.err
    fail=1; kill "${pids[p0]}" "${pids[p1]}" 2> /dev/null; wait; return
  fi
  local lead=p0 other=p1
  grep -q "leader of the cluster: generation 1 published" "$tmp/$job-p1.err" && { lead=p1; other=p0; }
  local dead=$other alive=$lead
  [ "$who" = leader ] && { dead=$lead; alive=$other; }
  local before at
  before=$(committed "$job")
  at=$(now)
  kill -9 "$(pgrep -P "${pids[$dead]}")" # sluice itself, not its `timeout`
  wait "${pids[$dead]}" 2> /dev/null
  waitall "$name" "$job" "$alive" || return
  same "$job" "$name" || return
  local e="$tmp/$job-$alive.err"
  if ! grep -q "generation 2 published" "$e" || ! grep -q "resuming from epoch" "$e"; then
    echo "FAIL $name: $alive did not lead generation 2 and resume"; cat "$e"; fail=1; return
  fi
  if [ "$who" = leader ] && ! grep -q "member m-[^ ]* (workers \[[0-9]*, [0-9]*)) is gone" "$e"; then
    echo "FAIL $name: no line naming the dead leader"; cat "$e"; fail=1; return
  fi
  local t1
  t1=$(committed_at "$job" "$alive" 2)
  printf 'ok   %s: %s (%s) killed after epoch %s; %s went on without a restart: generation 2, %s rows equal; rebalance time %s ms, SIGKILL to the next committed epoch %.2f s\n' \
      "$name" "$who" "$dead" "$before" "$alive" "$(wc -l < "$want")" "$(rebalance "$job" "$alive" 2)" \
      "$(echo "$t1 - $at" | bc)"
}
kill_case ab member-killed member

# (c) a process joining mid-run: 2 workers alone, then 1 more
start ac p0 2
pids[p0]=$pid
if await_epochs ac 2; then
  start ac p1 1
  pids[p1]=$pid
  if waitall joined ac p0 p1 && same ac joined; then
    # generation 2 resumed from epoch L and its first epoch is L + 2: the number L + 1 is
    # skipped, as a process of generation 1 may still write that epoch's files (exec.c)
    L=$(sed -n 's/.*resuming from epoch \([0-9]*\).*/\1/p' "$tmp/ac-p0.err" | tail -1)
    N=$(sed -n 's/.*generation 2 ([0-9]* workers): its first epoch \([0-9]*\) committed.*/\1/p' \
          "$tmp"/ac-p*.err | head -1)
    if [ -z "$L" ] || [ "$N" != $((L + 2)) ]; then
      echo "FAIL joined: generation 2 resumed from epoch '$L' but its first epoch is '$N', not L + 2"
      fail=1
    elif grep -q "generation 2 published, 3 workers over 2 processes" "$tmp"/ac-p*.err &&
       grep -q "rescaling the state of epoch [0-9]* from 2 workers to 3" "$tmp/ac-p0.err"; then
      echo "ok   joined: 2 workers, then a process of 1 joined: generation 2 at W = 3 (rescaled), $(wc -l < "$want") rows equal (rebalance time $(rebalance ac p0 2)$(rebalance ac p1 2) ms)"
    else
      echo "FAIL joined: no generation 2 at W = 3 restored by rescaling"; cat "$tmp"/ac-p*.err; fail=1
    fi
  fi
else
  echo "FAIL joined: fewer than 2 epochs committed in 30 s"; cat "$tmp/ac-p0.err"; fail=1
  kill "${pids[p0]}"; wait
fi

kill_case ad leader-killed leader

# (e) SIGTERM on the member: it leaves at once (exit 0, no final epoch), the leader goes on
start ae p0 2 --cluster-min-members 2
pids[p0]=$pid
leads ae p0
start ae p1 1 --cluster-min-members 2
pids[p1]=$pid
if await_epochs ae 2; then
  kill -TERM "$(pgrep -P "${pids[p1]}")"
  if waitall left ae p1 p0 && same ae left; then
    if grep -q "generation 2 published, 2 workers over 1 processes" "$tmp/ae-p0.err"; then
      echo "ok   left: SIGTERM on the member: it left (exit 0), the leader went on at W = 2 (generation 2), $(wc -l < "$want") rows equal"
    else
      echo "FAIL left: no generation 2 at W = 2"; cat "$tmp"/ae-p*.err; fail=1
    fi
  fi
else
  echo "FAIL left: fewer than 2 epochs committed in 30 s"; cat "$tmp"/ae-p*.err; fail=1
  kill "${pids[p0]}" "${pids[p1]}"; wait
fi
# (f) the leader frozen (SIGSTOP) for longer than its session: the member leads generation 2
# alone; the old leader, woken, finds its latch gone (its commit is fenced, or its watch sees
# the new generation) and joins the next generation as a member instead of exiting 1
start af p0 2 --cluster-min-members 2
pids[p0]=$pid
leads af p0
start af p1 1 --cluster-min-members 2
pids[p1]=$pid
if await_epochs af 2; then
  froze=$(pgrep -P "${pids[p0]}")
  kill -STOP "$froze"
  t=0
  while ! grep -q "generation 2 published" "$tmp/af-p1.err" && [ $t -lt 300 ]; do
    sleep 0.1; t=$((t + 1))
  done
  kill -CONT "$froze"
  if waitall frozen af p0 p1 && same af frozen; then
    if grep -q "generation 2 published, 1 workers over 1 processes" "$tmp/af-p1.err" &&
       grep -Eq "generation [3-9] published, 3 workers over 2 processes|generation [3-9] \(leader" \
         "$tmp"/af-p*.err; then
      echo "ok   frozen: the leader stopped past its session: the member led generation 2 alone, the old leader joined a later one at W = 3 (exit 0 both), $(wc -l < "$want") rows equal"
    else
      echo "FAIL frozen: no generation 2 at W = 1 and a later one at W = 3"; cat "$tmp"/af-p*.err
      fail=1
    fi
  fi
else
  echo "FAIL frozen: fewer than 2 epochs committed in 30 s"; cat "$tmp"/af-p*.err; fail=1
  kill "${pids[p0]}" "${pids[p1]}"; wait
fi

# (h) balancing by cores: without --workers, each process runs the cores of its cpuset
if [ "$cores" -ge 2 ] && command -v taskset > /dev/null; then
  pre="taskset -c 0" start ah p0 - --cluster-min-members 2
  pids[p0]=$pid
  leads ah p0
  start ah p1 - --cluster-min-members 2
  pids[p1]=$pid
  if waitall cores ah p0 p1 && same ah cores; then
    if grep -q "generation 1 published, $((cores + 1)) workers over 2 processes (m-[^ ]* \[0, 1), m-[^ ]* \[1, $((cores + 1))))" \
         "$tmp/ah-p0.err"; then
      echo "ok   cores: without --workers, a process under taskset -c 0 ran 1 worker and one on the whole machine $cores: generation 1 at W = $((cores + 1)), $(wc -l < "$want") rows equal"
    else
      echo "FAIL cores: no generation 1 of 1 + $cores workers"; cat "$tmp"/ah-p*.err; fail=1
    fi
  fi
else
  echo "skip cores: a machine of one core (or no taskset) cannot tell"
fi

# (g) a spare: --standby takes no work until a member dies, then takes its range (W stays)
command -v curl > /dev/null || { echo "SKIP standby: no curl"; exit $fail; }
# metric JOB NAME M: the value of M in a scrape of NAME's endpoint ("" if none)
metric() {
  local url
  url=$(sed -n 's/^metrics: //p' "$tmp/$1-$2.err" | head -1)
  [ -n "$url" ] && curl -sf "$url" | sed -n "s/^$3{job=\"$1\"} //p"
}
start ag p0 2 --cluster-min-members 2 --metrics-port 0
pids[p0]=$pid
leads ag p0
start ag p1 1 --cluster-min-members 2
pids[p1]=$pid
t=0
while ! grep -q "generation 1 published" "$tmp/ag-p0.err" && [ $t -lt 300 ]; do
  sleep 0.1; t=$((t + 1))
done
start ag s 1 --standby --metrics-port 0
pids[s]=$pid
t=0
while ! grep -q "a spare of the cluster" "$tmp/ag-s.err" && [ $t -lt 300 ]; do
  sleep 0.1; t=$((t + 1))
done
if await_epochs ag 2 && [ "$(metric ag s sluice_cluster_generation)" = 0 ] &&
   [ "$(metric ag s sluice_cluster_rebalances_total)" = 0 ]; then
  # before the kill: the spare ran nothing and tried no latch
  if grep -Eq "generation [0-9]+ \(leader|this process leads|is promoted" "$tmp/ag-s.err"; then
    echo "FAIL standby: the spare took work before the kill"; cat "$tmp/ag-s.err"; fail=1
  fi
  at=$(now)
  kill -9 "$(pgrep -P "${pids[p1]}")"
  wait "${pids[p1]}" 2> /dev/null
  t=0
  while ! grep -q "generation 2 ([0-9]* workers): its first epoch" "$tmp/ag-p0.err" &&
        [ $t -lt 300 ]; do
    sleep 0.1; t=$((t + 1))
  done
  gen=$(metric ag p0 sluice_cluster_generation)
  reb=$(metric ag p0 sluice_cluster_rebalances_total)
  dur=$(metric ag p0 sluice_cluster_rebalance_duration_seconds)
  if waitall standby ag p0 s && same ag standby; then
    if ! grep -q "generation 2 published, 3 workers over 2 processes (m-[^ ]* \[0, 2), m-[^ ]* \[2, 3)" \
         "$tmp/ag-p0.err" ||
       ! grep -q "this spare (m-[^ ]*) is promoted: generation 2 (by [^ ]*) gives it workers \[2, 3) of 3" \
         "$tmp/ag-s.err" ||
       grep -q "rescaling the state" "$tmp"/ag-*.err ||
       ! grep -q "cluster: a spare (--standby) until generation 2 gave it work" "$tmp/ag-s.err" ||
       ! grep -q "cluster: 1 generations run" "$tmp/ag-s.err"; then
      echo "FAIL standby: not generation 2 at W = 3 with the spare in the dead member's place, unrescaled"
      cat "$tmp"/ag-*.err; fail=1
    elif [ "$gen" != 2 ] || [ "$reb" != 2 ] || [ -z "$dur" ]; then
      echo "FAIL standby: the leader's metrics during generation 2 said generation '$gen', rebalances '$reb', rebalance duration '$dur' s (want 2, 2, a number)"
      fail=1
    else
      printf 'ok   standby: a spare of 1 worker took the SIGKILLed member'"'"'s range [2, 3) in generation 2 (W = 3, no rescale), %s rows equal; the leader'"'"'s metrics: generation 2, 2 rebalances, the last %s s; SIGKILL to the next committed epoch %.2f s\n' \
          "$(wc -l < "$want")" "$dur" "$(echo "$(committed_at ag p0 2) - $at" | bc)"
    fi
  fi
else
  echo "FAIL standby: fewer than 2 epochs, or the spare's metrics not generation 0 / 0 rebalances"
  cat "$tmp"/ag-*.err; fail=1
  kill "${pids[p0]}" "${pids[p1]}" "${pids[s]}"; wait
fi

# (i) no working process left: the spare runs the job itself
start ai p0 1
pids[p0]=$pid
leads ai p0
t=0
while ! grep -q "generation 1 published" "$tmp/ai-p0.err" && [ $t -lt 300 ]; do
  sleep 0.1; t=$((t + 1))
done
start ai s 1 --standby
pids[s]=$pid
if await_epochs ai 2; then
  kill -9 "$(pgrep -P "${pids[p0]}")"
  wait "${pids[p0]}" 2> /dev/null
  if waitall last-spare ai s && same ai last-spare; then
    if grep -q "no working process of the job has been there for 500 ms (the last assignment is generation 1): this spare (m-[^ ]*) joins as a member" "$tmp/ai-s.err" &&
       grep -q "generation 2 published, 1 workers over 1 processes" "$tmp/ai-s.err"; then
      echo "ok   last-spare: the only working process SIGKILLed: the spare joined as a member and led generation 2 alone, $(wc -l < "$want") rows equal"
    else
      echo "FAIL last-spare: the spare did not take the job over"; cat "$tmp"/ai-*.err; fail=1
    fi
  fi
else
  echo "FAIL last-spare: fewer than 2 epochs committed in 30 s"; cat "$tmp"/ai-*.err; fail=1
  kill "${pids[p0]}" "${pids[s]}"; wait
fi

# --standby where it makes no sense: refused, naming why
"$bin" run "${sql[@]}" --workers 1 --cluster 2:0 --cluster-brokers "$bs" --standby \
    --set OUT="$tmp/x" > /dev/null 2> "$tmp/refused1"
r1=$?
"$bin" run "${sql[@]}" --workers 1 --standby --set OUT="$tmp/x" > /dev/null 2> "$tmp/refused2"
r2=$?
if [ $r1 = 2 ] && grep -q -- "--standby with --cluster W:LO" "$tmp/refused1" &&
   [ $r2 = 2 ] && grep -q -- "--standby waits for the job's leadership.*--state-dir" "$tmp/refused2"; then
  echo "ok   refused: --standby with --cluster W:LO, and without a state directory"
else
  echo "FAIL refused: --standby with --cluster W:LO exited $r1, without a state directory $r2"
  cat "$tmp/refused1" "$tmp/refused2"; fail=1
fi
exit $fail

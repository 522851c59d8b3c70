#!/usr/bin/env bash
# tests/sql/test_kafka_exactly_once.sh - Kafka -> sluice -> Kafka exactly once, against a
# real Apache Kafka broker (tools/kafka.sh, ZooKeeper mode), killed at every step of the
# protocol, and a paused leader (a zombie) that a standby replaces.
#
# N Nexmark events go into a 3-partition topic; the job (ckpt_kafka_bounded.sql: bounded
# at what the topic holds, so a run ends by itself) writes Nexmark q1 into another topic
# with 'sink.delivery-guarantee' = 'exactly-once' (ckpt_q1_kafka_eos.sql), 2 workers,
# checkpoints every 20 ms. A read_committed reader (kcat -X isolation.level=read_committed)
# must then see exactly reference.py's q1 rows: every row once, none twice, none missing;
# after the kills, sluice itself reads the output back as a read_committed reader too.
#
#   1. crash points (SLUICE_CRASH_AT, _exit(137) at the 3rd epoch), each followed by runs of
#      the same command until the job completes:
#        ckpt.after_snapshot      workers prepared, nothing durable: restore the epoch before
#        ckpt.after_prepared      PREPARED, the transaction open: the start aborts it and
#                                 ROLLS BACK (the log says so), the epoch is written again
#        kafka_sink.before_txn_commit  the same, one step later
#        ckpt.after_txn_commit    PREPARED, the transaction committed: the start sees the
#                                 epoch's marker and ROLLS FORWARD (the log says so)
#        ckpt.after_committed     COMMITTED: an ordinary resume
#   2. SIGKILL at random moments, 6 runs in a row, of the same job reading the topic
#      without an end (so that no run can end before its kill); then a run that is stopped
#      with SIGINT once every row is visible.
#   3. control: the same job with 'at-least-once', crashed at ckpt.after_snapshot@3 (its
#      prepare had waited for every delivery of the epoch), shows rows twice - so the
#      exactly-once comparison above can fail.
#   4. a zombie: the job commits its epochs in ZooKeeper (--zk, the broker's ZooKeeper,
#      session timeout 2 s) over the first half of a topic whose end offsets are beyond it
#      (it waits for the rest); after its 2nd committed epoch a second process with the same
#      job starts and waits as a standby; then the first is paused (SIGSTOP), and the standby
#      takes over once the session expires
#      (its transactional producers fence the paused one's and abort its open transaction)
#      and reads the rest to the end. Then the paused one is resumed: it must fail
#      (session expired, or its producers fenced) without writing anything visible.
#   5. progress in Kafka's terms: every committed epoch's offsets went to the table's
#      consumer group ('properties.group.id' = 'nexmark'), so Kafka's own consumer-groups
#      tool (tools/kafka.sh groups) shows the zombie job's input read to its end, lag 0,
#      once the standby's run ended (before the zombie resumes: see there);
#      with 'properties.commit.offsets.on.checkpoint' = 'false' a group gets nothing.
#   6. the broker stopped for 5 s - longer than the job's transaction timeout (3 s) - while
#      the job runs (it waits for the second half of its input, committing an epoch every
#      20 ms), then started again; then the rest of the input. The job rides through or
#      fails saying why; the same command again until it completes: every row exactly once.
# Without a broker the test FAILS (it does not skip).
# SLUICE_TEST_SMALL (tools/test.sh sets it in the ASan step, the only one that runs this
# test: label broker): sections 4 to 6 on topics of 30000 events instead of 90000 (their
# jobs wait for the second half of their input, so no run can end before the pause, the
# broker's stop or the epochs they wait for; more rows only make each run longer). Sections
# 1 to 3 keep 90000: their crash at the 3rd epoch must come while the run reads (paced
# instead, epochs 1 to 3 came before the first rows and the at-least-once control saw no
# row twice). Every case runs; the 6 kills too (no other build runs them).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
kdir=
bgs=() # every background run: cleanup kills it and its sluice, paused or not
sluices() { # pid -> the sluice processes below it (a subshell, timeout, sluice)
  local c
  for c in $(pgrep -P "$1"); do
    [ "$(ps -o comm= -p "$c")" = sluice ] && echo "$c"
    sluices "$c"
  done
}
cleanup() {
  local p s
  for p in "${bgs[@]}"; do
    for s in $(sluices "$p"); do kill -CONT "$s" 2> /dev/null; kill -KILL "$s" 2> /dev/null; done
    kill -KILL "$p" 2> /dev/null
  done
  [ -n "$kdir" ] && "$src/tools/kafka.sh" stop --dir "$kdir" > /dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
command -v kcat > /dev/null || { echo "FAIL: no kcat (tools/setup.sh installs it)"; exit 1; }
fail=0
bad() { echo "FAIL $*"; fail=1; }

out=$("$src/tools/kafka.sh" start --partitions 3 --owner $$) ||
  { echo "FAIL: no Kafka broker (tools/kafka.sh start failed: see above)"; exit 1; }
eval "$out"
kdir=$KAFKA_DIR
bs=$BOOTSTRAP

events=${EOS_EVENTS:-90000} # a multiple of 6: halves round robin over 3 partitions
base=1700000000000
"$bin" gen nexmark --events "$events" --base-time $base --rate 1000 --topic nexmark \
  --brokers "$bs" --property log_level=3 || { echo "FAIL: sluice gen to Kafka"; exit 1; }
"$bin" gen nexmark --events "$events" --base-time $base --rate 1000 --out "$tmp/events.json" ||
  exit 1
sl_reference q1 "$tmp/events.json" > "$tmp/want"
[ -s "$tmp/want" ] || { echo "FAIL: no reference rows"; exit 1; }

krun() { # name (job, output topic, transactional ids), guarantee, extra args...
  local n=$1 g=$2
  shift 2
  timeout -k 5 120 "$bin" run "${ksource:-$here/ckpt_kafka_bounded.sql}" "$ex/ddl_views.sql" \
    "$here/ckpt_q1_kafka_eos.sql" --set BOOTSTRAP_SERVERS="$bs" --set TOPIC=nexmark \
    --set OUT_TOPIC="out-$n" --set TXN_PREFIX="txn-$n" --set GUARANTEE="$g" --set NEXMARK_TABLE=kafka --quiet \
    --workers 2 --checkpoint-interval 20 --state-dir "$tmp/state-$n" --job "$n" "$@"
}

finish() { # name, guarantee: the same command until the job completes (at most 5 runs)
  local k rc
  for k in 1 2 3 4 5; do
    krun "$1" "$2" >> "$tmp/log-$1" 2>&1 && return 0
    rc=$?
    [ $rc -eq 3 ] && tail -1 "$tmp/log-$1" | grep -q "already finished" && return 0
    echo "  (resume $k exited $rc)" >> "$tmp/log-$1"
  done
  return 1
}

read_committed() { # topic -> sorted rows a read_committed reader sees
  kcat -b "$bs" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed \
    -X fetch.wait.max.ms=10 -f '%s\n' 2> "$tmp/kcat.err" | LC_ALL=C sort
}

exactly() { # label, name[, want file]: the output topic holds the reference rows exactly once
  local want=${3:-$tmp/want}
  read_committed "out-$2" > "$tmp/got"
  local twice missing extra
  twice=$(($(wc -l < "$tmp/got") - $(LC_ALL=C sort -u "$tmp/got" | wc -l)))
  missing=$(LC_ALL=C comm -23 "$want" "$tmp/got" | wc -l)
  extra=$(LC_ALL=C comm -13 "$want" "$tmp/got" | wc -l)
  if cmp -s "$tmp/got" "$want"; then
    echo "ok   $1: $(wc -l < "$tmp/got") rows, each exactly once"
  else
    bad "$1: $(wc -l < "$tmp/got") rows, want $(wc -l < "$want"): $twice twice, $missing missing, $extra not in the reference"
    LC_ALL=C comm -3 "$want" "$tmp/got" | head -4
  fi
}

# ---- 1. crash points ----------------------------------------------------------------------
for cp in ckpt.after_snapshot ckpt.after_prepared kafka_sink.before_txn_commit \
  ckpt.after_txn_commit ckpt.after_committed; do
  n=${cp//[._]/-}
  SLUICE_CRASH_AT=$cp@3 krun "$n" exactly-once > "$tmp/log-$n" 2>&1
  rc=$?
  if [ $rc -ne 137 ]; then
    bad "crash at $cp: exit $rc, the crash point did not fire"
    tail -3 "$tmp/log-$n"
    continue
  fi
  if ! finish "$n" exactly-once; then
    bad "crash at $cp: the restarted job did not complete"
    tail -5 "$tmp/log-$n"
    continue
  fi
  case $cp in
    ckpt.after_prepared | kafka_sink.before_txn_commit)
      grep -q "transaction did not commit; rolled back" "$tmp/log-$n" ||
        bad "crash at $cp: the restart did not roll the prepared epoch back" ;;
    ckpt.after_txn_commit)
      grep -q "was prepared but not committed; committed it now" "$tmp/log-$n" ||
        bad "crash at $cp: the restart did not roll the prepared epoch forward" ;;
  esac
  exactly "crash at $cp, restarted" "$n"
done

# ---- 2. SIGKILL several times -------------------------------------------------------------
# The runs read the topic without an end ('scan.bounded.mode' left out), so every kill lands
# in a running job: with the bounded table a run could end before its kill, sooner the less
# it had left to do, and the kills the test is about did not happen (seen: 1 kill of 6). The
# last run is stopped with SIGINT (a final epoch, exit 0) once every row is visible.
sed "/'scan.bounded.mode' = 'latest-offset'/d; s/'format' = 'json',/'format' = 'json'/" \
  "$here/ckpt_kafka_bounded.sql" > "$tmp/unbounded.sql"
grep -q "scan.bounded" "$tmp/unbounded.sql" && bad "the unbounded table still has 'scan.bounded.mode'"
visible() { read_committed "out-$1" | wc -l; }
seed=${EOS_SEED:-$$}
RANDOM=$seed
echo "kills: seed $seed"
kills=0
for k in 1 2 3 4 5 6; do
  ksource=$tmp/unbounded.sql krun kill exactly-once >> "$tmp/log-kill" 2>&1 &
  bg=$!
  bgs+=("$bg")
  # the delay counts from the sluice process's start, not the shell's fork
  for _ in $(seq 1 200); do [ -n "$(sluices $bg)" ] || ! kill -0 $bg 2> /dev/null && break; sleep 0.01; done
  sleep "0.$(printf '%03d' $((RANDOM % 400 + 100)))"
  for p in $(sluices $bg); do kill -KILL "$p" 2> /dev/null; done
  wait $bg
  rc=$?
  [ $rc -eq 137 ] && kills=$((kills + 1))
done
[ $kills -eq 6 ] || bad "only $kills of 6 runs were killed while running"
ksource=$tmp/unbounded.sql krun kill exactly-once >> "$tmp/log-kill" 2>&1 &
bg=$!
bgs+=("$bg")
want_rows=$(wc -l < "$tmp/want")
for _ in $(seq 1 90); do
  [ "$(visible kill)" -ge "$want_rows" ] && break
  kill -0 $bg 2> /dev/null || break
  sleep 1
done
for p in $(sluices $bg); do kill -INT "$p" 2> /dev/null; done
wait $bg
rc=$?
if [ $rc -eq 0 ]; then
  exactly "after $kills SIGKILLs" kill
  # sluice itself as the read_committed reader (its Kafka source's default)
  if timeout -k 5 120 "$bin" run "$here/kafka_q1_readback.sql" --set OUT_TOPIC=out-kill \
    --set BOOTSTRAP_SERVERS="$bs" --set OUT="$tmp/readback" --quiet > "$tmp/log-readback" 2>&1; then
    cat "$tmp/readback"/part-* 2> /dev/null | LC_ALL=C sort > "$tmp/got-sluice"
    if cmp -s "$tmp/got-sluice" "$tmp/want"; then
      echo "ok   read by sluice (read_committed): $(wc -l < "$tmp/got-sluice") rows, each exactly once"
    else
      bad "read by sluice: $(wc -l < "$tmp/got-sluice") rows, want $(wc -l < "$tmp/want")"
      LC_ALL=C comm -3 "$tmp/want" "$tmp/got-sluice" | head -4
    fi
  else
    bad "sluice reading out-kill failed"
    tail -3 "$tmp/log-readback"
  fi
else
  bad "after $kills kills: the last run (stopped with SIGINT) exited $rc"
  tail -5 "$tmp/log-kill"
fi

# ---- 3. control: at-least-once writes rows twice after the same crash -----------------------
SLUICE_CRASH_AT=ckpt.after_snapshot@3 krun alo at-least-once > "$tmp/log-alo" 2>&1
rc=$?
if [ $rc -ne 137 ]; then
  bad "at-least-once control: exit $rc, the crash point did not fire"
elif ! finish alo at-least-once; then
  bad "at-least-once control: the restarted job did not complete"
  tail -5 "$tmp/log-alo"
else
  read_committed out-alo > "$tmp/got"
  twice=$(($(wc -l < "$tmp/got") - $(LC_ALL=C sort -u "$tmp/got" | wc -l)))
  missing=$(LC_ALL=C comm -23 "$tmp/want" "$tmp/got" | wc -l)
  if [ "$twice" -gt 0 ] && [ "$missing" -eq 0 ]; then
    echo "ok   at-least-once control: every row, $twice of them twice"
  else
    bad "at-least-once control: $twice rows twice (want some), $missing missing (want 0)"
  fi
fi
# ---- 4. a zombie ---------------------------------------------------------------------------
zkport=$(sed -n 's/^clientPort=//p' "$kdir/zk/zoo.cfg")
[ -n "$zkport" ] || { bad "zombie: no ZooKeeper port in $kdir/zk/zoo.cfg"; exit 1; }
zk=127.0.0.1:$zkport/sluice-eos
parts=3
# sections 4 to 6: zevents events in two halves (header: fewer with SLUICE_TEST_SMALL)
zevents=$events
[ -n "${SLUICE_TEST_SMALL:-}" ] && [ -z "${EOS_EVENTS:-}" ] && zevents=30000
if [ "$zevents" = "$events" ]; then
  cp "$tmp/want" "$tmp/want-z"
else
  "$bin" gen nexmark --events "$zevents" --base-time $base --rate 1000 --out "$tmp/zevents.json" ||
    exit 1
  sl_reference q1 "$tmp/zevents.json" > "$tmp/want-z"
  [ -s "$tmp/want-z" ] || { echo "FAIL: no reference rows for $zevents events"; exit 1; }
  echo "sections 4-6: $zevents events (SLUICE_TEST_SMALL)"
fi
half=$((zevents / 2)) # zevents and half multiples of 3: each gen run starts at partition 0
"$bin" gen nexmark --events $half --base-time $base --rate 1000 --topic zin --brokers "$bs" \
  --property log_level=3 || { echo "FAIL: sluice gen to Kafka (zin)"; exit 1; }
ends=
for ((p = 0; p < parts; p++)); do ends="${ends}partition:$p,offset:$((zevents / parts));"; done
sed "s/'scan.bounded.mode' = 'latest-offset'/'scan.bounded.mode' = 'specific-offsets', 'scan.bounded.specific-offsets' = '$ends'/" \
  "$here/ckpt_kafka_bounded.sql" > "$tmp/ztable.sql"
grep -q "'specific-offsets'" "$tmp/ztable.sql" || { echo "FAIL: ckpt_kafka_bounded.sql changed"; exit 1; }
echo "SET 'high-availability.zookeeper.client.session-timeout' = '2 s';" > "$tmp/zset.sql"
zrun() { # the zombie job (not --quiet: the standby says when it leads); background only:
  # exec makes $! the timeout's pid, whose child is the sluice to pause
  exec timeout -k 5 120 "$bin" run "$tmp/zset.sql" "$tmp/ztable.sql" "$ex/ddl_views.sql" \
    "$here/ckpt_q1_kafka_eos.sql" --set BOOTSTRAP_SERVERS="$bs" --set TOPIC=zin \
    --set OUT_TOPIC=out-zombie --set TXN_PREFIX=txn-zombie --set GUARANTEE=exactly-once \
    --set NEXMARK_TABLE=kafka --workers 2 --checkpoint-interval 20 \
    --state-dir "$tmp/state-zombie" --job zombie --zk "$zk"
}
zepoch() {
  "$bin" checkpoints --job zombie --state-dir "$tmp/state-zombie" --zk "$zk" 2> /dev/null |
    sed -n 's/.*current record: epoch \([0-9]*\) COMMITTED.*/\1/p'
}
zrun > "$tmp/log-za" 2>&1 &
za=$!
bgs+=("$za")
t0=$SECONDS
until [ "$(zepoch)" -ge 2 ] 2> /dev/null || ! kill -0 $za 2> /dev/null ||
  [ $((SECONDS - t0)) -ge 60 ]; do sleep 0.05; done
apid=$(pgrep -P $za -x sluice)
if [ -z "$apid" ] || ! kill -0 $za 2> /dev/null; then
  bad "zombie: the first process did not run until its 2nd epoch"; tail -5 "$tmp/log-za"
else
  # the second process starts while the first leads, so it must wait as a standby (started
  # after the pause, it could come up after the paused leader's session had expired - a
  # start of more than 2 s under load - and lead at once)
  zrun > "$tmp/log-zb" 2>&1 &
  zb=$!
  bgs+=("$zb")
  t0=$SECONDS
  until grep -q "waiting as a standby" "$tmp/log-zb" || ! kill -0 $zb 2> /dev/null ||
    [ $((SECONDS - t0)) -ge 60 ]; do sleep 0.05; done
  grep -q "waiting as a standby" "$tmp/log-zb" ||
    { bad "zombie: the second process did not wait as a standby"; tail -5 "$tmp/log-zb"; }
  kill -STOP "$apid"
  paused_at=$("$bin" checkpoints --job zombie --state-dir "$tmp/state-zombie" --zk "$zk" 2> /dev/null |
    sed -n 's/.*current record: epoch \([0-9]*\) \([A-Z]*\).*/\1 \2/p')
  t0=$SECONDS
  until grep -q "is the leader now" "$tmp/log-zb" || ! kill -0 $zb 2> /dev/null ||
    [ $((SECONDS - t0)) -ge 60 ]; do sleep 0.05; done
  grep -q "is the leader now" "$tmp/log-zb" ||
    { bad "zombie: the standby did not take over from the paused leader"; tail -5 "$tmp/log-zb"; }
  "$bin" gen nexmark --events $half --start $half --base-time $base --rate 1000 --topic zin \
    --brokers "$bs" --property log_level=3 || bad "zombie: sluice gen (second half)"
  wait $zb
  rc=$?
  [ $rc -eq 0 ] || { bad "zombie: the standby's run exited $rc"; tail -5 "$tmp/log-zb"; }
  # the group's offsets as the job left them (section 5), read before the zombie resumes:
  # its librdkafka may still send an offset commit it had queued when it was paused, which
  # would set the group back - monitoring only, the job's positions are its checkpoints'
  "$src/tools/kafka.sh" groups --bootstrap-server "$bs" --describe --group nexmark \
    > "$tmp/groups" 2>&1 || bad "consumer groups tool: $(tail -2 "$tmp/groups")"
  kill -CONT "$apid"
  wait $za
  rc=$?
  if [ $rc -eq 0 ]; then
    bad "zombie: the resumed process ended well: it should have lost its leadership"
  elif ! grep -Eq "session expired|fenced" "$tmp/log-za"; then
    bad "zombie: the resumed process failed without saying it was replaced (exit $rc)"
    tail -3 "$tmp/log-za"
  else
    echo "ok   zombie: paused at epoch $paused_at, replaced, resumed: exit $rc, $(grep -Eo "session expired|fenced" "$tmp/log-za" | head -1)"
  fi
  exactly "zombie and its standby" zombie "$tmp/want-z"
fi
# ---- 5. the consumer group ------------------------------------------------------------------
groups() { "$src/tools/kafka.sh" groups --bootstrap-server "$bs" --describe --group "$1" 2>&1; }
n=$(awk -v end=$((zevents / parts)) '$1 == "nexmark" && $2 == "zin" && $4 == end && $6 == 0' \
  "$tmp/groups" | wc -l)
if [ "$n" -eq $parts ]; then
  echo "ok   consumer group 'nexmark': zin's $parts partitions committed at their end, lag 0"
else
  bad "consumer group 'nexmark': $n of $parts partitions of zin at offset $((zevents / parts))"
  grep -E "GROUP|zin" "$tmp/groups"
fi
sed "s/'properties.group.id' = 'nexmark'/'properties.group.id' = 'quiet', 'properties.commit.offsets.on.checkpoint' = 'false'/" \
  "$tmp/ztable.sql" > "$tmp/qtable.sql"
grep -q "'quiet'" "$tmp/qtable.sql" || bad "ckpt_kafka_bounded.sql has no group 'nexmark'"
timeout -k 5 120 "$bin" run "$tmp/qtable.sql" "$ex/ddl_views.sql" "$here/ckpt_q1_kafka_eos.sql" \
  --set BOOTSTRAP_SERVERS="$bs" --set TOPIC=zin --set OUT_TOPIC=out-quiet --set TXN_PREFIX=txn-quiet \
  --set GUARANTEE=exactly-once --set NEXMARK_TABLE=kafka --quiet --workers 2 \
  --checkpoint-interval 20 --state-dir "$tmp/state-quiet" --job quiet > "$tmp/log-quiet" 2>&1 ||
  { bad "the job with commit.offsets.on.checkpoint = false failed"; tail -3 "$tmp/log-quiet"; }
groups quiet > "$tmp/groups-quiet"
if grep -q "zin" "$tmp/groups-quiet"; then
  bad "'properties.commit.offsets.on.checkpoint' = 'false': offsets were committed anyway"
else
  echo "ok   'properties.commit.offsets.on.checkpoint' = 'false': nothing committed to the group"
fi
# ---- 6. the broker away for longer than the transaction timeout ------------------------------
"$bin" gen nexmark --events $half --base-time $base --rate 1000 --topic din --brokers "$bs" \
  --property log_level=3 || { echo "FAIL: sluice gen to Kafka (din)"; exit 1; }
sed "s/'scan.bounded.mode' = 'latest-offset'/'scan.bounded.mode' = 'specific-offsets', 'scan.bounded.specific-offsets' = '$ends'/" \
  "$here/ckpt_kafka_bounded.sql" > "$tmp/dtable.sql"
# the sink's producers get the transaction timeout through --property (every Kafka client)
drun() {
  timeout -k 5 180 "$bin" run "$tmp/dtable.sql" "$ex/ddl_views.sql" \
    "$here/ckpt_q1_kafka_eos.sql" --set BOOTSTRAP_SERVERS="$bs" --set TOPIC=din \
    --set OUT_TOPIC=out-down --set TXN_PREFIX=txn-down --set GUARANTEE=exactly-once \
    --set NEXMARK_TABLE=kafka --workers 2 --checkpoint-interval 20 \
    --property transaction.timeout.ms=3000 --state-dir "$tmp/state-down" --job down
}
depoch() {
  "$bin" checkpoints --job down --state-dir "$tmp/state-down" 2> /dev/null |
    sed -n 's/.*current record: epoch \([0-9]*\) COMMITTED.*/\1/p'
}
drun > "$tmp/log-down" 2>&1 &
dj=$!
bgs+=("$dj")
t0=$SECONDS
until [ "$(depoch)" -ge 3 ] 2> /dev/null || ! kill -0 $dj 2> /dev/null ||
  [ $((SECONDS - t0)) -ge 60 ]; do sleep 0.05; done
if ! kill -0 $dj 2> /dev/null; then
  bad "broker away: the job ended before the broker went down"; tail -5 "$tmp/log-down"
else
  down_at=$(depoch)
  "$src/tools/kafka.sh" down --dir "$kdir" > /dev/null 2>&1 || bad "kafka.sh down failed"
  sleep 5
  "$src/tools/kafka.sh" up --dir "$kdir" > /dev/null 2>&1 || bad "kafka.sh up failed"
  "$bin" gen nexmark --events $half --start $half --base-time $base --rate 1000 --topic din \
    --brokers "$bs" --property log_level=3 || bad "broker away: sluice gen (second half)"
  wait $dj
  rc=$?
  how="rode through"
  if [ $rc -ne 0 ]; then
    how="failed ($(grep -Eo "checkpoint [0-9]+ failed[^:(]*" "$tmp/log-down" | head -1)), resumed"
    grep -q "failed" "$tmp/log-down" || bad "broker away: the run exited $rc without saying why"
    for k in 1 2 3 4; do
      drun >> "$tmp/log-down" 2>&1 && { rc=0; break; }
      rc=$?
      [ $rc -eq 3 ] && tail -1 "$tmp/log-down" | grep -q "already finished" && { rc=0; break; }
    done
  fi
  if [ $rc -ne 0 ]; then
    bad "broker away: the job did not complete (exit $rc)"; tail -5 "$tmp/log-down"
  else
    echo "ok   broker away 5 s at epoch $down_at: the job $how"
    exactly "broker away longer than the transaction timeout" down "$tmp/want-z"
  fi
fi
[ $fail -eq 0 ] && echo "PASS"
exit $fail

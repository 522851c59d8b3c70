#!/usr/bin/env bash
# tests/sql/test_checkpoint_kafka.sh - exactly-once from Kafka to files across crashes, and
# the Kafka sink's at-least-once, end to end over the real Kafka protocol.
#
# `sluice kafka-mock` runs as its own process (3 partitions) and stays up for the whole
# test; `sluice gen nexmark` fills its topic. The job reads it through ckpt_kafka_bounded.sql
# (ddl_kafka.sql with 'scan.bounded.mode' = 'latest-offset', so a run ends by itself once it
# has read what the topic held at the first start), with checkpoints every 5 ms (20 ms on the bigger topic) at 2 workers.
#   1. crash points (SLUICE_CRASH_AT: _exit(137) in the 2nd or 3rd epoch), then the same
#      command again until the job completes: the visible part files must hold exactly the
#      reference.py rows of the same events, nothing missing, nothing twice. q1 (stateless)
#      and tumble_stats (window state crossing the restarts).
#   2. SIGKILL at random moments several times in a row, then a run to the end: the same
#      comparison (on a bigger topic of 12 partitions, so that a run lasts a while).
#   3. the Kafka sink (at-least-once): q1 from the bigger topic into another, killed once
#      after its 2nd committed epoch (rows delivered before and after it), restarted to the end; every reference row is in the output topic (read back
#      with kcat), none that is not a reference row; duplicates are allowed.
# Every run is wrapped in `timeout -k 5 120`: a hang shows as a failure with its log.
# SLUICE_TEST_SMALL (tools/test.sh sets it in the ASan step): tumble_stats at every crash
# point, q1 at the sink's (fs_sink.before_rename, ckpt.after_sink_commit: q1 writes rows every
# epoch, tumble_stats only when a window ends), and the random SIGKILLs of tumble_stats only:
# q1's restarts elsewhere take tumble_stats's paths (its snapshots hold the Kafka offsets
# too, and window state besides), and under ASan they would only repeat them on 100000
# events. Unset (the release build), both queries everywhere.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
mock=
mock2=
bg=
cleanup() {
  [ -n "$bg" ] && pkill -KILL -P "$bg" 2>/dev/null
  [ -n "$mock" ] && kill "$mock" 2>/dev/null && wait "$mock" 2>/dev/null
  [ -n "$mock2" ] && kill "$mock2" 2>/dev/null && wait "$mock2" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
command -v kcat > /dev/null || { echo "skip: no kcat"; exit 77; }
fail=0
bad() { echo "FAIL $*"; fail=1; }
events=${CKPT_KAFKA_EVENTS:-20000}
base=1700000000000

"$bin" kafka-mock --topic nexmark --partitions 3 > "$tmp/mock.out" 2> "$tmp/mock.err" &
mock=$!
for _ in $(seq 1 100); do [ -s "$tmp/mock.out" ] && break; sleep 0.1; done
bs=$(head -1 "$tmp/mock.out")
[ -n "$bs" ] || { echo "FAIL: kafka-mock printed no address"; cat "$tmp/mock.err"; exit 1; }
# a second mock for the kills: a bigger topic (the mock keeps about 5 MiB per partition, so
# 12 partitions for 100000 events of about 330 bytes), so that a run lasts long enough to be
# killed several times
"$bin" kafka-mock --topic big --topic q1out --partitions 12 > "$tmp/mock2.out" 2> "$tmp/mock2.err" &
mock2=$!
for _ in $(seq 1 100); do [ -s "$tmp/mock2.out" ] && break; sleep 0.1; done
bs2=$(head -1 "$tmp/mock2.out")
[ -n "$bs2" ] || { echo "FAIL: the second kafka-mock printed no address"; cat "$tmp/mock2.err"; exit 1; }

"$bin" gen nexmark --events $events --base-time $base --rate 1000 --topic nexmark \
    --brokers "$bs" || { echo "FAIL: sluice gen to Kafka"; exit 1; }
"$bin" gen nexmark --events $events --base-time $base --rate 1000 --out "$tmp/events.json" || exit 1
big=${CKPT_KAFKA_BIG:-100000}
"$bin" gen nexmark --events $big --base-time $base --rate 1000 --topic big --brokers "$bs2" ||
    { echo "FAIL: sluice gen to Kafka (big)"; exit 1; }
"$bin" gen nexmark --events $big --base-time $base --rate 1000 --out "$tmp/big.json" || exit 1
for q in q1 tumble_stats; do
  sl_reference $q "$tmp/events.json" > "$tmp/want-$q"
  sl_reference $q "$tmp/big.json" > "$tmp/want-big-$q"
done

common=(--set BOOTSTRAP_SERVERS="$bs" --set TOPIC=nexmark --set NEXMARK_TABLE=kafka --quiet
        --workers 2 --checkpoint-interval 5)
bigargs=(--set BOOTSTRAP_SERVERS="$bs2" --set TOPIC=big --set NEXMARK_TABLE=kafka --quiet
         --workers 2 --checkpoint-interval 20)
krun() { # query, dir, extra args...
  local q=$1 d=$2
  shift 2
  local args=("${common[@]}")
  [ "${BIG:-}" ] && args=("${bigargs[@]}")
  timeout -k 5 120 "$bin" run "$here/ckpt_kafka_bounded.sql" "$ex/ddl_views.sql" "$here/${q}_fs.sql" \
      "${args[@]}" --set OUT="$d/out" --state-dir "$d/state" --job j "$@"
}

compare() { # label, query, outdir
  cat "$3"/part-* 2>/dev/null | LC_ALL=C sort > "$tmp/got"
  if cmp -s "$tmp/got" "$tmp/want-$2" && [ -s "$tmp/want-$2" ]; then
    echo "ok   $1 ($(wc -l < "$tmp/got") rows)"
  else
    bad "$1: $(wc -l < "$tmp/got") rows, want $(wc -l < "$tmp/want-$2")"
    diff "$tmp/got" "$tmp/want-$2" | head -6
  fi
  if ls -A "$3" | grep -q '^\.'; then
    bad "$1: hidden part files left after a completed run: $(ls -A "$3" | grep '^\.' | head -3)"
  fi
}

finish() { # query, dir: resume until the job completes (at most 5 runs)
  local k
  for k in 1 2 3 4 5; do
    krun "$1" "$2" >> "$2/log" 2>&1 && return 0
    local rc=$?
    # 3: the job had completed before the kill (its finished marker was written)
    [ $rc -eq 3 ] && tail -1 "$2/log" | grep -q "already finished" && return 0
    echo "  (resume $k exited $rc)" >> "$2/log"
  done
  return 1
}

kill_run() { # pid of a background `krun`: SIGKILL its sluice (bash may have exec'ed timeout)
  local t
  pkill -KILL -P "$1" -x sluice 2>/dev/null
  for t in $(pgrep -P "$1" -x timeout); do pkill -KILL -P "$t" -x sluice 2>/dev/null; done
}

committed() { # dir -> the newest committed epoch, or 0
  local e
  e=$("$bin" checkpoints --job j --state-dir "$1/state" 2>/dev/null |
      sed -n 's/.*current record: epoch \([0-9]*\) COMMITTED.*/\1/p')
  echo "${e:-0}"
}

# ---- 1. crash points --------------------------------------------------------------------
crash_points=(ckpt.before_snapshot@2 snapshot.before_rename@2 ckpt.after_manifest@2
              ckpt.after_prepared@2 fs_sink.before_rename@2 ckpt.after_sink_commit@2)
for q in q1 tumble_stats; do
  for cp in "${crash_points[@]}"; do
    if [ -n "${SLUICE_TEST_SMALL:-}" ] && [ $q = q1 ]; then
      case $cp in fs_sink.* | ckpt.after_sink_commit@*) ;; *) continue ;; esac
    fi
    d=$tmp/$q-$cp
    mkdir -p "$d"
    SLUICE_CRASH_AT=$cp krun $q "$d" > "$d/log" 2>&1
    rc=$?
    if [ $rc -ne 137 ]; then
      bad "$q crash at $cp: exit $rc, the crash point did not fire"; tail -3 "$d/log"; continue
    fi
    if ! finish $q "$d"; then
      bad "$q crash at $cp: the restarted job did not complete"; tail -5 "$d/log"; continue
    fi
    compare "$q crash at $cp, restarted" $q "$d/out"
    rm -rf "$d"
  done
done

# ---- 2. SIGKILL several times ---------------------------------------------------------------
seed=${CKPT_SEED:-$$}
RANDOM=$seed
echo "kills: seed $seed"
kill_queries="q1 tumble_stats"
[ -n "${SLUICE_TEST_SMALL:-}" ] && kill_queries=tumble_stats && echo "kills: tumble_stats only (SLUICE_TEST_SMALL)"
for q in $kill_queries; do
  d=$tmp/$q-kill
  mkdir -p "$d"
  kills=0
  for k in 1 2 3 4 5 6; do
    BIG=1 krun $q "$d" >> "$d/log" 2>&1 &
    bg=$!
    sleep "0.$(printf '%03d' $((RANDOM % 150 + 30)))"
    kill_run $bg
    wait $bg
    rc=$?
    bg=
    [ $rc -eq 137 ] && kills=$((kills + 1))
    [ $rc -eq 0 ] && break # it ended before the kill
  done
  if ! BIG=1 finish $q "$d"; then
    bad "$q after $kills kills: the restarted job did not complete"; tail -5 "$d/log"; continue
  fi
  [ $kills -ge 2 ] || bad "$q: only $kills runs were killed while running (want 2 or more)"
  compare "$q after $kills SIGKILLs (epoch $(committed "$d") last)" big-$q "$d/out"
  rm -rf "$d"
done

# ---- 3. the Kafka sink: at-least-once -------------------------------------------------------
d=$tmp/sink
mkdir -p "$d"
# the first run paced (50 000 records/s: about 2 s for the input) so that it is still running
# when its 2nd epoch commits, however loaded the machine; unpaced, a loaded run's monitor
# could trigger its epochs late and the input end first ("not killed while running", seen
# once in the test command's release step); the restart runs unpaced
echo "SET 'sluice.source.kafka.scan.rate-limit' = '50000';" > "$d/pace.sql"
ksink() {
  timeout -k 5 120 "$bin" run "$here/ckpt_kafka_bounded.sql" "$ex/ddl_views.sql" \
      "$here/ckpt_q1_kafka.sql" ${PACE:+"$d/pace.sql"} "${bigargs[@]}" --set OUT_TOPIC=q1out --state-dir "$d/state" \
      --job k >> "$d/log" 2>&1
}
PACE=1 ksink &
bg=$!
t0=$SECONDS
until [ "$("$bin" checkpoints --job k --state-dir "$d/state" 2>/dev/null |
           sed -n 's/.*current record: epoch \([0-9]*\) COMMITTED.*/\1/p')" -ge 2 ] 2>/dev/null ||
      ! kill -0 $bg 2>/dev/null || [ $((SECONDS - t0)) -ge 60 ]; do
  sleep 0.01
done
kill_run $bg # SIGKILL the sluice process itself, not the timeout above it
wait $bg
rc=$?
bg=
at=$("$bin" checkpoints --job k --state-dir "$d/state" 2>/dev/null | sed -n '3p' | cut -c1-120)
if [ $rc -ne 137 ]; then
  bad "kafka sink: the first run was not killed while running (exit $rc)"; tail -3 "$d/log"
elif ksink; rc=$?; [ $rc -ne 0 ] && ! { [ $rc -eq 3 ] && tail -1 "$d/log" | grep -q "already finished"; }; then
  # exit 3 "already finished": the kill came after the job had completed (its finished
  # marker written) - its output must then be complete all the same
  bad "kafka sink: the restarted run failed"; tail -5 "$d/log"
else
  [ $rc -eq 3 ] && at="$at (after the job had completed)"
  kcat -b "$bs2" -X fetch.wait.max.ms=10 -X socket.nagle.disable=true -C -t q1out \
      -o beginning -e -q -f '%s\n' > "$d/topic" 2> "$d/kcat.err" || bad "kafka sink: kcat -C failed"
  LC_ALL=C sort "$d/topic" > "$d/got"
  LC_ALL=C sort -u "$d/topic" > "$d/got-uniq"
  LC_ALL=C sort -u "$tmp/want-big-q1" > "$d/want-uniq"
  missing=$(LC_ALL=C comm -23 "$d/want-uniq" "$d/got-uniq" | wc -l)
  extra=$(LC_ALL=C comm -13 "$d/want-uniq" "$d/got-uniq" | wc -l)
  twice=$(( $(wc -l < "$d/got") - $(wc -l < "$d/got-uniq") ))
  if [ "$missing" -eq 0 ] && [ "$extra" -eq 0 ] && [ -s "$d/got" ]; then
    echo "ok   kafka sink killed once, restarted: every one of $(wc -l < "$tmp/want-big-q1") rows in the topic ($twice written twice; killed at: $at)"
  else
    bad "kafka sink: $missing reference rows missing from the topic, $extra rows not in the reference ($twice written twice)"
    LC_ALL=C comm -3 "$d/want-uniq" "$d/got-uniq" | head -4
  fi
fi
exit $fail

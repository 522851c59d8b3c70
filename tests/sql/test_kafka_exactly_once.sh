#!/usr/bin/env bash
# tests/sql/test_kafka_exactly_once.sh - Kafka -> sluice -> Kafka exactly once, against a
# real Apache Kafka broker (tools/kafka.sh, KRaft), killed at every step of the protocol.
#
# N Nexmark events go into a 3-partition topic; the job (ckpt_kafka_bounded.sql: bounded
# at what the topic holds, so a run ends by itself) writes Nexmark q1 into another topic
# with 'sink.delivery-guarantee' = 'exactly-once' (ckpt_q1_kafka_eos.sql), 2 workers,
# checkpoints every 20 ms. A read_committed reader (kcat -X isolation.level=read_committed)
# must then see exactly reference.py's q1 rows: every row once, none twice, none missing.
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
#   2. SIGKILL at random moments several times in a row, then a run to the end.
#   3. control: the same job with 'at-least-once', crashed at ckpt.after_snapshot@3 (its
#      prepare had waited for every delivery of the epoch), shows rows twice - so the
#      exactly-once comparison above can fail.
# Without a broker the test FAILS (it does not skip).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
kdir=
bg=
cleanup() {
  [ -n "$bg" ] && pkill -KILL -P "$bg" 2> /dev/null
  [ -n "$kdir" ] && "$src/tools/kafka.sh" stop --dir "$kdir" > /dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
command -v kcat > /dev/null || { echo "FAIL: no kcat (tools/setup.sh installs it)"; exit 1; }
fail=0
bad() { echo "FAIL $*"; fail=1; }

out=$("$src/tools/kafka.sh" start --kraft --partitions 3 --owner $$) ||
  { echo "FAIL: no Kafka broker (tools/kafka.sh start --kraft failed: see above)"; exit 1; }
eval "$out"
kdir=$KAFKA_DIR
bs=$BOOTSTRAP

events=${EOS_EVENTS:-150000}
base=1700000000000
"$bin" gen nexmark --events "$events" --base-time $base --rate 1000 --topic nexmark \
  --brokers "$bs" --property log_level=3 || { echo "FAIL: sluice gen to Kafka"; exit 1; }
"$bin" gen nexmark --events "$events" --base-time $base --rate 1000 --out "$tmp/events.json" ||
  exit 1
python3 "$here/reference.py" q1 "$tmp/events.json" | LC_ALL=C sort > "$tmp/want"
[ -s "$tmp/want" ] || { echo "FAIL: no reference rows"; exit 1; }

krun() { # name (job, output topic, transactional ids), guarantee, extra args...
  local n=$1 g=$2
  shift 2
  timeout -k 5 120 "$bin" run "$here/ckpt_kafka_bounded.sql" "$ex/ddl_views.sql" \
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

exactly() { # label, name: the output topic holds the reference rows exactly once
  read_committed "out-$2" > "$tmp/got"
  local twice missing extra
  twice=$(($(wc -l < "$tmp/got") - $(LC_ALL=C sort -u "$tmp/got" | wc -l)))
  missing=$(LC_ALL=C comm -23 "$tmp/want" "$tmp/got" | wc -l)
  extra=$(LC_ALL=C comm -13 "$tmp/want" "$tmp/got" | wc -l)
  if cmp -s "$tmp/got" "$tmp/want"; then
    echo "ok   $1: $(wc -l < "$tmp/got") rows, each exactly once"
  else
    bad "$1: $(wc -l < "$tmp/got") rows, want $(wc -l < "$tmp/want"): $twice twice, $missing missing, $extra not in the reference"
    LC_ALL=C comm -3 "$tmp/want" "$tmp/got" | head -4
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
seed=${EOS_SEED:-$$}
RANDOM=$seed
echo "kills: seed $seed"
kills=0
for k in 1 2 3 4 5 6; do
  krun kill exactly-once >> "$tmp/log-kill" 2>&1 &
  bg=$!
  sleep "0.$(printf '%03d' $((RANDOM % 400 + 100)))"
  pkill -KILL -P "$bg" -x sluice 2> /dev/null
  for t in $(pgrep -P "$bg" -x timeout); do pkill -KILL -P "$t" -x sluice 2> /dev/null; done
  wait $bg
  rc=$?
  bg=
  [ $rc -eq 137 ] && kills=$((kills + 1))
  [ $rc -eq 0 ] && break # it ended before the kill
done
if finish kill exactly-once; then
  [ $kills -ge 2 ] || bad "only $kills runs were killed while running (want 2 or more)"
  exactly "after $kills SIGKILLs" kill
else
  bad "after $kills kills: the restarted job did not complete"
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
[ $fail -eq 0 ] && echo "PASS"
exit $fail

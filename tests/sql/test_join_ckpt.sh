#!/usr/bin/env bash
# tests/sql/test_join_ckpt.sh - the joins of two streams (engine/ops/op_join.c, op_ijoin.c)
# across crashes: both sides' rows (the join's state), the messages between workers and the two
# sources' positions are checkpointed and restored, exactly once.
#
# The paced Nexmark source (nexmark_paced.sql: 5000 events per second of wall time) feeds
# Nexmark q20 (bids joined with their auctions of category 10: two sources, one join) and
# join3 (bid JOIN auction JOIN person: three sources, two joins) with filesystem sinks,
# outer_ckpt (auction FULL JOIN person: its state has match counts, its output retracts
# null-padded rows; a debezium-json file folded by changelog_fold.py, which also fails on a
# retraction of a row that is not there), ujoin_ckpt (auction LEFT JOIN a GROUP BY of the
# bids: a join over an updating input, whose state takes rows away again; folded the same
# way) and ijoin (an interval join of the bids with their
# auctions: engine/ops/op_ijoin.c, whose state also holds the watermarks on their way to the
# owners and shrinks as they pass), at 2 workers with a checkpoint every 50 ms. The job dies
# at a named step of a later epoch
# (SLUICE_CRASH_AT: _exit(137)), or by SIGKILL at random moments four times in a row, and the
# same command resumes it to the end. The committed rows (sorted) must equal a crash-free
# run's: a restored side that lost rows would miss joined rows, one that kept rows twice, or
# a replayed source whose rows the state already had, would write them twice. A crash point
# that never fired, or a restart that did not resume from a checkpoint, fails the test.
# SLUICE_TEST_SMALL (tools/test.sh sets it in the ASan step): every crash point, the random
# SIGKILLs of join3 only (its two joins take q20's join paths; the kills restore from a
# committed epoch as the crash points do); unset (the release build), of q20 and join3.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
rate=5000
events=15000
base=1700000008000
run() { # query, dir, extra arguments...
  local q=$1 d=$2
  shift 2
  timeout -k 5 120 "$bin" run "$here/nexmark_paced.sql" "$ex/ddl_views.sql" "$here/${q}_fs.sql" \
    --set TPS=$rate --set EVENTS_NUM=$events --set BASE_TIME=$base --set NEXMARK_TABLE=datagen \
    --set OUT="$d/out" --workers 2 --quiet "$@"
}
rows() { # dir, query
  if [ "$2" = outer_ckpt ]; then
    python3 "$here/changelog_fold.py" debezium id,seller,pid,name "$1"
  elif [ "$2" = ujoin_ckpt ]; then
    python3 "$here/changelog_fold.py" debezium id,cnt,top "$1"
  else
    cat "$1"/part-* 2>/dev/null | LC_ALL=C sort
  fi
}
for q in q20 join3 outer_ckpt ujoin_ckpt ijoin; do
  mkdir -p "$tmp/ref-$q"
  run $q "$tmp/ref-$q" > "$tmp/ref-$q/log" 2>&1 ||
    { echo "FAIL: $q without a crash"; tail -3 "$tmp/ref-$q/log"; exit 1; }
  rows "$tmp/ref-$q/out" $q > "$tmp/want-$q"
  [ -s "$tmp/want-$q" ] || { echo "FAIL: $q wrote no rows"; exit 1; }
done
check() { # label, query, dir
  rows "$3/out" "$2" > "$3/got"
  if cmp -s "$3/got" "$tmp/want-$2"; then
    echo "ok   $1 ($(wc -l < "$3/got") rows, as without a crash)"
  else
    echo "FAIL $1: $(wc -l < "$3/got") rows, want $(wc -l < "$tmp/want-$2"); < got, > want:"
    diff "$3/got" "$tmp/want-$2" | head -6
    fail=1
  fi
}
for qcp in q20:ckpt.before_snapshot@3 q20:ckpt.after_committed@3 join3:snapshot.after_write@4 \
  join3:ckpt.after_committed@3 outer_ckpt:snapshot.after_write@4 \
  outer_ckpt:ckpt.after_committed@3 ujoin_ckpt:snapshot.after_write@4 \
  ujoin_ckpt:ckpt.after_committed@3 ijoin:ckpt.before_snapshot@3 ijoin:ckpt.after_committed@4; do
  q=${qcp%%:*} cp=${qcp#*:}
    d="$tmp/$q-$cp"
    mkdir -p "$d"
    SLUICE_CRASH_AT=$cp run $q "$d" --checkpoint-interval 50 --state-dir "$d/state" --job j \
      > "$d/log" 2>&1
    rc=$?
    if [ $rc -ne 137 ]; then
      echo "FAIL $q crash at $cp: exit $rc, the crash point did not fire"; tail -3 "$d/log"
      fail=1; continue
    fi
    if ! run $q "$d" --checkpoint-interval 50 --state-dir "$d/state" --job j >> "$d/log" 2>&1; then
      echo "FAIL $q crash at $cp: the restarted job did not complete"; tail -5 "$d/log"
      fail=1; continue
    fi
    if ! grep -q "resuming from epoch [1-9]" "$d/log"; then
      echo "FAIL $q crash at $cp: the restarted job did not resume from a checkpoint"
      tail -3 "$d/log"; fail=1
    fi
    check "$q crash at $cp, restarted" $q "$d"
done
# SIGKILL at random moments, four times in a row, then to the end (more events: the runs
# must still be going when killed)
events=25000
kill_queries="q20 join3"
[ -n "${SLUICE_TEST_SMALL:-}" ] && kill_queries=join3 && echo "random kills: join3 only (SLUICE_TEST_SMALL)"
for q in $kill_queries; do
  mkdir -p "$tmp/ref2-$q"
  run $q "$tmp/ref2-$q" > "$tmp/ref2-$q/log" 2>&1 ||
    { echo "FAIL: $q without a crash"; tail -3 "$tmp/ref2-$q/log"; exit 1; }
  rows "$tmp/ref2-$q/out" $q > "$tmp/want-$q"
done
# SIGKILL the sluice of a background `run` ($1: the job's pid, the subshell that runs the
# function, or the timeout it execs; killing that alone would leave timeout and sluice
# running); true when a sluice was killed
kill_sluice() {
  local t
  pkill -KILL -P "$1" -x sluice 2>/dev/null && return 0
  for t in $(pgrep -P "$1" -x timeout); do pkill -KILL -P "$t" -x sluice 2>/dev/null && return 0; done
  return 1
}
seed=${CKPT_SEED:-$$}
RANDOM=$seed
echo "random kills: seed $seed"
for q in $kill_queries; do
  d="$tmp/$q-kill"
  mkdir -p "$d"
  kills=0
  for k in 1 2 3 4; do
    run $q "$d" --checkpoint-interval 50 --state-dir "$d/state" --job j >> "$d/log" 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 400 + 100)))"
    if kill_sluice $pid; then kills=$((kills + 1)); fi
    wait $pid 2>/dev/null
  done
  run $q "$d" --checkpoint-interval 50 --state-dir "$d/state" --job j >> "$d/log" 2>&1
  rc=$?
  # 3: the job had completed before the last kill (its finished marker was written)
  if [ $rc -ne 0 ] && ! { [ $rc -eq 3 ] && tail -1 "$d/log" | grep -q "already finished"; }; then
    echo "FAIL $q after $kills kills: the restarted job did not complete"; tail -5 "$d/log"
    fail=1; continue
  fi
  [ $kills -ge 2 ] || { echo "FAIL $q: only $kills of 4 runs were still running when killed"; fail=1; }
  check "$q after $kills random SIGKILLs" $q "$d"
done
exit $fail

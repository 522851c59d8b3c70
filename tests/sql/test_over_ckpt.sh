#!/usr/bin/env bash
# tests/sql/test_over_ckpt.sh - OVER aggregates (engine/ops/op_over.c) across crashes: their
# state (the key table, every partition's frame rows and accumulators, the rows waiting for
# the watermark with their strings) is checkpointed and restored, exactly once.
#
# The paced Nexmark source (nexmark_paced.sql: 1000 events per second of wall time and of
# event time, so that no two events share a millisecond: a ROWS frame orders rows of one
# timestamp by their arrival at the owner, which differs from run to run at 2 workers) feeds
# over_rows (AVG, MIN, MAX, SUM, COUNT(*) over the bid and the 10 before it per auction) and
# over_range (the bids of the 2 s before each bid per bidder) into filesystem sinks at 2
# workers with a checkpoint every 50 ms. The job dies (SLUICE_CRASH_AT: _exit(137)) at a step
# of a later epoch, the same command resumes it, and the committed rows must equal those of a
# run without a crash: a frame row lost or counted twice in the restore changes an aggregate,
# a waiting row lost or replayed twice drops or adds a row. A crash point that never fired,
# or a restart that did not resume from a checkpoint, fails the test.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
rate=1000
events=6000
base=1700000008000
queries="over_rows over_range"
# one job, two INSERTs: each query's ${OUT} made a directory of its own
for q in $queries; do
  sed "s|\${OUT}|\${OUT}/$q|" "$here/${q}_fs.sql" > "$tmp/$q.sql"
done
run() { # dir, extra arguments...
  local d=$1
  shift
  timeout -k 5 120 "$bin" run "$here/nexmark_paced.sql" "$ex/ddl_views.sql" \
      "$tmp/over_rows.sql" "$tmp/over_range.sql" --set TPS=$rate \
      --set EVENTS_NUM=$events --set BASE_TIME=$base --set NEXMARK_TABLE=datagen \
      --set OUT="$d/out" --workers 2 "$@"
}
mkdir -p "$tmp/ref"
run "$tmp/ref" > "$tmp/ref/log" 2>&1 || { echo "FAIL: the run without a crash"; tail -3 "$tmp/ref/log"; exit 1; }
for q in $queries; do
  cat "$tmp/ref/out/$q"/part-* 2>/dev/null | LC_ALL=C sort > "$tmp/want-$q"
  [ -s "$tmp/want-$q" ] || { echo "FAIL: the run without a crash wrote no $q rows"; exit 1; }
done
for cp in ckpt.after_committed@2 snapshot.after_write@3; do
  d="$tmp/$cp"
  mkdir -p "$d"
  SLUICE_CRASH_AT=$cp run "$d" --checkpoint-interval 50 --state-dir "$d/state" --job j \
    > "$d/log" 2>&1
  rc=$?
  if [ $rc -ne 137 ]; then
    echo "FAIL crash at $cp: exit $rc, the crash point did not fire"; tail -3 "$d/log"
    fail=1; continue
  fi
  if ! run "$d" --checkpoint-interval 50 --state-dir "$d/state" --job j >> "$d/log" 2>&1; then
    echo "FAIL crash at $cp: the restarted job did not complete"; tail -5 "$d/log"
    fail=1; continue
  fi
  if ! grep -q "resuming from epoch [1-9]" "$d/log"; then
    echo "FAIL crash at $cp: the restarted job did not resume from a checkpoint"
    tail -3 "$d/log"; fail=1
  fi
  for q in $queries; do
    cat "$d/out/$q"/part-* 2>/dev/null | LC_ALL=C sort > "$d/got-$q"
    if cmp -s "$d/got-$q" "$tmp/want-$q"; then
      echo "ok   crash at $cp: $q ($(wc -l < "$tmp/want-$q") rows)"
    else
      echo "FAIL crash at $cp: $q: $(wc -l < "$d/got-$q") rows, want $(wc -l < "$tmp/want-$q")"
      diff "$d/got-$q" "$tmp/want-$q" | head -6; fail=1
    fi
  done
done
exit $fail

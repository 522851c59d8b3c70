#!/usr/bin/env bash
# tests/sql/test_cascade_ckpt.sh - cascaded window aggregations across crashes: the attached
# window's state (the outer aggregation's open and final windows, which take their windows
# from the inner aggregation's window_start / window_end) is checkpointed and restored,
# exactly once.
#
# The paced Nexmark source (nexmark_paced.sql: 5000 events per second of wall time) feeds
# q5 (a HOP count per auction, its cascaded per-window MAX, both joined) and cascade_tumble
# (MAX, SUM and COUNT of per-auction counts per 10 s TUMBLE window) at 2 workers with a
# checkpoint every 50 ms. The events start 2 s before a window boundary, so windows of both
# aggregations are open in the snapshots the crash leaves. The job dies (SLUICE_CRASH_AT:
# _exit(137)) at a step of a later epoch, the same command resumes it, and the output must
# equal reference.py's rows: a window lost or fired twice in the restore changes a row or
# adds one. A crash point that never fired, or a restart that did not resume from a
# checkpoint, fails the test.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
rate=5000
events=15000
base=1700000008000
queries="q5 cascade_tumble"
"$bin" gen nexmark --events $events --base-time $base --rate $rate --splits 2 \
    --out "$tmp/events.json" || exit 1
for q in $queries; do
  sl_reference $q "$tmp/events.json" > "$tmp/want-$q"
done
# one job, two INSERTs: each query's ${OUT} made a directory of its own
for q in $queries; do
  sed "s|\${OUT}|\${OUT}/$q|" "$here/${q}_fs.sql" > "$tmp/$q.sql"
done
run() { # dir
  timeout -k 5 120 "$bin" run "$here/nexmark_paced.sql" "$ex/ddl_views.sql" \
      "$tmp/q5.sql" "$tmp/cascade_tumble.sql" --set TPS=$rate \
      --set EVENTS_NUM=$events --set BASE_TIME=$base --set NEXMARK_TABLE=datagen \
      --set OUT="$1/out" --workers 2 --checkpoint-interval 50 --state-dir "$1/state" --job j
}
for cp in ckpt.after_committed@3 snapshot.after_write@6; do
  d="$tmp/$cp"
  mkdir -p "$d"
  SLUICE_CRASH_AT=$cp run "$d" > "$d/log" 2>&1
  rc=$?
  if [ $rc -ne 137 ]; then
    echo "FAIL crash at $cp: exit $rc, the crash point did not fire"; tail -3 "$d/log"
    fail=1; continue
  fi
  if ! run "$d" >> "$d/log" 2>&1; then
    echo "FAIL crash at $cp: the restarted job did not complete"; tail -5 "$d/log"
    fail=1; continue
  fi
  if ! grep -q "resuming from epoch [1-9]" "$d/log"; then
    echo "FAIL crash at $cp: the restarted job did not resume from a checkpoint"
    tail -3 "$d/log"; fail=1
  fi
  for q in $queries; do
    cat "$d/out/$q"/part-* 2>/dev/null | LC_ALL=C sort > "$d/got-$q"
    if cmp -s "$d/got-$q" "$tmp/want-$q" && [ -s "$tmp/want-$q" ]; then
      echo "ok   crash at $cp: $q ($(wc -l < "$tmp/want-$q") rows)"
    else
      echo "FAIL crash at $cp: $q: $(wc -l < "$d/got-$q") rows, want $(wc -l < "$tmp/want-$q")"
      diff "$d/got-$q" "$tmp/want-$q" | head -6; fail=1
    fi
  done
done
exit $fail

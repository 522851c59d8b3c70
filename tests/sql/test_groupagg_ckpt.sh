#!/usr/bin/env bash
# tests/sql/test_groupagg_ckpt.sh - the unbounded GROUP BY (engine/ops/op_groupagg.c) across
# crashes: its state (every group's accumulators and DISTINCT sets, and the partials of the
# mini-batch not sent yet) is checkpointed and restored, exactly once.
#
# The paced Nexmark source (nexmark_paced.sql: 5000 events per second of wall time) feeds the
# Nexmark repository's q15 (one group, COUNT(DISTINCT) with FILTERs) and q17 (a group per
# auction and day: COUNT, MIN, MAX, AVG, SUM) with their sinks swapped for print, and
# tests/sql/global_agg_print.sql (no GROUP BY keys: one group, state format 2), at 2 workers
# with a checkpoint every 50 ms and mini-batches of 300 rows. The job dies (SLUICE_CRASH_AT:
# _exit(137)) at a step of a later epoch, the same command resumes it, and the final state
# (per key the last +I / +U row printed by the two runs: the resumed run re-emits every key
# its replayed input touches, tests/sql/changelog.py --last-by) must equal the final state of
# a run without a crash: a restored accumulator that lost rows, or counted some twice, would
# print other totals. A crash point that never fired, or a restart that did not resume from a
# checkpoint, fails the test.
#
# Then a GROUP BY over a GROUP BY (an updating input: signed sums, MIN / MAX multisets; its
# groups, the auctions' ids modulo 10, never lose all their rows, so that the last row of each
# is its final state: a group deleted by the replay of a crashed run's tail could print
# nothing in the resumed run), the same way at 1 worker and one crash point (the executor
# cannot yet checkpoint two exchanges in a row: at 2 workers it refuses).
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
for q in q15 q17; do
  sed "s/'connector' = 'blackhole'/'connector' = 'print', 'print-identifier' = '$q'/" \
    "$ex/$q.sql" > "$tmp/$q.sql"
  grep -q "'print-identifier'" "$tmp/$q.sql" || { echo "FAIL: $q.sql has no blackhole sink"; exit 1; }
done
printf "SET 'table.exec.mini-batch.size' = '300';\n" > "$tmp/mb.sql"
run() { # dir, extra arguments...
  local d=$1
  shift
  timeout -k 5 120 "$bin" run "$tmp/mb.sql" "$here/nexmark_paced.sql" "$ex/ddl_views.sql" \
    "$tmp/q15.sql" "$tmp/q17.sql" "$here/global_agg_print.sql" --set TPS=$rate --set EVENTS_NUM=$events \
    --set BASE_TIME=$base --set NEXMARK_TABLE=datagen --workers 2 "$@"
}
run_nested() { # dir, extra arguments...
  local d=$1
  shift
  timeout -k 5 120 "$bin" run "$tmp/mb.sql" "$here/nexmark_paced.sql" "$ex/ddl_views.sql" \
    "$tmp/nested.sql" --set TPS=$rate --set EVENTS_NUM=$events \
    --set BASE_TIME=$base --set NEXMARK_TABLE=datagen --workers 1 "$@"
}
keys() { case $1 in q17) echo 2 ;; global_agg) echo 0 ;; *) echo 1 ;; esac; }
cat > "$tmp/nested.sql" <<'SQL'
CREATE TABLE nested (m BIGINT, auctions BIGINT, bids BIGINT, avg_bids BIGINT, fewest BIGINT,
  most BIGINT, top BIGINT) WITH ('connector' = 'print', 'print-identifier' = 'nested');
INSERT INTO nested
SELECT MOD(auction, 10), COUNT(*), SUM(cnt), AVG(cnt), MIN(cnt), MAX(cnt), MAX(top)
FROM (SELECT auction, COUNT(*) AS cnt, MAX(price) AS top FROM bid GROUP BY auction)
GROUP BY MOD(auction, 10);
SQL
mkdir -p "$tmp/ref"
run "$tmp/ref" > "$tmp/ref/log" 2>&1 || { echo "FAIL: the run without a crash"; tail -3 "$tmp/ref/log"; exit 1; }
for q in q15 q17 global_agg; do
  python3 "$here/changelog.py" --ident $q "$tmp/ref/log" > "$tmp/want-$q" ||
    { echo "FAIL: the reference changelog of $q does not apply"; exit 1; }
  python3 "$here/changelog.py" --ident $q --last-by "$(keys $q)" "$tmp/ref/log" |
    cmp -s - "$tmp/want-$q" || { echo "FAIL: $q: last rows by key differ from the changelog's state"; fail=1; }
done
for cp in ckpt.after_committed@3 snapshot.after_write@5 ckpt.before_snapshot@6; do
  d="$tmp/$cp"
  mkdir -p "$d"
  SLUICE_CRASH_AT=$cp run "$d" --checkpoint-interval 50 --state-dir "$d/state" --job j \
    > "$d/log" 2>&1
  rc=$?
  # a row the crash cut short stays a line of its own, which matches no row (the resumed
  # run's first row would otherwise continue it)
  echo "  (killed at $cp: exit $rc)" >> "$d/log"
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
  for q in q15 q17 global_agg; do
    python3 "$here/changelog.py" --ident $q --last-by "$(keys $q)" "$d/log" > "$d/got-$q"
    if cmp -s "$d/got-$q" "$tmp/want-$q" && [ -s "$tmp/want-$q" ]; then
      echo "ok   crash at $cp: $q ($(wc -l < "$tmp/want-$q") groups)"
    else
      echo "FAIL crash at $cp: $q: $(wc -l < "$d/got-$q") groups, want $(wc -l < "$tmp/want-$q")"
      diff "$d/got-$q" "$tmp/want-$q" | head -6; fail=1
    fi
  done
done
# the updating input, at 1 worker
q=nested
run_nested "$tmp/ref" > "$tmp/ref/nlog" 2>&1 || { echo "FAIL: $q without a crash"; tail -3 "$tmp/ref/nlog"; exit 1; }
python3 "$here/changelog.py" --ident $q "$tmp/ref/nlog" > "$tmp/want-$q" ||
  { echo "FAIL: the reference changelog of $q does not apply"; exit 1; }
python3 "$here/changelog.py" --ident $q --last-by 1 "$tmp/ref/nlog" | cmp -s - "$tmp/want-$q" ||
  { echo "FAIL: $q: last rows by key differ from the changelog's state"; fail=1; }
grep -q "^$q> -U" "$tmp/ref/nlog" || { echo "FAIL: $q: no -U rows (no retraction tested)"; fail=1; }
cp=ckpt.after_committed@3
d="$tmp/nested-$cp"
mkdir -p "$d"
SLUICE_CRASH_AT=$cp run_nested "$d" --checkpoint-interval 50 --state-dir "$d/state" --job n > "$d/log" 2>&1
rc=$?
# a row the crash cut short stays a line of its own, which matches no row (the resumed
# run's first row would otherwise continue it)
echo "  (killed at $cp: exit $rc)" >> "$d/log"
if [ $rc -ne 137 ]; then
  echo "FAIL $q crash at $cp: exit $rc, the crash point did not fire"; tail -3 "$d/log"; fail=1
elif ! run_nested "$d" --checkpoint-interval 50 --state-dir "$d/state" --job n >> "$d/log" 2>&1; then
  echo "FAIL $q crash at $cp: the restarted job did not complete"; tail -5 "$d/log"; fail=1
elif ! grep -q "resuming from epoch [1-9]" "$d/log"; then
  echo "FAIL $q crash at $cp: the restarted job did not resume from a checkpoint"; fail=1
else
  python3 "$here/changelog.py" --ident $q --last-by 1 "$d/log" > "$d/got-$q"
  if cmp -s "$d/got-$q" "$tmp/want-$q" && [ -s "$tmp/want-$q" ]; then
    echo "ok   crash at $cp: $q ($(wc -l < "$tmp/want-$q") groups)"
  else
    echo "FAIL crash at $cp: $q: $(wc -l < "$d/got-$q") groups, want $(wc -l < "$tmp/want-$q")"
    diff "$d/got-$q" "$tmp/want-$q" | head -6; fail=1
  fi
fi
exit $fail

#!/usr/bin/env bash
# tests/sql/test_late_data.sh - the late-data side output ('sluice.late-data.sink', docs/sql.md).
#
# late_gen.py writes a file with rows behind the watermark placed on the edges of the window
# rule, and - computed from the rule, not by sluice - the (row, window) pairs that TUMBLE,
# HOP and SESSION aggregations drop. late_fs.sql runs them and CUMULATE with the option:
#   - each late table holds exactly those pairs, once each, rows whole, with the reason
#     (late_check.py), and their number is the run's late count;
#   - the same SQL without the options writes the same aggregates and counts as many late
#     rows: a row goes to the late table if and only if the window drops it;
# at 1 and 2 workers (in the cap2 build, with batches of 2 rows). Then with checkpoints every
# 50 ms, killed at steps of its 2nd epoch (SLUICE_CRASH_AT) and run again: the late tables are
# again exactly the expected pairs (none lost, none twice) and the aggregates unchanged.
# Plan-time errors: an unknown late table, a missing column, a type that differs, a reason
# column that is not STRING, a source without a window aggregation, each naming the option.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
python3 "$here/late_gen.py" "${LATE_CYCLES:-12}" "$tmp/bids.csv" "$tmp/want" || exit 1
nwant=$(wc -l < "$tmp/want")
python3 - "$here/late_fs.sql" "$tmp/plain.sql" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r"'sluice\.late-data\.[a-z-]+' = '[a-z_]+',\s*", "", text))
PY
grep -q "sluice.late-data" "$tmp/plain.sql" && { echo "FAIL: options left in plain.sql"; exit 1; }

late_count() { sed -n 's/.* rows out, \([0-9]*\) late,.*/\1/p' "$1"; }
aggs() { cat "$1"/out_[thsc]/part-* | LC_ALL=C sort; }

for w in 1 2; do
  d="$tmp/w$w"
  mkdir -p "$d"
  if ! timeout -s ABRT 120 "$bin" run "$here/late_fs.sql" --set IN="$tmp/bids.csv" \
       --set OUT="$d/late" --workers "$w" > "$d/log" 2>&1; then
    echo "FAIL workers=$w: the run failed"; tail -5 "$d/log"; fail=1; continue
  fi
  timeout -s ABRT 120 "$bin" run "$tmp/plain.sql" --set IN="$tmp/bids.csv" \
      --set OUT="$d/plain" --workers "$w" > "$d/plog" 2>&1 || {
    echo "FAIL workers=$w: the run without the option failed"; tail -5 "$d/plog"; fail=1; continue; }
  got=$(python3 "$here/late_check.py" "$tmp/want" "$tmp/bids.csv" "$d/late") || {
    echo "FAIL workers=$w: late tables"; echo "$got" | head -20; fail=1; continue; }
  [ "$got" = "$nwant" ] || { echo "FAIL workers=$w: $got late rows, want $nwant"; fail=1; }
  [ "$(late_count "$d/log")" = "$nwant" ] ||
    { echo "FAIL workers=$w: late count $(late_count "$d/log"), want $nwant"; fail=1; }
  [ "$(late_count "$d/plog")" = "$nwant" ] ||
    { echo "FAIL workers=$w: without the option late count $(late_count "$d/plog"), want $nwant"; fail=1; }
  if ! cmp -s <(aggs "$d/late") <(aggs "$d/plain"); then
    echo "FAIL workers=$w: the aggregates differ from those of the run without the option"
    diff <(aggs "$d/late") <(aggs "$d/plain") | head -5; fail=1
  fi
  [ $w = 1 ] && aggs "$d/plain" > "$tmp/aggs"
done

# exactly-once: crash in the 2nd epoch, run again
for cp in ckpt.after_committed@2 fs_sink.before_rename@2; do
  d="$tmp/ck-$cp"
  mkdir -p "$d"
  run() {
    timeout -s ABRT 120 "$bin" run "$here/late_fs.sql" --set IN="$tmp/bids.csv" \
        --set OUT="$d/out" --workers 2 --checkpoint-interval 50 --state-dir "$d/state" --job j \
        --quiet
  }
  SLUICE_CRASH_AT=$cp run > "$d/log" 2>&1
  rc=$?
  if [ $rc -ne 137 ]; then
    echo "FAIL crash at $cp: exit $rc, the crash point did not fire"; tail -3 "$d/log"; fail=1
    continue
  fi
  if ! run >> "$d/log" 2>&1; then
    echo "FAIL crash at $cp: the restarted job did not complete"; tail -5 "$d/log"; fail=1; continue
  fi
  grep -q "resuming from epoch [1-9]" "$d/log" ||
    { echo "FAIL crash at $cp: the restarted job did not resume from a checkpoint"; fail=1; }
  got=$(python3 "$here/late_check.py" "$tmp/want" "$tmp/bids.csv" "$d/out") || {
    echo "FAIL crash at $cp: late tables"; echo "$got" | head -20; fail=1; continue; }
  cmp -s <(aggs "$d/out") "$tmp/aggs" ||
    { echo "FAIL crash at $cp: the aggregates differ from a run without a crash"; fail=1; }
done

# plan-time errors name the option
err() { # name, expected text, sed script on late_fs.sql
  sed "$3" "$here/late_fs.sql" > "$tmp/e.sql"
  out=$("$bin" explain "$tmp/e.sql" --set IN=x --set OUT=y 2>&1)
  if [ $? -eq 0 ] || ! grep -q -- "$2" <<< "$out" || ! grep -q "e.sql:[0-9]*:[0-9]*" <<< "$out"; then
    echo "FAIL error $1: got: $out"; fail=1
  fi
}
err unknown "late table 'nope' is not declared" "s/'sluice.late-data.sink' = 'late_t'/'sluice.late-data.sink' = 'nope'/"
err missing "late table 'late_t' has no column 'k'" "s/CREATE TABLE late_t (id BIGINT, k BIGINT,/CREATE TABLE late_t (id BIGINT,/"
err type "column 'k' of late table 'late_t' is INT, the source's is BIGINT" "s/CREATE TABLE late_t (id BIGINT, k BIGINT,/CREATE TABLE late_t (id BIGINT, k INT,/"
err extra "column 'x' of late table 'late_t' is not a physical column" "s/CREATE TABLE late_t (id BIGINT,/CREATE TABLE late_t (x INT, id BIGINT,/"
err reason "is BIGINT, not STRING" "s/why STRING, wm TIMESTAMP(3)) *\$/why BIGINT, wm TIMESTAMP(3))/"
err nowindow "which has no event-time window aggregation" "/^INSERT INTO out_t/,/^GROUP BY k, window_start, window_end;/c\\
INSERT INTO out_t SELECT k, id, ts, CAST(ts AS TIMESTAMP(3)) FROM bids_t;"
err target "late table 'out_h' is also the target of an INSERT" "s/'sluice.late-data.sink' = 'late_t'/'sluice.late-data.sink' = 'out_h'/"
err shared "late table 'late_t' already takes the late rows of another INSERT" "s/'sluice.late-data.sink' = 'late_h'/'sluice.late-data.sink' = 'late_t'/"
err self "late rows cannot go into the table itself" "s/'sluice.late-data.sink' = 'late_t'/'sluice.late-data.sink' = 'bids_t'/"

[ $fail = 0 ] && echo "late data: $nwant late rows per run as expected"
exit $fail

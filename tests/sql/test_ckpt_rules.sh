#!/usr/bin/env bash
# tests/sql/test_ckpt_rules.sh - where checkpoints go and when a job resumes (issue: a new
# user's first run must never "resume" a finished job into nothing):
#   - no state directory is chosen behind the user's back: an interval in the SQL alone runs
#     without checkpoints (and says so), --job / --zk / --restart / --checkpoint-interval
#     without a directory are usage errors (exit 2), nothing is written to the current folder;
#   - SET 'execution.checkpointing.dir' (and Flink 1's 'state.checkpoints.dir', file:// URIs)
#     choose the directory, and the defaulted job id is printed;
#   - a bounded job that ran to its end is finished: running it again exits 3 naming the job,
#     its state directory and the way out, and writes nothing; --restart runs it anew with
#     the next epoch numbers and the same rows; a job stopped by SIGTERM is not finished and
#     resumes.
set -u
bin=${SLUICE_BIN:?SLUICE_BIN not set}
src=${SLUICE_SOURCE_DIR:?SLUICE_SOURCE_DIR not set}
fail=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

sql=$src/docs/examples/exactly_once.sql # sets 'execution.checkpointing.interval'
run=("$bin" run "$sql" --set RATE=1000000 --set EVENTS=100000 --workers 2 --no-pin)

# an interval in the SQL, no directory: runs, without checkpoints, and says so
err=$("${run[@]}" --set OUT="$tmp/o0" 2>&1 >/dev/null); rc=$?
check "interval alone: runs" test $rc -eq 0
check "interval alone: says there are no checkpoints" grep -q 'running without checkpoints' <<<"$err"
check "interval alone: nothing in the current folder but the output" \
  test "$(ls "$tmp")" = "o0"
rows=$(cat "$tmp"/o0/part-* | LC_ALL=C sort | md5sum)

for opt in "--job j" "--zk 127.0.0.1:1/x" "--restart" "--checkpoint-interval 100"; do
  # shellcheck disable=SC2086
  err=$("${run[@]}" --set OUT="$tmp/ox" $opt 2>&1 >/dev/null); rc=$?
  check "$opt without a state directory exits 2" test $rc -eq 2
  check "$opt without a state directory names the fix" grep -q -- '--state-dir DIR' <<<"$err"
done
check "refused runs wrote nothing" test ! -e "$tmp/ox"

# the directory from the SQL (Flink 2's name, a file:// URI); the job id from the file name
printf "SET 'execution.checkpointing.dir' = 'file://%s/sqlstate';\n" "$tmp" > "$tmp/dir.sql"
err=$("$bin" run "$tmp/dir.sql" "$sql" --set RATE=1000000 --set EVENTS=100000 --workers 2 \
      --no-pin --set OUT="$tmp/o1" 2>&1 >/dev/null); rc=$?
check "execution.checkpointing.dir: runs" test $rc -eq 0
check "execution.checkpointing.dir: the state is there" test -f "$tmp/sqlstate/exactly_once/commit"
check "the defaulted job id is printed" grep -q "job 'exactly_once' (from the file name" <<<"$err"
check "the directory's origin is printed" \
  grep -q "from SET 'execution.checkpointing.dir'" <<<"$err"
printf "SET 'state.checkpoints.dir' = '%s/sqlstate1';\n" "$tmp" > "$tmp/dir1.sql"
"$bin" run "$tmp/dir1.sql" "$sql" --set RATE=1000000 --set EVENTS=100000 --workers 2 \
  --no-pin --set OUT="$tmp/o1b" --quiet; rc=$?
check "state.checkpoints.dir (Flink 1): runs" test $rc -eq 0
check "state.checkpoints.dir (Flink 1): the state is there" \
  test -f "$tmp/sqlstate1/exactly_once/commit"

# a finished job is refused, not resumed into nothing
"${run[@]}" --set OUT="$tmp/o2" --job fin --state-dir "$tmp/st" --quiet; rc=$?
check "a checkpointed bounded run completes" test $rc -eq 0
check "its rows equal the run without checkpoints" \
  test "$(cat "$tmp"/o2/part-* | LC_ALL=C sort | md5sum)" = "$rows"
list=$("$bin" checkpoints --job fin --state-dir "$tmp/st")
check "sluice checkpoints marks the finished epoch" grep -q '(finished: the bounded input ended)' <<<"$list"
nparts=$(ls "$tmp/o2" | wc -l)
err=$("${run[@]}" --set OUT="$tmp/o2" --job fin --state-dir "$tmp/st" 2>&1 >/dev/null); rc=$?
check "running a finished job again exits 3" test $rc -eq 3
check "the refusal names the job and its state directory" \
  grep -q "job 'fin' (state in $tmp/st/fin) already finished" <<<"$err"
check "the refusal gives the way out" grep -q -- '--restart' <<<"$err"
check "the refused run wrote nothing" test "$(ls "$tmp/o2" | wc -l)" -eq "$nparts"
err=$("${run[@]}" --set OUT="$tmp/o3" --job fin --state-dir "$tmp/st" --restart 2>&1 >/dev/null); rc=$?
check "--restart runs the finished job anew" test $rc -eq 0
check "--restart says so" grep -q -- "--restart: starting anew" <<<"$err"
check "--restart gives the same rows" \
  test "$(cat "$tmp"/o3/part-* | LC_ALL=C sort | md5sum)" = "$rows"
last=$("$bin" checkpoints --job fin --state-dir "$tmp/st" | awk 'NR == 3 {print $1}')
first=$("$bin" checkpoints --job fin --state-dir "$tmp/st" | awk 'END {print $1}')
check "--restart numbers its epochs after the old ones" test "$last" -gt "$first"

# crashes around the finished marker: before it, the rerun completes the job; after it, the
# output is complete and a rerun is refused
SLUICE_CRASH_AT=finished.before_rename "${run[@]}" --set OUT="$tmp/o6" --job c1 \
  --state-dir "$tmp/st" --quiet; rc=$?
check "a crash before the finished marker kills the run (137)" test $rc -eq 137
"${run[@]}" --set OUT="$tmp/o6" --job c1 --state-dir "$tmp/st" --quiet; rc=$?
check "after a crash before the marker, the rerun completes the job" test $rc -eq 0
check "... with the reference's rows" \
  test "$(cat "$tmp"/o6/part-* | LC_ALL=C sort | md5sum)" = "$rows"
"${run[@]}" --set OUT="$tmp/o6" --job c1 --state-dir "$tmp/st" --quiet 2>/dev/null; rc=$?
check "... and a third run is refused (3)" test $rc -eq 3
SLUICE_CRASH_AT=ckpt.after_finished "${run[@]}" --set OUT="$tmp/o7" --job c2 \
  --state-dir "$tmp/st" --quiet; rc=$?
check "a crash after the finished marker kills the run (137)" test $rc -eq 137
check "after a crash after the marker, the output is complete" \
  test "$(cat "$tmp"/o7/part-* | LC_ALL=C sort | md5sum)" = "$rows"
"${run[@]}" --set OUT="$tmp/o7" --job c2 --state-dir "$tmp/st" --quiet 2>/dev/null; rc=$?
check "... and the rerun is refused (3)" test $rc -eq 3

# a job stopped by SIGTERM is not finished: the same command resumes it
slow=("$bin" run "$sql" --set RATE=100000 --set EVENTS=400000 --workers 2 --no-pin
      --set OUT="$tmp/o4" --job stopped --state-dir "$tmp/st")
"${slow[@]}" --quiet & pid=$!
sleep 1.5
kill -TERM $pid
wait $pid; rc=$?
check "SIGTERM stops the job cleanly" test $rc -eq 0
err=$("${slow[@]}" 2>&1 >/dev/null); rc=$?
check "a stopped job resumes" test $rc -eq 0
check "a stopped job says it resumes" grep -q "resuming from epoch" <<<"$err"
"$bin" run "$sql" --set RATE=100000 --set EVENTS=400000 --workers 2 --no-pin \
  --set OUT="$tmp/o5" --quiet
check "the stopped and resumed job's rows equal an uninterrupted run's" \
  test "$(cat "$tmp"/o4/part-* | LC_ALL=C sort | md5sum)" = \
       "$(cat "$tmp"/o5/part-* | LC_ALL=C sort | md5sum)"

# what the state depends on, not the EXPLAIN text: a renamed view (EXPLAIN shows it) and a
# changed filter constant resume; another aggregate is refused, naming what changed
sed 's/CREATE VIEW bid AS/CREATE VIEW bids_renamed AS/; s/TABLE bid,/TABLE bids_renamed,/' \
  "$sql" > "$tmp/renamed.sql"
sed 's/COUNT(\*), MAX(price)/COUNT(*), MIN(price)/' "$sql" > "$tmp/min.sql"
check "the test's variants differ from the original" \
  test "$(md5sum < "$tmp/renamed.sql")" != "$(md5sum < "$sql")" -a \
       "$(md5sum < "$tmp/min.sql")" != "$(md5sum < "$sql")"
lay=("$bin" run --set RATE=100000 --set EVENTS=400000 --workers 2 --no-pin
     --set OUT="$tmp/o8" --job lay --state-dir "$tmp/st")
"${lay[@]}" "$sql" --quiet & pid=$!
sleep 1.5
kill -TERM $pid
wait $pid
err=$("${lay[@]}" "$tmp/min.sql" 2>&1 >/dev/null); rc=$?
check "another aggregate is refused" test $rc -eq 1
check "the refusal names the node that changed" \
  grep -q "aggregates (COUNT(\*) BIGINT NOT NULL, MAX(BIGINT) BIGINT)' is now '.*MIN(BIGINT)" <<<"$err"
err=$("${lay[@]}" "$tmp/renamed.sql" 2>&1 >/dev/null); rc=$?
check "a renamed view (a cosmetic EXPLAIN change) resumes" test $rc -eq 0
check "... from the checkpoint" grep -q "resuming from epoch" <<<"$err"
check "... with the uninterrupted run's rows" \
  test "$(cat "$tmp"/o8/part-* | LC_ALL=C sort | md5sum)" = \
       "$(cat "$tmp"/o5/part-* | LC_ALL=C sort | md5sum)"

# sluice checkpoints needs the directory too
err=$("$bin" checkpoints --job fin 2>&1 >/dev/null); rc=$?
check "checkpoints without --state-dir exits 2" test $rc -eq 2
check "checkpoints without --state-dir names it" grep -q -- '--state-dir DIR' <<<"$err"
exit $fail

#!/usr/bin/env bash
# tests/sql/test_checkpoint.sh - exactly-once across crashes, end to end.
#
# A bounded Nexmark pipeline with a filesystem sink runs with checkpoints every few ms.
#   1. crash points: for every named step of the checkpoint protocol (snapshot write, fsync,
#      rename, manifest, both commit puts, sink renames, cleanup) the run is made to die
#      there (SLUICE_CRASH_AT: _exit(137), like a power cut) in its 2nd or 3rd epoch, then
#      the same command runs again and resumes. The visible output must equal a crash-free
#      run's, row for row (sorted), and the reference.py rows: nothing missing, nothing
#      twice. A crash point that never fired fails the test (it would prove nothing).
#   2. SIGKILL at random moments, several times in a row on the same job, then a run to the
#      end: the same comparison.
# Queries: q1 (stateless, all rows) and tumble_stats (window aggregation: its state crosses
# the restarts), at 2 workers; the random kills q1, hop_count and session (SESSION windows
# that keep firing: the session state - pending groups, compacted - crosses the restarts).
# CKPT_PHASES (default "points kills") runs only the phases it names: tools/test.sh runs both
# in the release build and the crash points alone in the ASan build, where each restore path
# is checked for memory errors once and the kills would only repeat them, 8 times slower
# (docs/testing.md, "Time budget").
# SLUICE_TEST_SMALL (tools/test.sh sets it in the ASan step): tumble_stats at every crash
# point, q1 only at the points where the sink's part files are in flight (after the prepare,
# the sink's renames, the commit before and after the sink settles it): at the other points
# (snapshot files, manifest, commit store, cleanup) q1's restart takes the same paths as
# tumble_stats's, whose snapshots hold the source positions too and window state besides.
# Unset (the release build), both queries at every crash point.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
ex=$src/docs/examples/nexmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
phases=${CKPT_PHASES:-points kills}
case " $phases " in
  *" points "*|*" kills "*) ;;
  *) echo "FAIL: CKPT_PHASES='$phases' names no phase (points, kills)"; exit 1 ;;
esac
# Under a sanitizer (SLUICE_SANITIZER, from CMake) a run is ~8 times slower, so the crash
# points' epochs come after fewer events: half the input still gives each run 5 or more epochs
# (200000 give 3 in the release build), and halves the test's time there.
case ${SLUICE_SANITIZER:-off} in
  off|"") events=${CKPT_EVENTS:-200000} ;;
  *) events=${CKPT_EVENTS:-100000} ;;
esac
base=1700000000000
rate=1000
# the nexmark source at 2 workers generates the 2 splits Flink's would at parallelism 2
if [[ " $phases " == *" points "* ]]; then
  "$bin" gen nexmark --events $events --base-time $base --rate $rate --splits 2 \
      --out "$tmp/events.json" || exit 1
fi
common=(--set TPS=$rate --set EVENTS_NUM=$events --set BASE_TIME=$base --set NEXMARK_TABLE=datagen
        --quiet --workers 2 --checkpoint-interval 5)

want_rows() { # query -> $tmp/want-<query>
  [ -f "$tmp/want-$1" ] || sl_reference "$1" "$tmp/events.json" > "$tmp/want-$1"
}

compare() { # label, query, outdir
  local got="$3.got"
  cat "$3"/part-* 2>/dev/null | LC_ALL=C sort > "$got"
  if cmp -s "$got" "$tmp/want-$2" && [ -s "$tmp/want-$2" ]; then
    echo "ok   $1 ($(wc -l < "$got") rows)"
  else
    echo "FAIL $1: $(wc -l < "$got") rows, want $(wc -l < "$tmp/want-$2")"
    diff "$got" "$tmp/want-$2" | head -6
    fail=1
  fi
  if ls -A "$3" | grep -q '^\.'; then
    echo "FAIL $1: hidden part files left after a completed run:"; ls -A "$3" | grep '^\.' | head -3
    fail=1
  fi
}

files() { # query -> the SQL files
  echo "$here/nexmark_gen.sql $ex/ddl_views.sql $here/${1}_fs.sql"
}

# resume until the job completes (at most 5 runs); $1 = query, $2 = run dir
finish() {
  local q=$1 d=$2 k rc
  for k in 1 2 3 4 5; do
    # shellcheck disable=SC2046
    timeout -s ABRT 120 "$bin" run $(files "$q") "${common[@]}" --set OUT="$d/out" \
        --state-dir "$d/state" --job j >> "$d/log" 2>&1
    rc=$?
    [ $rc -eq 0 ] && return 0
    # 3: the job had completed before the kill (its finished marker was written)
    [ $rc -eq 3 ] && tail -1 "$d/log" | grep -q "already finished" && return 0
    echo "  (resume $k of $q exited $rc)" >> "$d/log"
  done
  return 1
}

crash_points=(
  ckpt.before_snapshot@2 snapshot.after_open@3 snapshot.after_write@3 snapshot.before_fsync@3
  snapshot.before_rename@3 snapshot.before_dirfsync@4 snapshot.after_dirfsync@3
  ckpt.after_snapshot@2 ckpt.before_manifest_rename@2 ckpt.after_manifest@2
  file.before_write@3 file.before_rename@3 file.after_rename@3 file.after_rename@4
  ckpt.after_prepared@2 ckpt.after_committed@2 fs_sink.before_prepare_rename@1
  fs_sink.before_rename@2 fs_sink.after_rename@2 ckpt.after_sink_commit@2 ckpt.after_cleanup@2
)

# One crash point: crash, resume, compare; the verdict goes to $d/verdict (FAIL lines fail
# the test). The runs wait on fsync and checkpoint timers far more than they compute, so
# four crash points run at a time.
crash_case() { # query, crash point
  local q=$1 cp=$2 d="$tmp/$1-$2" rc
  mkdir -p "$d"
  # shellcheck disable=SC2046
  SLUICE_CRASH_AT=$cp timeout -s ABRT 120 "$bin" run $(files "$q") "${common[@]}" --set OUT="$d/out" \
      --state-dir "$d/state" --job j > "$d/log" 2>&1
  rc=$?
  {
    if [ $rc -ne 137 ]; then
      echo "FAIL $q crash at $cp: exit $rc, the crash point did not fire"; tail -3 "$d/log"
    elif ! finish "$q" "$d"; then
      echo "FAIL $q crash at $cp: the restarted job did not complete"; tail -5 "$d/log"
    else
      compare "$q crash at $cp, restarted" "$q" "$d/out"
    fi
  } > "$d/verdict" 2>&1
}

# the crash points where the sink's part files are in flight: q1 (every epoch writes rows)
# and tumble_stats (rows only when a window ends) settle them differently
sink_points=" ckpt.after_prepared@2 ckpt.after_committed@2 fs_sink.before_prepare_rename@1
  fs_sink.before_rename@2 fs_sink.after_rename@2 ckpt.after_sink_commit@2 "
points_of() { # query -> the crash points it runs at
  local cp
  for cp in "${crash_points[@]}"; do
    if [ -z "${SLUICE_TEST_SMALL:-}" ] || [ "$1" != q1 ] || [[ $sink_points == *[[:space:]]$cp[[:space:]]* ]]; then
      echo "$cp"
    fi
  done
}
lanes=4
if [[ " $phases " == *" points "* ]]; then
  [ -n "${SLUICE_TEST_SMALL:-}" ] &&
    echo "crash points: q1 at the sink's $(points_of q1 | wc -l) of ${#crash_points[@]} (SLUICE_TEST_SMALL)"
  for q in q1 tumble_stats; do
    want_rows $q
    for cp in $(points_of $q); do
      while [ "$(jobs -rp | wc -l)" -ge $lanes ]; do wait -n; done
      crash_case "$q" "$cp" &
    done
  done
  wait
  for q in q1 tumble_stats; do
    for cp in $(points_of $q); do
      cat "$tmp/$q-$cp/verdict"
      grep -q '^FAIL' "$tmp/$q-$cp/verdict" && fail=1
    done
  done
else
  echo "crash points: not run (CKPT_PHASES='$phases')"
fi
[[ " $phases " == *" kills "* ]] || { echo "random kills: not run (CKPT_PHASES='$phases')"; exit $fail; }

# SIGKILL at random moments, 6 times in a row, then to the end: a paced source (5000 events
# per second of wall time, 10 s in all) so that the kills land in the middle of the run
seed=${CKPT_SEED:-$$}
RANDOM=$seed
echo "random kills: seed $seed"
prate=5000
pevents=50000
"$bin" gen nexmark --events $pevents --base-time $base --rate $prate --splits 2 \
    --out "$tmp/paced.json" || exit 1
paced=(--set TPS=$prate --set EVENTS_NUM=$pevents --set BASE_TIME=$base --set NEXMARK_TABLE=datagen
       --quiet --workers 2 --checkpoint-interval 50)
for q in q1 hop_count session; do
  sl_reference "$q" "$tmp/paced.json" > "$tmp/want-paced-$q"
  d="$tmp/$q-kill"
  mkdir -p "$d"
  kills=0
  for k in 1 2 3 4 5 6; do
    "$bin" run "$here/nexmark_paced.sql" "$ex/ddl_views.sql" "$here/${q}_fs.sql" "${paced[@]}" \
        --set OUT="$d/out" --state-dir "$d/state" --job j >> "$d/log" 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 400 + 20)))"
    if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
    wait $pid 2>/dev/null
  done
  if ! timeout -s ABRT 120 "$bin" run "$here/nexmark_paced.sql" "$ex/ddl_views.sql" "$here/${q}_fs.sql" "${paced[@]}" \
        --set OUT="$d/out" --state-dir "$d/state" --job j >> "$d/log" 2>&1; then
    echo "FAIL $q after $kills kills: the restarted job did not complete"; tail -5 "$d/log"
    fail=1; continue
  fi
  if [ $kills -lt 6 ]; then
    echo "FAIL $q: only $kills of 6 runs were still running when killed"; fail=1
  fi
  compare "$q after $kills random SIGKILLs" "paced-$q" "$d/out"
done
exit $fail

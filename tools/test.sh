#!/usr/bin/env bash
# tools/test.sh - the test command: installs what is missing, builds the four builds
# (release, ASan+UBSan, batch capacity 2, ThreadSanitizer; release first, the others in the
# background while the tests of the builds before them run; the capacity-2 tests beside the
# TSan tests, neither of which fills the machine alone) with warnings as errors, runs the
# whole suite in the first three (the tests labelled "broker", of a real Kafka broker and of
# Flink, in the ASan build only; the Flink oracle, label oracle, in the release and ASan
# builds; the checks of the source text, and the network namespace test, label netns, in
# the release build only; the crash and protocol tests and those no batch passes through,
# labels protocol and nocap2, not in the capacity-2 build) and the tests labelled "threads"
# (CMakeLists.txt says which) in the TSan build. The fuzz targets' regression inputs and
# seed corpus run in every build as ctest fuzz/replay_* (deterministic); random fuzzing with
# libFuzzer (a clang build of its own) is a step only when SLUICE_FUZZ_SECONDS (seconds per
# target, default 0: none) asks for it.
# Under ASan each path once, the repetitions in the release build: tests are cut per build
# by a variable set here - test_checkpoint.sh's random kills (CKPT_PHASES) in release
# only, the oracle (ORACLE_WORKERS) and test_pipelines.sh (PIPELINES_WORKERS) at 2 workers
# under ASan, test_pipelines.sh at 2 and 4 under TSan, and SLUICE_TEST_SMALL=1 under ASan
# for the tests that repeat a path over sizes, queries, kills or worker counts (test_fs_split,
# test_bench.sh, the crash tests test_checkpoint*.sh, test_join_ckpt.sh, test_rescale.sh,
# test_kafka_exactly_once.sh: each says what it cuts in its header) (docs/testing.md,
# "Which test runs where").
# Exits non-zero if anything fails. The last line is "tests: N passed, N failed"; the line
# before it gives the wall time of each step (docs/testing.md, "Time budget": the whole
# command is to stay within 15 minutes on a 2-core machine from a clean clone).
#
#   tools/test.sh [ctest arguments...]     e.g. tools/test.sh -R kernels
#
# ThreadSanitizer: every instrumented process (test programs and the sluice processes they
# start) reads TSAN_OPTIONS: the suppressions of tests/tsan.supp (library internals only)
# and a log file per process that reports a race. A report fails the build's tests even when
# the process that made it was killed on purpose afterwards (crash tests, SIGKILL).
set -uo pipefail

cd "$(dirname "$0")/.."

t0=$SECONDS
times=()
# The release build first (it also installs what is missing); the other builds - asan, cap2,
# tsan and, for the fuzz step, build/fuzz - follow one after the other in the background, at
# a lower priority (nice 10), while the tests of the builds before them run: where a test
# waits (a JVM or a broker starting, a ZooKeeper session expiring, a process killed and
# restarted) the compiler gets the core instead of nobody. Each test step waits for its
# build (the wait is printed with the step's time) and runs at the full priority.
if ! tools/setup.sh release; then
  echo "tests: 0 passed, 1 failed (the build failed)"
  exit 1
fi
blogs=$(mktemp -d)
fuzz_secs=${SLUICE_FUZZ_SECONDS:-0}
want_fuzz=0
[ $# -eq 0 ] && [ "$fuzz_secs" != 0 ] && want_fuzz=1
# a session of its own, so that the EXIT trap stops the builds with everything they started
setsid bash -c '
  for b in asan cap2 tsan; do
    nice -n 10 tools/setup.sh "$b" > "$1/$b.log" 2>&1
    echo $? > "$1/$b.rc.new" && mv "$1/$b.rc.new" "$1/$b.rc"
  done
  if [ "$2" = 1 ]; then
    nice -n 10 tools/fuzz.sh --build > "$1/fuzz.log" 2>&1
    echo $? > "$1/fuzz.rc.new" && mv "$1/fuzz.rc.new" "$1/fuzz.rc"
  fi' builds "$blogs" "$want_fuzz" &
bg_builds=$!
# waits for the background build $1; fails (with its log) when it failed
wait_build() {
  while [ ! -f "$blogs/$1.rc" ] && kill -0 "$bg_builds" 2>/dev/null; do sleep 1; done
  if [ "$(cat "$blogs/$1.rc" 2>/dev/null)" != 0 ]; then
    tail -40 "$blogs/$1.log"
    echo "=== build/$1 failed ==="
    return 1
  fi
}

# the test command is where Flink's oracle must run: no skipping it for want of its jars
export SLUICE_FLINK_REQUIRED=${SLUICE_FLINK_REQUIRED:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
tsan_logs=$(mktemp -d)
# The tests start Python hundreds of times in each build (rows.py, changelog.py,
# partitions.py, reference.py...; the oracle alone about 170 times in the release build). Where python3 is a version manager's shim (pyenv's: a bash script that
# runs pyenv, which finds the version and execs it - about 0.5 CPU s a start on this machine,
# against 0.1 for the interpreter itself), the tests get the interpreter it runs, by its
# path: the same program, prefix and packages (docs/testing.md, "Time budget").
pybin=$(mktemp -d)
if sl_py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) && [ -x "$sl_py" ]; then
  ln -s "$sl_py" "$pybin/python3"
  export PATH="$pybin:$PATH"
fi
trap 'kill -- -"$bg_builds" 2>/dev/null; rm -rf "$tsan_logs" "$blogs" "$pybin"' EXIT
tsan_options="suppressions=$PWD/tests/tsan.supp:second_deadlock_stack=1:log_path=$tsan_logs/tsan"

times+=("build(release) $((SECONDS - t0))s")
passed=0
failed=0
status=0

# run_tests B: build/B's tests with their selection and settings; ctest's output on stdout,
# its exit status returned
run_tests() (
  local b=$1
  shift
  unset CKPT_PHASES ORACLE_WORKERS PIPELINES_WORKERS SLUICE_TEST_SMALL # set per build below
  if [ "$b" = tsan ]; then
    # test_pipelines.sh at 2 and 4 workers, where threads meet (PIPELINES_WORKERS)
    cd "build/$b" && TSAN_OPTIONS=${TSAN_OPTIONS:-$tsan_options} PIPELINES_WORKERS="2 4" \
      ctest --output-on-failure -j 2 -L threads "$@"
    return
  fi
  # the real Kafka broker's and Flink's tests (label broker) run in the ASan build only,
  # the checks of the source text (label source) and the network namespace test (label
  # netns: a real broker too, but no path of its own for ASan) in the release build only
  # (test_checkpoint.sh: its random kills in the release build only, CKPT_PHASES); the
  # Flink oracle (label oracle) at 1, 2 and 4 workers in the release build, at 2 in the
  # ASan build (ORACLE_WORKERS)
  local leave_out
  case $b in
    release) leave_out=(-LE broker) ;;
    asan)
      leave_out=(-LE 'source|netns')
      export CKPT_PHASES=points ORACLE_WORKERS=2 PIPELINES_WORKERS=2 SLUICE_TEST_SMALL=1 ;;
    cap2) leave_out=(-LE 'broker|source|protocol|nocap2|oracle|netns') ;;
    *) leave_out=(-LE 'broker|source|oracle|netns') ;;
  esac
  # release and ASan: four at a time on two cores, cap2 three - their long tests (Flink,
  # the broker, the crash tests, ZooKeeper sessions) wait on JVMs, timers and restarts
  # more than they compute (the release step's tests took 969 s one after the other for
  # 320 CPU s; the ASan step's 2142 s for 890 CPU s: docs/testing.md, "Time budget")
  local jobs=3
  case $b in release | asan) jobs=4 ;; esac
  cd "build/$b" && ctest --output-on-failure -j "$jobs" "${leave_out[@]}" "$@"
)

# account B LOG RC: counts build/B's results from its ctest output LOG
account() {
  local b=$1 log=$2 rc=$3 total nfail
  total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$log" | tail -1)
  nfail=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  if [ "$b" = tsan ]; then
    # every report fails the run, also one of a process whose test passed anyway (it was
    # killed on purpose, or its exit status was not looked at)
    for r in $(grep -l 'WARNING: ThreadSanitizer' "$tsan_logs"/tsan.* 2>/dev/null); do
      echo "--- ThreadSanitizer report ($(basename "$r")) ---"
      head -60 "$r"
      failed=$((failed + 1))
      status=1
    done
    if [ -z "$total" ] && grep -q 'No tests were found' "$log"; then
      return # e.g. tools/test.sh -R kernels: no threaded test among them
    fi
  fi
  if [ -z "$total" ]; then
    failed=$((failed + 1))
    status=1
    return
  fi
  passed=$((passed + total - nfail))
  failed=$((failed + nfail))
  [ "$rc" -eq 0 ] || status=1
}

build_failed() {
  failed=$((failed + 1))
  status=1
  times+=("$1 (build failed) $2s")
}

# release, then ASan, one after the other, their output as it comes
for b in release asan; do
  tw=$SECONDS
  if [ "$b" != release ] && ! wait_build "$b"; then
    build_failed "$b" $((SECONDS - tw))
    continue
  fi
  echo "=== build/$b ==="
  tb=$SECONDS
  log=$(mktemp)
  run_tests "$b" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  times+=("$b $((SECONDS - tb))s (build wait $((tb - tw))s)")
  account "$b" "$log" "$rc"
  rm -f "$log"
done
# capacity 2 and TSan at the same time: neither fills the two cores alone (the cap2 step's
# 95 CPU s took 110 s at three tests at a time; TSan's two threaded tests at a time wait on
# each other's threads), so one after the other they left about half the machine idle for
# some 200 s (docs/testing.md, "Time budget"). cap2 runs in the background into a log,
# printed once TSan's step, which prints as it comes, is done.
tw=$SECONDS
cap2_ok=0
if wait_build cap2; then
  cap2_ok=1
  tb_cap2=$SECONDS
  cap2_log=$(mktemp)
  (run_tests cap2 "$@" > "$cap2_log" 2>&1; echo "$? $(date +%s)" > "$cap2_log.rc") &
  t0_cap2=$(date +%s)
  cap2_pid=$!
else
  build_failed cap2 $((SECONDS - tw))
fi
tw_tsan=$SECONDS
if wait_build tsan; then
  echo "=== build/tsan ==="
  tb=$SECONDS
  log=$(mktemp)
  run_tests tsan "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  times+=("tsan $((SECONDS - tb))s (build wait $((tb - tw_tsan))s)")
  account tsan "$log" "$rc"
  rm -f "$log"
else
  build_failed tsan $((SECONDS - tw_tsan))
fi
if [ "$cap2_ok" = 1 ]; then
  wait "$cap2_pid"
  echo "=== build/cap2 (run beside build/tsan) ==="
  cat "$cap2_log"
  read -r cap2_rc cap2_end < "$cap2_log.rc" || cap2_rc=1 cap2_end=$(date +%s)
  times+=("cap2 $((cap2_end - t0_cap2))s (build wait $((tb_cap2 - tw))s)")
  account cap2 "$cap2_log" "$cap2_rc"
  rm -f "$cap2_log" "$cap2_log.rc"
fi
if [ "$want_fuzz" = 1 ]; then
  tw=$SECONDS
  wait_build fuzz # a failed build fails again, with its errors, in tools/fuzz.sh below
  echo "=== fuzz (${fuzz_secs}s per target, one per core at a time) ==="
  tb=$SECONDS
  flog=$(mktemp)
  tools/fuzz.sh "$fuzz_secs" >"$flog" 2>&1
  frc=$?
  grep -E '^fuzz_|executed_runs|ERROR|SUMMARY|FAILED' "$flog"
  [ "$frc" -eq 0 ] || tail -40 "$flog"
  rm -f "$flog"
  times+=("fuzz $((SECONDS - tb))s (build wait $((tb - tw))s)")
  if [ "$frc" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    status=1
  fi
fi
echo "time: ${times[*]}, total $((SECONDS - t0))s"
echo "tests: $passed passed, $failed failed"
exit $status

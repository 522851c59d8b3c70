#!/usr/bin/env bash
# tools/test.sh - the test command: installs what is missing, builds the four builds
# (release, ASan+UBSan, batch capacity 2, ThreadSanitizer) with warnings as errors, runs the
# whole suite in the first three (the tests labelled "broker", of a real Kafka broker and of
# Flink, in the ASan build only; the checks of the source text in the release build only;
# the crash and protocol tests and those no batch passes through, labels protocol and nocap2,
# not in the capacity-2 build) and the tests labelled
# "threads" (CMakeLists.txt says which) in the TSan build, then runs the libFuzzer targets
# briefly (SLUICE_FUZZ_SECONDS each, default 15; 0 skips them).
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
if ! tools/setup.sh release asan cap2 tsan; then
  echo "tests: 0 passed, 1 failed (the build failed)"
  exit 1
fi

# the test command is where Flink's oracle must run: no skipping it for want of its jars
export SLUICE_FLINK_REQUIRED=${SLUICE_FLINK_REQUIRED:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
tsan_logs=$(mktemp -d)
trap 'rm -rf "$tsan_logs"' EXIT
tsan_options="suppressions=$PWD/tests/tsan.supp:second_deadlock_stack=1:log_path=$tsan_logs/tsan"

times+=("builds $((SECONDS - t0))s")
passed=0
failed=0
status=0
for b in release asan cap2 tsan; do
  echo "=== build/$b ==="
  tb=$SECONDS
  log=$(mktemp)
  if [ "$b" = tsan ]; then
    (cd "build/$b" && TSAN_OPTIONS=${TSAN_OPTIONS:-$tsan_options} \
       ctest --output-on-failure -j 2 -L threads "$@") 2>&1 | tee "$log"
  else
    # the real Kafka broker's and Flink's tests (label broker) run in the ASan build only,
    # the checks of the source text (label source) in the release build only
    case $b in
      release) leave_out=(-LE broker) ;;
      asan) leave_out=(-LE source) ;;
      cap2) leave_out=(-LE 'broker|source|protocol|nocap2') ;;
      *) leave_out=(-LE 'broker|source') ;;
    esac
    (cd "build/$b" && ctest --output-on-failure -j 2 "${leave_out[@]}" "$@") 2>&1 | tee "$log"
  fi
  rc=${PIPESTATUS[0]}
  times+=("$b $((SECONDS - tb))s")
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
  fi
  if [ -z "$total" ] && [ "$b" = tsan ] && grep -q 'No tests were found' "$log"; then
    rm -f "$log"
    continue # e.g. tools/test.sh -R kernels: no threaded test among them
  fi
  rm -f "$log"
  if [ -z "$total" ]; then
    failed=$((failed + 1))
    status=1
    continue
  fi
  passed=$((passed + total - nfail))
  failed=$((failed + nfail))
  [ "$rc" -eq 0 ] || status=1
done
fuzz_secs=${SLUICE_FUZZ_SECONDS:-15}
if [ $# -eq 0 ] && [ "$fuzz_secs" != 0 ]; then
  echo "=== fuzz (${fuzz_secs}s per target) ==="
  tb=$SECONDS
  flog=$(mktemp)
  tools/fuzz.sh "$fuzz_secs" >"$flog" 2>&1
  frc=$?
  grep -E '^fuzz_|executed_runs|ERROR|SUMMARY|FAILED' "$flog"
  [ "$frc" -eq 0 ] || tail -40 "$flog"
  rm -f "$flog"
  times+=("fuzz $((SECONDS - tb))s")
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

#!/bin/sh
# tools/fuzz.sh - builds the libFuzzer targets (tests/fuzz/) with clang, replays every input
# of tests/fuzz/regressions/<target>/ (what the fuzzers once found: each must now pass), then
# runs each target for N seconds (default 20) on its seed corpus. Exits non-zero when a
# regression input fails or a target finds a crash, a sanitizer report, a leak, a hang or an
# oracle failure (the reproducer is left in build/fuzz/).
#
#   tools/fuzz.sh [SECONDS] [TARGET...]       TARGET: json, csv, sql, regex, dtpattern (default: all five)
#   tools/fuzz.sh --build                      only build the targets (tools/test.sh builds them
#                                              while the tests run)
#
# The targets run side by side, in rounds of SLUICE_FUZZ_JOBS (default: the number of
# cores; a libFuzzer process is one thread, so each still gets a core for its SECONDS), each
# into a log of its own (build/fuzz/fuzz-<target>.log), printed in the order of the targets
# when all are done.
#
# Needs clang and libclang-rt-14-dev (Debian) for -fsanitize=fuzzer.
set -eu
build_only=0
if [ "${1:-}" = --build ]; then build_only=1; shift; fi
secs=${1:-20}
[ $# -gt 0 ] && shift
targets=${*:-json csv sql regex dtpattern}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/fuzz"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DSLUICE_FUZZ=ON \
    -DSLUICE_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
bins=
for t in $targets; do bins="$bins fuzz_$t"; done
# shellcheck disable=SC2086
ninja -C "$build" -j2 $bins
[ "$build_only" = 1 ] && exit 0

# one target: its regression inputs, then SECONDS of fuzzing; exit 1 on a failure
fuzz_one() {
    t=$1
    # per target: the longest input worth trying, and a dictionary if it has one
    case $t in
        sql) opts="-max_len=16384 -dict=$root/tests/fuzz/sql.dict" ;;
        *) opts="-max_len=4096" ;;
    esac
    st=0
    reg="$root/tests/fuzz/regressions/$t"
    if [ -d "$reg" ] && [ -n "$(ls "$reg")" ]; then
        echo "fuzz_$t: replaying $(ls "$reg" | wc -l) regression inputs"
        # shellcheck disable=SC2086
        if ! (cd "$build" && "./fuzz_$t" -timeout=10 "$reg"/*) >"$build/replay-$t.log" 2>&1; then
            tail -30 "$build/replay-$t.log"
            echo "fuzz_$t: FAILED replaying tests/fuzz/regressions/$t"
            st=1
        fi
    fi
    work="$build/corpus-$t"
    mkdir -p "$work"
    echo "fuzz_$t: ${secs}s on tests/fuzz/corpus/$t"
    # new inputs go to $work; the checked-in seeds stay untouched
    # shellcheck disable=SC2086
    if ! (cd "$build" && "./fuzz_$t" -max_total_time="$secs" $opts -timeout=10 \
            -print_final_stats=1 "$work" "$root/tests/fuzz/corpus/$t"); then
        echo "fuzz_$t: FAILED (see the crash-* file in $build)"
        st=1
    fi
    return $st
}

jobs=${SLUICE_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
n=0
for t in $targets; do # in rounds of `jobs` targets (each runs SECONDS: the rounds are even)
    rm -f "$build/fuzz-$t.rc"
    (
        st=0
        fuzz_one "$t" >"$build/fuzz-$t.log" 2>&1 || st=1
        echo $st >"$build/fuzz-$t.rc"
    ) &
    n=$((n + 1))
    if [ "$n" -ge "$jobs" ]; then
        wait
        n=0
    fi
done
wait
status=0
for t in $targets; do
    cat "$build/fuzz-$t.log"
    [ "$(cat "$build/fuzz-$t.rc" 2>/dev/null)" = 0 ] || status=1
done
exit $status

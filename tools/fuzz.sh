#!/bin/sh
# tools/fuzz.sh - builds the libFuzzer targets (tests/fuzz/) with clang, replays every input
# of tests/fuzz/regressions/<target>/ (what the fuzzers once found: each must now pass), then
# runs each target for N seconds (default 20) on its seed corpus. Exits non-zero when a
# regression input fails or a target finds a crash, a sanitizer report, a leak, a hang or an
# oracle failure (the reproducer is left in build/fuzz/).
#
#   tools/fuzz.sh [SECONDS] [TARGET...]       TARGET: json, csv, sql, regex, dtpattern (default: all five)
#
# Needs clang and libclang-rt-14-dev (Debian) for -fsanitize=fuzzer.
set -eu
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
status=0
for t in $targets; do
    # per target: the longest input worth trying, and a dictionary if it has one
    case $t in
        sql) opts="-max_len=16384 -dict=$root/tests/fuzz/sql.dict" ;;
        *) opts="-max_len=4096" ;;
    esac
    reg="$root/tests/fuzz/regressions/$t"
    if [ -d "$reg" ] && [ -n "$(ls "$reg")" ]; then
        echo "fuzz_$t: replaying $(ls "$reg" | wc -l) regression inputs"
        # shellcheck disable=SC2086
        if ! (cd "$build" && "./fuzz_$t" -timeout=10 "$reg"/*) >"$build/replay-$t.log" 2>&1; then
            tail -30 "$build/replay-$t.log" >&2
            echo "fuzz_$t: FAILED replaying tests/fuzz/regressions/$t" >&2
            status=1
        fi
    fi
    work="$build/corpus-$t"
    mkdir -p "$work"
    echo "fuzz_$t: ${secs}s on tests/fuzz/corpus/$t"
    # new inputs go to $work; the checked-in seeds stay untouched
    # shellcheck disable=SC2086
    if ! (cd "$build" && "./fuzz_$t" -max_total_time="$secs" $opts -timeout=10 \
            -print_final_stats=1 "$work" "$root/tests/fuzz/corpus/$t"); then
        echo "fuzz_$t: FAILED (see the crash-* file in $build)" >&2
        status=1
    fi
done
exit $status

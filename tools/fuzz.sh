#!/bin/sh
# tools/fuzz.sh - builds the libFuzzer targets (tests/fuzz/) with clang and runs each for
# N seconds (default 20) on its seed corpus. Exits non-zero when a target finds a crash, a
# sanitizer report or an oracle failure (the reproducer is left in build/fuzz/).
#
#   tools/fuzz.sh [SECONDS]
#
# Needs clang and libclang-rt-14-dev (Debian) for -fsanitize=fuzzer.
set -eu
secs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/fuzz"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DSLUICE_FUZZ=ON \
    -DSLUICE_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
ninja -C "$build" -j2 fuzz_json fuzz_csv
status=0
for t in json csv; do
    work="$build/corpus-$t"
    mkdir -p "$work"
    echo "fuzz_$t: ${secs}s on tests/fuzz/corpus/$t"
    # new inputs go to $work; the checked-in seeds stay untouched
    if ! (cd "$build" && "./fuzz_$t" -max_total_time="$secs" -max_len=4096 -timeout=10 \
            -print_final_stats=1 "$work" "$root/tests/fuzz/corpus/$t"); then
        echo "fuzz_$t: FAILED (see the crash-* file in $build)" >&2
        status=1
    fi
done
exit $status

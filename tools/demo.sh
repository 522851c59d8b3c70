#!/usr/bin/env bash
# tools/demo.sh - the main job: installs what is missing, builds, and runs the demo.
#
# Until the SQL pipeline lands, the demo is the kernel benchmark: each kernel's throughput on
# this CPU at every SIMD level, beside the machine's own streaming memory bandwidth measured
# in the same run, with a short summary. Full results (google-benchmark JSON) are written to
# build/demo-kernels.json.
#
#   tools/demo.sh [--quick]     --quick: shorter runs (less precise)
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh release

min_time=0.5
[ "${1:-}" = "--quick" ] && min_time=0.1
out=build/demo-kernels.json

build/release/sluice kernels
echo
build/release/sluice-bench \
  --benchmark_filter='membw|reduce/sum_i64/dram|select/|hashagg/' \
  --benchmark_min_time="$min_time" \
  --benchmark_out="$out" --benchmark_out_format=json

echo
echo "summary (per core; full results in $out):"
awk -f tools/bench_summary.awk "$out"

#!/usr/bin/env bash
# tools/demo.sh - the main job: installs what is missing, builds, and runs the demo pipeline
# on embedded defaults (no Kafka, no ZooKeeper to set up).
#
#   tools/demo.sh                 the demo pipeline (docs/examples/demo.sql): 1 M Nexmark
#                                 events; bids per 10-second window printed as Flink prints
#                                 rows, and every bid written as JSON to a Kafka topic on an
#                                 embedded broker; then a summary with the throughput
#   tools/demo.sh --kernels [--quick]
#                                 the kernel benchmark: each kernel at every SIMD level beside
#                                 the machine's memory bandwidth, with a short summary
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh release

if [ "${1:-}" != "--kernels" ]; then
  echo "== sluice run docs/examples/demo.sql (1,000,000 Nexmark events)"
  build/release/sluice run docs/examples/demo.sql --set RATE=20000 --set EVENTS=1000000
  echo
  echo "== the plans (sluice explain)"
  build/release/sluice explain docs/examples/demo.sql --set RATE=20000 --set EVENTS=1000000 |
    cut -c1-110
  exit 0
fi

min_time=0.5
[ "${2:-}" = "--quick" ] && min_time=0.1
out=build/demo-kernels.json
build/release/sluice kernels
echo
build/release/sluice-bench \
  --benchmark_filter='membw|reduce/sum_i64/dram|select/i64_lt/all|hashagg/kernels|hashagg/engine/' \
  --benchmark_min_time="$min_time" \
  --benchmark_out="$out" --benchmark_out_format=json
echo
echo "summary (per core; full results in $out):"
awk -f tools/bench_summary.awk "$out"

#!/usr/bin/env bash
# tools/demo.sh - the main job: installs what is missing, builds, and runs the demo pipeline
# on embedded defaults (no Kafka, no ZooKeeper to set up).
#
#   tools/demo.sh                 the demo pipeline (docs/examples/demo.sql): 1 M Nexmark
#                                 events; bids per 10-second window printed as Flink prints
#                                 rows, and every bid written as JSON to a Kafka topic on an
#                                 embedded broker; then a summary with the throughput
#                                 then exactly-once across a crash: a checkpointed job
#                                 (docs/examples/exactly_once.sql) is killed with SIGKILL in
#                                 the middle, resumed by running the same command again, and
#                                 its output compared with an uninterrupted run's
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
  echo
  echo "== exactly-once across a crash (docs/examples/exactly_once.sql, 1 M events at 200 K/s)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  eo=(build/release/sluice run docs/examples/exactly_once.sql --set RATE=200000
      --set EVENTS=1000000 --workers 2)
  "${eo[@]}" --set OUT="$tmp/out" --job demo --state-dir "$tmp/state" &
  pid=$!
  sleep 2.5
  kill -9 $pid
  wait $pid 2>/dev/null || true
  echo "-- killed with SIGKILL after 2.5 s; the committed epochs (sluice checkpoints):"
  build/release/sluice checkpoints --job demo --state-dir "$tmp/state" | head -5
  echo "-- visible part files so far: $(ls "$tmp/out" | wc -l) (only committed epochs)"
  echo "-- the same command again resumes the job:"
  "${eo[@]}" --set OUT="$tmp/out" --job demo --state-dir "$tmp/state"
  echo "-- an uninterrupted run without checkpoints, for comparison:"
  "${eo[@]}" --set OUT="$tmp/ref" --quiet
  got=$(cat "$tmp/out"/part-* | LC_ALL=C sort | md5sum)
  want=$(cat "$tmp/ref"/part-* | LC_ALL=C sort | md5sum)
  if [ "$got" = "$want" ]; then
    echo "== identical: $(cat "$tmp/out"/part-* | wc -l) rows, none missing, none twice"
  else
    echo "== DIFFERENT: $(cat "$tmp/out"/part-* | wc -l) rows against $(cat "$tmp/ref"/part-* | wc -l)"
    exit 1
  fi
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

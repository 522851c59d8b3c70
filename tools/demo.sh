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
#                                 its output compared with an uninterrupted run's; a third
#                                 run of the finished job is refused; then a summary
#   tools/demo.sh --kernels [--quick]
#                                 the kernel benchmark: each kernel at every SIMD level beside
#                                 the machine's memory bandwidth, with a short summary
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh release

if [ "${1:-}" != "--kernels" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "== sluice run docs/examples/demo.sql (1,000,000 Nexmark events)"
  build/release/sluice run docs/examples/demo.sql --set RATE=20000 --set EVENTS=1000000 \
    2> >(tee "$tmp/demo.err" >&2)
  wait  # the tee of stderr
  echo
  echo "== the plans (sluice explain)"
  build/release/sluice explain docs/examples/demo.sql --set RATE=20000 --set EVENTS=1000000 |
    cut -c1-110
  echo
  echo "== exactly-once across a crash (docs/examples/exactly_once.sql, 1 M events at 200 K/s)"
  eo=(build/release/sluice run docs/examples/exactly_once.sql --set RATE=200000
      --set EVENTS=1000000 --workers 2)
  "${eo[@]}" --set OUT="$tmp/out" --job demo --state-dir "$tmp/state" &
  pid=$!
  sleep 2.5
  kill -9 $pid
  wait $pid 2>/dev/null || true
  echo "-- killed with SIGKILL after 2.5 s; the committed epochs (sluice checkpoints):"
  build/release/sluice checkpoints --job demo --state-dir "$tmp/state" | head -5
  killed_epoch=$(build/release/sluice checkpoints --job demo --state-dir "$tmp/state" |
                 awk 'NR == 3 {print $1}')
  parts_at_kill=$(ls "$tmp/out" | wc -l)
  echo "-- visible part files so far: $parts_at_kill (only committed epochs)"
  echo "-- the same command again resumes the job:"
  "${eo[@]}" --set OUT="$tmp/out" --job demo --state-dir "$tmp/state" 2> >(tee "$tmp/eo.err" >&2)
  wait
  echo "-- and once more: the job has finished, so it is refused instead of resumed:"
  set +e
  "${eo[@]}" --set OUT="$tmp/out" --job demo --state-dir "$tmp/state" --quiet
  again=$?
  set -e
  echo "   (exit status $again)"
  echo "-- an uninterrupted run without checkpoints, for comparison:"
  "${eo[@]}" --set OUT="$tmp/ref" --quiet
  rows=$(cat "$tmp/out"/part-* | wc -l)
  got=$(cat "$tmp/out"/part-* | LC_ALL=C sort | md5sum)
  want=$(cat "$tmp/ref"/part-* | LC_ALL=C sort | md5sum)
  if [ "$got" != "$want" ]; then
    echo "== DIFFERENT: $rows rows against $(cat "$tmp/ref"/part-* | wc -l)"
    exit 1
  fi
  if [ "$again" -ne 3 ]; then
    echo "== the finished job was not refused (exit $again, expected 3)"
    exit 1
  fi
  echo "== identical: $rows rows, none missing, none twice"
  echo
  echo "== what the demo showed"
  echo "  1. a Flink SQL job (docs/examples/demo.sql) on $(sed -n 's/.* on \([0-9]*\) workers.*/\1/p' "$tmp/demo.err" | tail -1) workers:"
  echo "     $(sed -n 's/^sluice run: \(.*\)/\1/p' "$tmp/demo.err" | grep ' rows in ' | tail -1)"
  echo "     windowed bid statistics printed, every bid written as JSON to an embedded Kafka broker"
  echo "  2. exactly-once across SIGKILL: killed at committed epoch ${killed_epoch:-?} with" \
       "$parts_at_kill part files visible;"
  echo "     $(grep -o "resuming from epoch [0-9]*" "$tmp/eo.err" | head -1), the same command" \
       "finished the job with output equal to an uninterrupted run ($rows rows)"
  echo "  3. running a finished job again is refused (exit 3) rather than silently producing"
  echo "     nothing; --restart or a new --job runs it anew"
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

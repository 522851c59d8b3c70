#!/usr/bin/env bash
# bench/gate_calibration.sh - how often `sluice bench ab` cries wolf, and how often it finds
# a real 5% slowdown, on this machine as it is (docs/benchmarks.md, "Calibrating the gate").
#
#   bench/gate_calibration.sh [OUT_DIR]
#
# Builds (brings up to date) build/release and build/slow5 (-DSLUICE_BENCH_SLOWDOWN=5: about 5%
# more work per source row, a calibration build), then runs N invocations (a "pair" in the
# gate's sense: one `sluice bench ab`) of each of
#   wall, same build          release vs release  -> every REGRESSION is a false alarm
#   wall, 5% slower           release vs slow5    -> every REGRESSION is a detection
#   instructions, same build
#   instructions, 5% slower
# and prints the counts with the load average. Each invocation's JSON is kept in OUT_DIR
# (default build/gate-calibration). Settings (environment): N (10), THRESHOLD (3),
# WALL_ARGS (wall and cpu), INSTR_ARGS (the workload and sizes of one invocation, below),
# METRICS ("wall instructions"; cpu, the process's CPU time, is the third).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/gate-calibration}
n=${N:-10}
thr=${THRESHOLD:-3}
wall_args=${WALL_ARGS:-nexmark/q1/gen --events 500000 --reps 10 --child-reps 3 --warmup 1}
instr_args=${INSTR_ARGS:-nexmark/q1/gen --events 50000 --reps 3}
metrics=${METRICS:-wall instructions}
mkdir -p "$out"

build() { # DIR [cmake options]
  local dir=$1
  shift
  [ -f "$dir/build.ninja" ] ||
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLUICE_BENCH=OFF "$@" > /dev/null
  ninja -C "$dir" -j2 sluice > /dev/null
}
build build/release
build build/slow5 -DSLUICE_BENCH_SLOWDOWN=5
base=build/release/sluice
slow=build/slow5/sluice

echo "gate calibration: $n invocations each, threshold $thr%, $(nproc) CPUs, start load $(cut -d' ' -f1-3 /proc/loadavg)"
for metric in $metrics; do
  if [ "$metric" = instructions ]; then args=$instr_args; else args=$wall_args; fi
  for kind in same slow5; do
    new=$base
    [ "$kind" = slow5 ] && new=$slow
    for i in $(seq 1 "$n"); do
      t0=$(date +%s)
      set +e
      # shellcheck disable=SC2086
      "$base" bench ab "$base" "$new" $args --metric "$metric" --threshold "$thr" --quiet \
          --out "$out/$metric-$kind-$i.json" > "$out/$metric-$kind-$i.txt" 2>&1
      rc=$?
      set -e
      echo "$metric $kind $i exit $rc $(( $(date +%s) - t0 )) s" >> "$out/log"
      [ $rc -le 1 ] || { echo "gate calibration: invocation failed:"; cat "$out/$metric-$kind-$i.txt"; exit 1; }
    done
  done
done

python3 - "$out" "$n" "$metrics" <<'PY'
import glob, json, sys
out, n, metrics = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
for metric in metrics:
    for kind in ("same", "slow5"):
        runs = [json.load(open(f"{out}/{metric}-{kind}-{i}.json")) for i in range(1, n + 1)]
        reg = sum(r["verdict"] == "regression" for r in runs)
        loads = [r["context"]["load_avg_mean"] for r in runs]
        per = {}
        for r in runs:
            for b in r["benchmarks"]:
                per.setdefault(b["name"], []).append(b)
        what = "false alarms" if kind == "same" else "detections"
        print(f"{metric:12s} {kind:5s}: {what} {reg}/{n}; load average mean {min(loads):.1f}-{max(loads):.1f}")
        for name, bs in per.items():
            ch = sorted(b["change_pct"] for b in bs)
            lo = sorted(b["ci_low_pct"] for b in bs)
            hi = sorted(b["ci_high_pct"] for b in bs)
            v = {}
            for b in bs:
                v[b["verdict"]] = v.get(b["verdict"], 0) + 1
            print(f"    {name}: change {ch[0]:+.2f}% .. {ch[-1]:+.2f}% (median {ch[len(ch)//2]:+.2f}%), "
                  f"interval low {lo[0]:+.2f}..{lo[-1]:+.2f}%, high {hi[0]:+.2f}..{hi[-1]:+.2f}%, "
                  f"confidence {bs[0]['confidence']*100:.1f}%, verdicts {v}")
PY
echo "end load $(cut -d' ' -f1-3 /proc/loadavg)"

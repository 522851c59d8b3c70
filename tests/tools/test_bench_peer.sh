#!/usr/bin/env bash
# tests/tools/test_bench_peer.sh - `sluice bench run --peer flink`, functional only (a small
# event count, no timing thresholds): Nexmark's TUMBLE window query over the same events runs
# in sluice (2 workers) and in Flink (tools/flink.sh, SqlRunner --bench; parallelism 2) in
# one invocation, both reading the events dealt into 2 part files; the JSON must hold both
# benchmarks, nexmark/tumble_stats/file and flink/nexmark/tumble_stats/file, with positive
# times and counts, every event read by both engines, no late row and the same number of
# window rows out; the table must show them side by side; `sluice bench compare` must read
# the file.
#
# Skips (77) when the Flink runner cannot be built (no JDK or Maven, or Maven Central out of
# reach on the first build); SLUICE_FLINK_REQUIRED=1 makes that a failure.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$src/tools/flink.sh" build > "$tmp/build.log" 2>&1; then
  cat "$tmp/build.log"
  if [ -n "${SLUICE_FLINK_REQUIRED:-}" ]; then
    echo "FAIL: the Flink runner could not be built"; exit 1
  fi
  echo "skip: the Flink runner could not be built (tools/flink.sh build)"; exit 77
fi

events=20000
SLUICE_FLINK_SH=$src/tools/flink.sh TMPDIR=$tmp "$bin" bench run nexmark/tumble_stats/file \
  --peer flink --events $events --workers 2 --reps 1 --warmup 0 --no-membw --json "$tmp/r.json" > "$tmp/table" \
  2> "$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then echo "FAIL: bench run --peer flink: exit $rc"; cat "$tmp/err"; exit 1; fi
cat "$tmp/table"

python3 - "$tmp/r.json" $events <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
events = int(sys.argv[2])
assert d["context"]["peer"] == "flink", d["context"].get("peer")
b = {x["name"]: x for x in d["benchmarks"]}
want = ["nexmark/tumble_stats/file", "flink/nexmark/tumble_stats/file"]
assert sorted(b) == sorted(want), sorted(b)
for n in want:
    x = b[n]
    assert x["run_name"] == n and x["run_type"] == "iteration" and x["time_unit"] == "ms", x
    for k in ("real_time", "cpu_time", "items_per_second", "events_per_second_per_core",
              "cores", "rows_out"):
        assert x[k] > 0, (n, k, x[k])
    assert x["rows_in"] == events, (n, x["rows_in"])
    assert x["late_rows"] == 0, (n, x["late_rows"])
    assert x["engine"] == n.split("/")[0].replace("nexmark", "sluice"), (n, x["engine"])
f = b["flink/nexmark/tumble_stats/file"]
for k in ("job_start_ms", "job_wall_ms", "job_cpu_ms", "jvm_wall_ms", "jvm_cpu_ms"):
    assert f[k] > 0, (k, f[k])
assert f["job_wall_ms"] >= f["real_time"], "the job's wall includes its run"
assert f["jvm_cpu_ms"] >= f["cpu_time"], "the JVM's CPU includes the run's"
assert b["nexmark/tumble_stats/file"]["rows_out"] == f["rows_out"], \
    ("rows out", b["nexmark/tumble_stats/file"]["rows_out"], f["rows_out"])
print("ok   JSON: both benchmarks, %d events each, %d rows out each" % (events, f["rows_out"]))
PY

fail=0
grep -q '^flink/nexmark/tumble_stats/file ' "$tmp/table" || { echo "FAIL: no Flink line in the table"; fail=1; }
grep -q '^sluice and Flink on the same file' "$tmp/table" ||
  { echo "FAIL: no side-by-side table"; fail=1; }
"$bin" bench compare "$tmp/r.json" "$tmp/r.json" > "$tmp/cmp" ||
  { echo "FAIL: bench compare of the file with itself"; cat "$tmp/cmp"; fail=1; }
grep -q 'flink/nexmark/tumble_stats/file' "$tmp/cmp" || { echo "FAIL: compare left Flink out"; fail=1; }
exit $fail

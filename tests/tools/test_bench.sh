#!/usr/bin/env bash
# tests/tools/test_bench.sh - `sluice bench` end to end, functional only (tiny event counts,
# no timing thresholds): every built-in workload runs once (generator, Kafka mock json and
# raw, YSB file) and reads all its events (joins of several views: once per view); each
# Nexmark workload's query equals its file in docs/examples/nexmark (`bench show`); a user
# SQL script runs with --set; the JSON is
# compared with itself (passes) and with a copy whose times are doubled (a regression,
# exit 1); plot writes an SVG; the instruction-count mode runs where valgrind or perf can;
# --checkpoint-interval takes checkpoints and reports them (fields only, no timing);
# bench/cluster.sh's help and a tiny run of it on the mock.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if "$@"; then :; else echo "FAIL: $*"; fail=1; fi; }

# one repetition under ASan (SLUICE_TEST_SMALL, tools/test.sh): the second repeats every path
# of the first; two in the other builds, which the JSON then must hold
reps=2
[ -n "${SLUICE_TEST_SMALL:-}" ] && reps=1
"$bin" bench run --events 2000 --reps $reps --warmup 0 --no-membw --json "$tmp/all.json" \
    > "$tmp/table" 2> "$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then echo "FAIL: bench run exit $rc"; cat "$tmp/err"; exit 1; fi
for w in $("$bin" bench list); do
  n=$(grep -c "\"name\": \"$w\"," "$tmp/all.json")
  [ "$n" -eq $reps ] || { echo "FAIL: $w has $n repetitions in the JSON"; fail=1; }
  grep -q "^$w " "$tmp/table" || { echo "FAIL: $w not in the table"; fail=1; }
done
check grep -q "no checkpoints" "$tmp/table"

# every Nexmark workload's query is its file in docs/examples/nexmark (comments and
# whitespace aside): `bench show` prints what runs, from the sink table on
norm() { sed -e 's/--.*$//' | tr -d ' \t\n' | sed -e 's/^.*\(CREATETABLEnexmark_\)/\1/'; }
nq=0
for q in q0 q1 q2 q3 q4 q5 q6 q7 q8 q9 q17 q18 q19 q20 q21 q22 q23; do
  got=$("$bin" bench show "nexmark/$q/gen" | norm)
  want=$(norm < "$src/docs/examples/nexmark/$q.sql")
  if [ -n "$want" ] && [ "$got" = "$want" ]; then nq=$((nq + 1)); else
    echo "FAIL: nexmark/$q/gen's query is not docs/examples/nexmark/$q.sql"; fail=1; fi
done
[ "$nq" -eq 17 ] || { echo "FAIL: $nq of 17 queries compared"; fail=1; }
"$bin" bench show ysb/file > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: bench show of a workload without a query is not exit 2"; fail=1; }
"$bin" bench show nexmark/nosuch/gen > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: bench show of an unknown workload is not exit 2"; fail=1; }

# --peer flink skips q6, which Flink refuses (FLINK-19059), and says so: no JVM starts
"$bin" bench run nexmark/q6/file --peer flink --events 1000 --reps 1 --warmup 0 --no-membw \
    --json "$tmp/p6.json" > /dev/null 2> "$tmp/p6.err" || { echo "FAIL: q6 --peer flink"; fail=1; }
check grep -q "nexmark/q6/file: not run in Flink: Flink refuses q6" "$tmp/p6.err"
check grep -q '"name": "nexmark/q6/file",' "$tmp/p6.json"
if grep -q '"name": "flink/' "$tmp/p6.json"; then echo "FAIL: q6 ran in Flink"; fail=1; fi

# a user script: the Nexmark repository's files, with a blackhole sink (q0)
ex=$src/docs/examples/nexmark
check "$bin" bench run "$ex/ddl_gen.sql" "$ex/ddl_views.sql" "$ex/q0.sql" --events 1000 \
    --reps 1 --warmup 0 --no-membw --quiet --json "$tmp/sql.json" --set TPS=1000 \
    --set EVENTS_NUM=3000 --set PERSON_PROPORTION=1 --set AUCTION_PROPORTION=3 \
    --set BID_PROPORTION=46 --set NEXMARK_TABLE=datagen
check grep -q '"name": "sql/q0"' "$tmp/sql.json"
check grep -q '"rows_in": 3000,' "$tmp/sql.json"

# the gate
"$bin" bench compare "$tmp/all.json" "$tmp/all.json" > "$tmp/cmp" || { echo "FAIL: self-compare"; cat "$tmp/cmp"; fail=1; }
python3 - "$tmp/all.json" "$tmp/slow.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for b in d["benchmarks"]:
    if b["run_type"] == "iteration":
        b["real_time"] *= 2
        b["cpu_time"] *= 2
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
"$bin" bench compare "$tmp/all.json" "$tmp/slow.json" --threshold 10 > "$tmp/cmp"
rc=$?
[ $rc -eq 1 ] && grep -q REGRESSION "$tmp/cmp" || { echo "FAIL: doubled times: exit $rc"; cat "$tmp/cmp"; fail=1; }
echo '{"context": {}, "benchmarks": [' > "$tmp/broken.json"
"$bin" bench compare "$tmp/all.json" "$tmp/broken.json" > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: malformed JSON is not exit 2"; fail=1; }

# the fields google-benchmark's compare.py reads, checked with Python's own JSON parser
python3 - "$tmp/all.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d["context"], dict)
for b in d["benchmarks"]:
    for k in ("name", "run_name", "run_type", "real_time", "cpu_time", "time_unit",
              "iterations", "repetitions"):
        assert k in b, (b["name"], k)
    assert b["time_unit"] in ("ns", "us", "ms", "s")
    if b["run_type"] == "aggregate":
        assert b["aggregate_name"] in ("mean", "median", "stddev", "cv"), b
    else:
        assert b["items_per_second"] > 0, b
        # every repetition read every event (a join of k views: k x 2000 rows, counted as
        # 2000 events; sluice bench fails the run otherwise)
        assert b["rows_in"] == 2000, b
        # window workloads report a window delay for every window they emitted; the
        # others report none
        windowed = "hop_count" in b["name"] or "tumble" in b["name"] or "ysb" in b["name"]
        # q5, q7, q8 join window aggregations: their windows are the aggregations' below
        # the join, which emits fewer rows (or more) than they
        joined = any("nexmark/%s/" % q in b["name"] for q in ("q5", "q7", "q8"))
        if windowed or joined:
            assert b["windows"] > 0 and (joined or b["windows"] <= b["rows_out"]), b
            assert 0 <= b["window_delay_p50_us"] <= b["window_delay_p99_us"] \
                <= b["window_delay_p999_us"], b
        else:
            assert "windows" not in b and "window_delay_p50_us" not in b, b
    assert "checkpoints" not in b, b  # no --checkpoint-interval: no checkpoint figures
PY
check grep -q "window delay after the watermark passed the end" "$tmp/table"

# checkpoints every 20 ms: a stateless and a window workload; every run commits epochs (at
# least the final one), reports them, and leaves no state directory behind.
mkdir "$tmp/state"
SLUICE_BENCH_DIR="$tmp/state" "$bin" bench run nexmark/q1/gen nexmark/tumble_stats/gen \
    --events 20000 --workers 2 --reps 2 --warmup 0 --no-membw --checkpoint-interval 20 \
    --json "$tmp/ck.json" > "$tmp/cktable" 2> "$tmp/ckerr" \
    || { echo "FAIL: bench run --checkpoint-interval"; cat "$tmp/ckerr"; fail=1; }
check grep -q "checkpoints every 20 ms" "$tmp/cktable"
check grep -q "checkpoints: .* per run (0 failed), duration p50" "$tmp/cktable"
[ -z "$(ls -A "$tmp/state")" ] || { echo "FAIL: state left behind: $(ls "$tmp/state")"; fail=1; }
python3 - "$tmp/ck.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
assert d["context"]["checkpoint_interval_ms"] == 20, d["context"]
for b in d["benchmarks"]:
    for k in ("checkpoints", "checkpoints_failed", "checkpoint_p50_ms", "checkpoint_p99_ms",
              "checkpoint_max_ms", "checkpoint_align_p50_ms", "checkpoint_state_bytes",
              "checkpoint_bytes"):
        assert k in b, (b["name"], k)
    if b["run_type"] == "iteration":
        assert b["rows_in"] == 20000 and b["items_per_second"] > 0, b
        assert b["checkpoints"] >= 1 and b["checkpoints_failed"] == 0, b
        assert 0 < b["checkpoint_p50_ms"] <= b["checkpoint_p99_ms"] <= b["checkpoint_max_ms"], b
        assert b["checkpoint_state_bytes"] > 0, b
PY

check "$bin" bench plot "$tmp/all.json" "$tmp/slow.json" -o "$tmp/chart.svg"
check grep -q "<svg" "$tmp/chart.svg"

# instruction counts: valgrind cannot run a sanitizer binary; skip that part there
if ldd "$bin" 2>/dev/null | grep -qE "lib(asan|tsan)"; then
  echo "skip: --instructions under a sanitizer"
elif command -v valgrind > /dev/null || command -v perf > /dev/null; then
  "$bin" bench run nexmark/q2/gen --events 500 --reps 1 --warmup 0 --no-membw --instructions \
      --json "$tmp/instr.json" > "$tmp/itable" 2>&1 || { echo "FAIL: --instructions"; cat "$tmp/itable"; fail=1; }
  check grep -q '"instructions_per_event":' "$tmp/instr.json"
fi

# bench/cluster.sh (one job over several processes, docs/benchmarks.md): its help, and one
# tiny run on `sluice kafka-mock` (1 x 2 against 2 x 1 workers); the script fails by itself
# when a process fails, the rows in are not the events or nothing crossed the channel
"$src/bench/cluster.sh" --help > "$tmp/chelp" || { echo "FAIL: bench/cluster.sh --help"; fail=1; }
check grep -q "^bench/cluster.sh - one keyed job" "$tmp/chelp"
"$src/bench/cluster.sh" --bin "$bin" --broker mock --events 5000 --reps 1 --query tumble \
    > "$tmp/cluster" 2>&1 || { echo "FAIL: bench/cluster.sh"; cat "$tmp/cluster"; fail=1; }
check grep -q "^mock   tumble  2x1 " "$tmp/cluster"
[ $fail -eq 0 ] && echo "ok: sluice bench"
exit $fail

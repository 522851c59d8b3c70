#!/usr/bin/env bash
# tests/tools/test_bench_ab.sh - `sluice bench ab`, functional only (no timing thresholds):
# the same binary twice on a tiny workload gives no regression, a table and well-formed JSON
# (checked with Python's parser); a NEW "build" that reports 1000 times the time (a wrapper
# that rewrites its child's JSON) is a REGRESSION with exit 1; usage errors exit 2; the
# instruction metric runs where valgrind is installed.
set -u
bin=${SLUICE_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
quick=(nexmark/q0/gen --events 2000 --reps 2 --child-reps 1 --warmup 0 --quiet)

# the same binary twice. Two pairs of 2000-event runs on a loaded machine can differ by far
# more than any sensible threshold, so a huge one keeps this test about the plumbing.
"$bin" bench ab "$bin" "$bin" "${quick[@]}" --threshold 500 --out "$tmp/ab.json" \
    > "$tmp/table" 2> "$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then echo "FAIL: same binary: exit $rc"; cat "$tmp/table" "$tmp/err"; fail=1; fi
grep -q '^nexmark/q0/gen ' "$tmp/table" || { echo "FAIL: no table row"; cat "$tmp/table"; fail=1; }
grep -q '^verdict: no regression' "$tmp/table" || { echo "FAIL: no verdict line"; fail=1; }
python3 - "$tmp/ab.json" <<'PY' || { echo "FAIL: JSON"; cat "$tmp/ab.json"; fail=1; }
import json, sys
d = json.load(open(sys.argv[1]))
c = d["context"]
assert c["metric"] == "wall" and c["pairs"] == 2 and c["order"] == "ABBA", c
assert c["events"] == 2000 and c["threshold_pct"] == 500, c
assert d["verdict"] == "pass", d["verdict"]
(b,) = d["benchmarks"]
assert b["name"] == "nexmark/q0/gen"
assert b["verdict"] in ("same", "inconclusive", "faster"), b["verdict"]
assert len(b["pairs"]) == 2
for p in b["pairs"]:
    assert p["base"] > 0 and p["new"] > 0 and abs(p["ratio"] - p["new"] / p["base"]) < 1e-9
assert b["ci_low_pct"] <= b["change_pct"] <= b["ci_high_pct"], b
assert 0.4 < b["confidence"] <= 1, b["confidence"]
PY

# a NEW binary whose figures are a thousand times BASE's: the whole interval lies beyond
# 100% (two single runs of a sanitizer build on a loaded machine can differ tenfold)
cat > "$tmp/slow.sh" <<SH
#!/usr/bin/env bash
"$bin" "\$@" || exit \$?
out=; prev=
for a in "\$@"; do [ "\$prev" = --json ] && out=\$a; prev=\$a; done
python3 - "\$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for b in d["benchmarks"]:
    b["real_time"] *= 1000
    b["cpu_time"] *= 1000
json.dump(d, open(sys.argv[1], "w"))
PY
SH
chmod +x "$tmp/slow.sh"
"$bin" bench ab "$bin" "$tmp/slow.sh" "${quick[@]}" --threshold 100 --out "$tmp/slow.json" \
    > "$tmp/table" 2> "$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'REGRESSION' "$tmp/table" ||
    { echo "FAIL: a thousand times slower: exit $rc"; cat "$tmp/table" "$tmp/err"; fail=1; }
grep -q '"verdict": "regression"' "$tmp/slow.json" || { echo "FAIL: JSON verdict"; fail=1; }

# usage errors: 2; --help: 0
usage() {
  "$bin" bench ab "$@" > /dev/null 2>&1
  local rc=$?
  [ $rc -eq 2 ] || { echo "FAIL: 'bench ab $*' exit $rc, not 2"; fail=1; }
}
usage
usage "$bin"
usage "$bin" "$tmp/no-such-binary"
usage "$bin" "$bin" --metric speed
usage "$bin" "$bin" --reps 0
usage "$bin" "$bin" --threshold -1
usage "$bin" "$bin" --events
usage "$bin" "$bin" --frobnicate 1
"$bin" bench ab "$bin" "$bin" no/such/workload --reps 1 --quiet > /dev/null 2>&1
rc=$?; [ $rc -eq 2 ] || { echo "FAIL: unknown workload: exit $rc, not 2"; fail=1; }
"$bin" bench ab --help | grep -q 'usage: sluice bench ab' || { echo "FAIL: --help"; fail=1; }

# the instruction metric (valgrind's callgrind), one pair of a tiny run; valgrind cannot run
# a sanitizer build
if ldd "$bin" | grep -q 'lib[at]san'; then
  echo "a sanitizer build: the instruction metric (valgrind) is not tested"
elif command -v valgrind > /dev/null; then
  "$bin" bench ab "$bin" "$bin" nexmark/q0/gen --metric instructions --events 1000 --reps 1 \
      --threshold 500 --quiet --out "$tmp/instr.json" > "$tmp/table" 2> "$tmp/err"
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: instructions: exit $rc"; cat "$tmp/table" "$tmp/err"; fail=1; }
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["context"]["metric"] == "instructions" and d["context"]["unit"] == "instructions"
p = d["benchmarks"][0]["pairs"][0]
assert p["base"] > 1000 and p["new"] > 1000, p
' "$tmp/instr.json" || { echo "FAIL: instructions JSON"; cat "$tmp/instr.json"; fail=1; }
else
  echo "valgrind not installed: the instruction metric is not tested"
fi
exit $fail

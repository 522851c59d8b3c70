#!/usr/bin/env bash
# tests/tools/test_bench_latency.sh - `sluice bench latency` against a real Kafka broker
# (tools/kafka.sh, KRaft mode) on a tiny load: a max-rate run of 2 000 records, then the
# floor and the pipeline at 1 % of the measured maximum (--load 0.01) for 1 s. Checks that the report is well-formed:
# every path received every record sent, the measured counts add up (no warm-up), the
# percentiles are ordered (p50 <= p99 <= p999 <= max), the JSON says the same. No timing
# is asserted. Then the floor workloads (librdkafka alone, `sluice bench run librdkafka/...`)
# on the same broker at 2 workers. Without a broker the test FAILS (it does not skip).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
tmp=$(mktemp -d)
kdir=
cleanup() {
  [ -n "$kdir" ] && "$src/tools/kafka.sh" stop --dir "$kdir" > /dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

# a cluster id that starts with '-' (one random id in 64 does): the storage tool once took
# it for an option and the broker did not start
out=$(SLUICE_KAFKA_CLUSTER_ID=-dashFirstClusterId0Aw "$src/tools/kafka.sh" start --kraft --owner $$) ||
  { echo "FAIL: no Kafka broker (tools/kafka.sh start --kraft failed: see above)"; exit 1; }
eval "$out"
kdir=$KAFKA_DIR

"$bin" bench latency --brokers "$BOOTSTRAP" --max-events 2000 --load 0.01 --seconds 1 \
  --warmup 0 --json "$tmp/lat.json" > "$tmp/out.txt" 2> "$tmp/err.txt" ||
  { rc=$?; cat "$tmp/err.txt"; bad "sluice bench latency exited with $rc"; exit 1; }
cat "$tmp/out.txt"

# rate = load * max_rate, both positive
awk '/^max_rate /{m=$2} /^rate /{r=$2} END{exit !(m>0 && r>0 && r<=m)}' "$tmp/out.txt" ||
  bad "max_rate / rate lines missing or inconsistent"
# three paths, each: sent > 0, received == sent == measured, p50 <= p99 <= p999 <= max
n=$(awk '$1=="kafka"||$1=="sluice"' "$tmp/out.txt" | wc -l)
[ "$n" -eq 4 ] || bad "expected 4 paths, got $n"
awk '$1=="kafka"||$1=="sluice" {
  k=NF-6; sent=$(k); recv=$(k+1); meas=$(k+2)
  if (!(sent>0 && recv==sent && meas==sent)) { print "counts: " $0; bad=1 }
  if (!($(k+3)<=$(k+4) && $(k+4)<=$(k+5) && $(k+5)<=$(k+6) && $(k+3)>=0)) { print "order: " $0; bad=1 }
} END{exit bad}' "$tmp/out.txt" || bad "a path's counts or percentiles are wrong"
python3 - "$tmp/lat.json" <<'PY' || bad "JSON malformed or inconsistent"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rate"] > 0 and d["max_rate"] >= d["rate"], d
assert [p["name"] for p in d["paths"]] == ["kafka consume", "kafka ack", "sluice to sink ack",
                                          "sluice to committed read"]
assert d["sink_guarantee"] == "at-least-once" and d["checkpoint_interval_ms"] == 0, d
for p in d["paths"]:
    assert p["sent"] > 0 and p["received"] == p["sent"] == p["measured"], p
    assert 0 <= p["p50_ms"] <= p["p99_ms"] <= p["p999_ms"] <= p["max_ms"], p
PY

# the floor workloads (librdkafka alone) on the same broker: every record consumed and
# every record acknowledged, with the broker's CPU reported beside
# exactly-once: the sink's transactions commit with checkpoints (every 300 ms); the
# read_committed reader gets every record, checkpoints were taken, and the run's topics
# (the transactions' marker topic too) are gone afterwards
"$bin" bench latency --brokers "$BOOTSTRAP" --rate 300 --seconds 1 --warmup 0 --no-floor \
  --sink-guarantee exactly-once --checkpoint-interval 300 --json "$tmp/eos.json" \
  > "$tmp/eos.txt" 2> "$tmp/eos.err" ||
  { rc=$?; cat "$tmp/eos.err"; bad "sluice bench latency --sink-guarantee exactly-once exited with $rc"; }
cat "$tmp/eos.txt"
python3 - "$tmp/eos.json" <<'PY' || bad "exactly-once JSON wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["sink_guarantee"] == "exactly-once" and d["checkpoint_interval_ms"] == 300, d
assert d["checkpoints"] >= 1 and 0 < d["checkpoint_p50_ms"] <= d["checkpoint_p99_ms"], d
assert [p["name"] for p in d["paths"]] == ["sluice to committed read"], d["paths"]
p = d["paths"][0]
assert p["sent"] > 0 and p["received"] == p["sent"] == p["measured"], p
PY
# (topic deletion is asynchronous in Kafka: metadata may list a deleted topic briefly)
for _ in $(seq 1 50); do
  left=$(kcat -b "$BOOTSTRAP" -L -X log_level=0 2>/dev/null | grep -c 'topic "sluice-latency')
  [ "$left" = 0 ] && break
  sleep 0.2
done
[ "$left" = 0 ] || bad "the runs left $left topics behind"

"$bin" bench run librdkafka/consume-json librdkafka/produce-raw --brokers "$BOOTSTRAP" \
  --broker-pid "$(cat "$kdir/broker.pid")" --events 3000 --workers 2 --reps 1 --warmup 0 \
  --no-membw --quiet --json "$tmp/floor.json" 2> "$tmp/floor.err" ||
  { rc=$?; cat "$tmp/floor.err"; bad "floor workloads exited with $rc"; }
python3 - "$tmp/floor.json" <<'PY' || bad "floor JSON wrong"
import json, sys
d = json.load(open(sys.argv[1]))
got = {b["name"]: b for b in d["benchmarks"]}
assert set(got) == {"librdkafka/consume-json", "librdkafka/produce-raw"}, got.keys()
for b in got.values():
    assert b["rows_in"] == b["rows_out"] == 3000, b
    assert b["events_per_second_per_core"] > 0 and b["broker_cpu_time_ms"] >= 0, b
PY
[ $fail -eq 0 ] && echo "PASS"
exit $fail

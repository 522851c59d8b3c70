#!/usr/bin/env bash
# tests/tools/test_metrics.sh - `sluice run --metrics-port 0` serves Prometheus metrics while
# the job runs (docs/metrics.md). The job (tests/sql/nexmark_paced.sql +
# tests/tools/metrics_job.sql, 2 workers, checkpoints in a state directory): a Kafka table
# read from `sluice kafka-mock` through a filter (price < 50) with 'sluice.bad-records' =
# 'skip', and a paced Nexmark generator into a TUMBLE window. kcat writes 10 records and a
# bad one, then 10 more between two scrapes. Every scrape is parsed by the Prometheus client
# library's parser (tests/tools/metrics_check.py) and must show: counters that grew and
# never went down, exactly 20 rows in and 8 out of the filtered pipeline, the bad record,
# consumer lag per partition coming down to 0, watermarks, busy time, checkpoint figures
# once an epoch committed, each window operator's state; GET of another path is 404; after
# the job ends nothing listens on the port any more. A second job, named by a file with a
# quote and a backslash and taking its port from SET 'sluice.metrics.port': its job label
# comes through the parser intact.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
command -v curl > /dev/null || { echo "SKIP: no curl (tools/setup.sh installs it)"; exit 77; }
# Debian's python3-prometheus-client is in Debian's python3, which a python3 earlier in
# PATH (pyenv, a venv) may not see
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import prometheus_client' 2> /dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "SKIP: no python3-prometheus-client (tools/setup.sh installs it)"; exit 77; }
check="$py $src/tests/tools/metrics_check.py"
tmp=$(mktemp -d)
mock=
run=
cleanup() {
  [ -n "$run" ] && kill "$run" 2> /dev/null && wait "$run" 2> /dev/null
  [ -n "$mock" ] && kill "$mock" 2> /dev/null && wait "$mock" 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$bin" kafka-mock --topic bids --partitions 2 > "$tmp/mock.out" 2>&1 &
mock=$!
for _ in $(seq 1 100); do [ -s "$tmp/mock.out" ] && break; sleep 0.1; done
bs=$(head -1 "$tmp/mock.out")
[ -n "$bs" ] || { echo "FAIL: kafka-mock printed no address"; exit 1; }
# prices 10 .. 100: 4 of each 10 pass the filter (price < 50)
for i in $(seq 1 10); do echo "{\"auction\": $i, \"price\": $((i * 10))}"; done > "$tmp/recs"
{ head -5 "$tmp/recs"; echo '{"auction": 11, "price": oops}'; tail -5 "$tmp/recs"; } > "$tmp/first"
kcat -P -b "$bs" -t bids -p 0 -l "$tmp/first" || { echo "FAIL: kcat"; exit 1; }

# waits until `metrics_check.py value` of a scrape says $3 for $1 {$2...}; leaves it in $tmp/s
port=
scrape() { curl -sf "http://127.0.0.1:$port/metrics" -o "$1"; }
wait_for() {
  local want=$1; shift
  for _ in $(seq 1 600); do
    if scrape "$tmp/s" && [ "$($check value "$tmp/s" "$@")" = "$want" ]; then return 0; fi
    kill -0 "$run" 2> /dev/null || return 1
    sleep 0.1
  done
  return 1
}
start_run() { # $1: the last SQL file; the rest: more options
  local sql=$1; shift
  "$bin" run "$src/tests/sql/nexmark_paced.sql" "$sql" --workers 2 --set TPS=2000 \
      --set EVENTS_NUM=0 --set BASE_TIME=1700000000000 --set BOOTSTRAP_SERVERS="$bs" \
      --set OUT="$tmp/out" "${mport[@]}" --quiet "$@" 2> "$tmp/err" &
  run=$!
  port=
  for _ in $(seq 1 300); do
    port=$(sed -n 's|^metrics: http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' "$tmp/err")
    [ -n "$port" ] && break
    kill -0 "$run" 2> /dev/null || break
    sleep 0.1
  done
}

mport=(--metrics-port 0)
start_run "$src/tests/tools/metrics_job.sql" --state-dir "$tmp/state" --job metrics \
    --checkpoint-interval 200
[ -n "$port" ] || { echo "FAIL: no 'metrics:' line"; cat "$tmp/err"; exit 1; }
echo "ok   serving on port $port"

# ---- the first scrape: the first 10 records read, an epoch committed ----
wait_for 10 sluice_source_records_total table=bids || bad "the first 10 records never counted"
wait_for 0 sluice_kafka_consumer_lag_records table=bids topic=bids partition=0 ||
  bad "the lag of partition 0 never came down to 0"
for _ in $(seq 1 600); do
  scrape "$tmp/s1" && [ "$($check value "$tmp/s1" sluice_checkpoints_total)" -ge 1 ] 2> /dev/null &&
    [ -n "$($check value "$tmp/s1" sluice_operator_state_bytes)" ] && break
  sleep 0.1
done
$check valid "$tmp/s1" || bad "the first scrape is not valid exposition text"
curl -sf -D "$tmp/headers" -o /dev/null "http://127.0.0.1:$port/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/headers" ||
  bad "Content-Type: $(grep -i content-type "$tmp/headers")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")
[ "$code" = 404 ] || bad "GET /other: $code, want 404"
grep -q '^# HELP sluice_source_records_total ' "$tmp/s1" || bad "no HELP line"
grep -q '^# TYPE sluice_checkpoint_duration_seconds summary$' "$tmp/s1" || bad "no summary"
v=$($check value "$tmp/s1" sluice_source_bad_records_total table=bids)
[ "$v" = 1 ] || bad "bad records of bids: '$v', want 1"
v=$($check value "$tmp/s1" sluice_checkpoints_total)
[ "${v:-0}" -ge 1 ] || bad "no checkpoint committed in the first scrape ($v)"
[ "$($check value "$tmp/s1" sluice_checkpoint_duration_seconds_count)" = "$v" ] ||
  bad "checkpoint duration count is not the checkpoint count"
[ -n "$($check value "$tmp/s1" sluice_checkpoint_epoch)" ] || bad "no epoch"
[ -n "$($check value "$tmp/s1" sluice_operator_state_bytes table=event_counts \
  operator=5:window-aggregate worker=0)" ] || bad "no window state of worker 0"
[ -n "$($check value "$tmp/s1" sluice_watermark_seconds worker=1)" ] || bad "no watermark"
[ -n "$($check value "$tmp/s1" sluice_kafka_high_watermark_offset partition=1)" ] ||
  bad "no high watermark of partition 1"
echo "ok   first scrape: $($check value "$tmp/s1" sluice_checkpoints_total) checkpoints, 1 bad record"

# ---- 10 more records, then the second scrape ----
kcat -P -b "$bs" -t bids -p 1 -l "$tmp/recs" || bad "kcat"
wait_for 20 sluice_source_records_total table=bids || bad "the next 10 records never counted"
wait_for 8 sluice_sink_records_total table=cheap_bids || bad "cheap_bids never got 8 rows"
wait_for 0 sluice_kafka_consumer_lag_records table=bids topic=bids partition=1 ||
  bad "the lag of partition 1 never came down to 0"
scrape "$tmp/s2" || bad "the second scrape"
$check valid "$tmp/s2" || bad "the second scrape is not valid exposition text"
$check grows "$tmp/s1" "$tmp/s2" || bad "a counter went down"
in1=$($check value "$tmp/s1" sluice_source_records_total table=datagen)
in2=$($check value "$tmp/s2" sluice_source_records_total table=datagen)
[ "$in2" -gt "$in1" ] || bad "datagen rows did not grow: $in1 -> $in2"
b1=$($check value "$tmp/s1" sluice_worker_busy_seconds_total)
b2=$($check value "$tmp/s2" sluice_worker_busy_seconds_total)
$py -c "import sys; sys.exit(not 0 < $b1 < $b2)" || bad "busy time $b1 -> $b2"
rin=$($check value "$tmp/s2" sluice_source_records_total table=bids)
rout=$($check value "$tmp/s2" sluice_sink_records_total table=cheap_bids)
[ "$rin" = 20 ] && [ "$rout" = 8 ] || bad "bids: $rin in, $rout out; want 20 and 8"
[ "$($check value "$tmp/s2" sluice_source_bad_records_total)" = 1 ] || bad "bad records != 1"
bin2=$($check value "$tmp/s2" sluice_source_bytes_total table=bids)
want_bytes=$(($(wc -c < "$tmp/first") + $(wc -c < "$tmp/recs") - 11 - 10)) # no newlines
[ "$bin2" = "$want_bytes" ] || bad "bids bytes: $bin2, want $want_bytes"
[ "$($check value "$tmp/s2" sluice_sink_bytes_total table=cheap_bids)" -gt 0 ] ||
  bad "no sink bytes"
echo "ok   second scrape: datagen $in1 -> $in2 rows, bids $rin in / $rout out, counters grew"

kill -INT "$run"
wait "$run"
rc=$?
run=
[ $rc -eq 0 ] || { bad "the run exited $rc"; cat "$tmp/err"; }
echo "ok   stopped (exit $rc)"

# ---- label escaping through the real parser: a job named by a file with " and \; the
# port from the SQL setting instead of the flag ----
weird="$tmp/q\"uo\\te.sql"
{ echo "SET 'sluice.metrics.port' = '0';"; cat "$src/tests/tools/metrics_job.sql"; } > "$weird"
mport=()
start_run "$weird"
[ -n "$port" ] || { bad "no 'metrics:' line for the second job"; cat "$tmp/err"; }
if [ -n "$port" ]; then
  wait_for 20 sluice_source_records_total table=bids || bad "the second job did not read the 20 records"
  grep -qF 'job="q\"uo\\te"' "$tmp/s" || bad "the job label is not escaped"
  [ "$($check label "$tmp/s" sluice_workers job)" = 'q"uo\te' ] ||
    bad "the parser reads the job label as '$($check label "$tmp/s" sluice_workers job)'"
  kill -INT "$run"
  wait "$run"
  run=
  echo "ok   job label 'q\"uo\\te' escaped and read back; port from SET 'sluice.metrics.port'"
fi
exit $fail

#!/usr/bin/env bash
# tests/sql/test_kafka_pipeline.sh - the Nexmark repository's ddl_kafka.sql, unchanged, over
# real Kafka protocol: `sluice kafka-mock` runs as its own process, `sluice gen` writes the
# events into its topic, `sluice run ddl_kafka.sql ddl_views.sql q2_print.sql` (q2 with a
# print sink) reads them back; its rows must be exactly the reference's, at 1 and 2
# workers. ddl_kafka.sql's source is unbounded, so the run is stopped with SIGINT once the
# rows are in, and must then exit cleanly.
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
ex=$src/docs/examples/nexmark
. "$src/tests/sql/mock.sh" # $tmp, sl_mock_start
events=20000
base=1700000000000

sl_mock_start --topic nexmark --partitions 3

"$bin" gen nexmark --events $events --base-time $base --rate 1000 --topic nexmark \
    --brokers "$bs" || { echo "FAIL: sluice gen to Kafka"; exit 1; }
"$bin" gen nexmark --events $events --base-time $base --rate 1000 --out "$tmp/events.json"
sl_reference q2 "$tmp/events.json" > "$tmp/want"
want=$(wc -l < "$tmp/want")

fail=0
for w in 1 2; do
  "$bin" run "$ex/ddl_kafka.sql" "$ex/ddl_views.sql" "$here/q2_print.sql" --workers $w \
      --set BOOTSTRAP_SERVERS="$bs" --set NEXMARK_TABLE=kafka > "$tmp/out" 2> "$tmp/err" &
  run=$!
  for _ in $(seq 1 300); do
    [ "$(wc -l < "$tmp/out")" -ge "$want" ] && break
    kill -0 $run 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.5 # anything beyond the expected rows would show up now
  kill -INT $run 2>/dev/null
  wait $run
  rc=$?
  # "1> +I[1230, 327232]" -> "1230,327232"
  sed -e 's/^[0-9]*> //' -e 's/^+I\[//' -e 's/\]$//' -e 's/, /,/g' "$tmp/out" | LC_ALL=C sort > "$tmp/got"
  if [ $rc -eq 0 ] && cmp -s "$tmp/got" "$tmp/want" && grep -q "stopped" "$tmp/err"; then
    echo "ok   ddl_kafka + q2 workers=$w ($want rows)"
  else
    echo "FAIL ddl_kafka + q2 workers=$w: exit $rc, $(wc -l < "$tmp/got") rows, want $want"
    diff "$tmp/got" "$tmp/want" | head -5
    cat "$tmp/err"
    fail=1
  fi
done
exit $fail

#!/usr/bin/env bash
# tests/sql/test_nexmark_debezium.sh - issue #12's Nexmark queries with their blackhole sink
# swapped for Kafka + 'format' = 'debezium-json' (issue #12, "Acceptance"): q3, q4, q5, q6,
# q7, q8, q9, q17, q18, q19, q20 and q23, the Nexmark repository's files
# (docs/examples/nexmark) otherwise unchanged, over ddl_views.sql and a file of generated
# events (nexmark_fs.sql). Each file runs
#   - once with its sink swapped for print ('print-identifier' = the query): the reference,
#     the final state of that changelog by tests/sql/changelog.py. Those print runs are what
#     tests/sql/test_flink_oracle.sh compares with Apache Flink's (q3-q5, q7-q9, q17-q20; q6
#     with tests/sql/test_over_q6.sh's independent reference);
#   - at each worker count with its sink swapped for a kafka table of debezium-json values
#     (a topic of its own, 16 partitions, 'sink.partitioner' = 'round-robin', so that the -U
#     and +U of one update land in different partitions) on `sluice kafka-mock`; kcat reads
#     the whole topic and tests/sql/debezium_state.py folds its envelopes into a final state
#     written as the print connector writes rows.
# The two states must be equal, row for row, and not empty. 20,000 events (1000 per second of
# event time); q23 over 50,000 (at 20,000 no bidder has sold anything yet and its result is
# empty; at 50,000 it has 49 rows), its print run's state also equal to
# tests/sql/q23_reference.py's (the oracle has no rows of q23 to compare). Workers 1, 2 and 4 (WORKERS); under a sanitizer 2 only
# (SLUICE_TEST_SMALL, tools/test.sh's ASan step: the same paths).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
ex=$src/docs/examples/nexmark
. "$here/mock.sh" # $tmp, sl_mock_start -> $bs
fail=0
queries="q3 q4 q5 q6 q7 q8 q9 q17 q18 q19 q20 q23"
workers=${WORKERS:-1 2 4}
[ -n "${SLUICE_TEST_SMALL:-}" ] && workers=2
command -v kcat > /dev/null || { echo "FAIL: kcat is not installed (tools/setup.sh installs it)"; exit 1; }

topics=()
for q in $queries; do for w in $workers; do topics+=(--topic "$q-w$w"); done; done
sl_mock_start --partitions 16 "${topics[@]}"

base=1700000000000
"$bin" gen nexmark --events 20000 --base-time $base --rate 1000 --out "$tmp/ev20k.json" &&
  "$bin" gen nexmark --events 50000 --base-time $base --rate 1000 --out "$tmp/ev50k.json" ||
  { echo "FAIL: sluice gen"; exit 1; }

for q in $queries; do
  events=$tmp/ev20k.json
  [ "$q" = q23 ] && events=$tmp/ev50k.json
  sets=(--set NEXMARK_EVENTS="$events" --set NEXMARK_TABLE=nexmark_fs)
  # the reference: the print changelog's final state
  sed "s/'connector' = 'blackhole'/'connector' = 'print', 'print-identifier' = '$q'/" \
    "$ex/$q.sql" > "$tmp/$q-print.sql"
  if ! grep -q "'print-identifier' = '$q'" "$tmp/$q-print.sql"; then
    echo "FAIL $q: $ex/$q.sql has no blackhole sink to swap"; fail=1; continue
  fi
  if ! "$bin" run "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$tmp/$q-print.sql" "${sets[@]}" \
    --workers 2 > "$tmp/$q-print.out" 2> "$tmp/$q-print.err"; then
    echo "FAIL $q: the print run failed"; cat "$tmp/$q-print.err"; fail=1; continue
  fi
  if ! python3 "$here/changelog.py" --ident "$q" "$tmp/$q-print.out" > "$tmp/$q.want"; then
    echo "FAIL $q: the print changelog does not add up"; fail=1; continue
  fi
  if [ ! -s "$tmp/$q.want" ]; then
    echo "FAIL $q: the reference state is empty (the test would prove nothing)"; fail=1; continue
  fi
  # q23 is in none of the oracle's comparisons (empty at its 20,000 events): its print run
  # against tests/sql/q23_reference.py, an independent computation of the three-way join
  if [ "$q" = q23 ]; then
    python3 "$here/q23_reference.py" "$events" > "$tmp/q23.ref" || { echo "FAIL: q23_reference.py"; fail=1; }
    if cmp -s "$tmp/q23.ref" "$tmp/$q.want"; then
      echo "ok   q23: the print run's $(wc -l < "$tmp/$q.want") rows are q23_reference.py's"
    else
      echo "FAIL q23: the print run has $(wc -l < "$tmp/$q.want") rows, q23_reference.py $(wc -l < "$tmp/q23.ref")"
      diff "$tmp/q23.ref" "$tmp/$q.want" | head -4
      fail=1
    fi
  fi
  for w in $workers; do
    t=$q-w$w
    sed "s|'connector' = 'blackhole'|'connector' = 'kafka', 'topic' = '$t', 'properties.bootstrap.servers' = '$bs', 'format' = 'debezium-json', 'sink.partitioner' = 'round-robin'|" \
      "$ex/$q.sql" > "$tmp/$t.sql"
    if ! "$bin" run "$here/nexmark_fs.sql" "$ex/ddl_views.sql" "$tmp/$t.sql" "${sets[@]}" \
      --workers "$w" > "$tmp/$t.out" 2> "$tmp/$t.err"; then
      echo "FAIL $t: the kafka run failed"; cat "$tmp/$t.err"; fail=1; continue
    fi
    # (the mock holds an empty fetch for fetch.wait.max.ms: kcat's 500 ms, per partition)
    if ! kcat -C -b "$bs" -t "$t" -e -J -q -X fetch.wait.max.ms=5 > "$tmp/$t.kcat" \
      2> "$tmp/$t.kcat.err"; then
      echo "FAIL $t: kcat could not read the topic"; cat "$tmp/$t.kcat.err"; fail=1; continue
    fi
    if ! python3 "$here/debezium_state.py" "$tmp/$t.kcat" > "$tmp/$t.got"; then
      echo "FAIL $t: the topic's changelog does not add up"; fail=1; continue
    fi
    if cmp -s "$tmp/$q.want" "$tmp/$t.got"; then
      echo "ok   $t: $(wc -l < "$tmp/$t.kcat") debezium-json records fold to the print run's $(wc -l < "$tmp/$q.want") rows"
    else
      echo "FAIL $t: the topic folds to $(wc -l < "$tmp/$t.got") rows, the print run to $(wc -l < "$tmp/$q.want")"
      diff "$tmp/$q.want" "$tmp/$t.got" | head -6
      fail=1
    fi
  done
done
exit $fail

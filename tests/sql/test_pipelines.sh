#!/usr/bin/env bash
# tests/sql/test_pipelines.sh - end-to-end: SQL pipelines run by `sluice run` produce exactly
# the rows that tests/sql/reference.py computes, independently of sluice, from the same
# generated events - at 1, 2 and 4 workers (and, since ctest runs this in every build, at
# batch capacity 2048 and 2, and under ASan/UBSan). The nexmark source cuts its stream into
# one split per worker as Flink's does at that parallelism, so the reference reads the
# events of `sluice gen nexmark --splits W` for W workers; the same queries also run with
# 'sluice.rng' = 'per-event', whose events are the same at every worker count.
#
# q0_fs.sql, q1_fs.sql and q2_fs.sql are the Nexmark repository's q0-q2 (Apache License 2.0)
# with a filesystem sink in place of the blackhole one; the unchanged files run too, and
# their row counts are checked. nexmark_gen.sql is ddl_gen.sql with a fixed base time.
#
# YSB runs from the file and from Kafka (`sluice kafka-mock`, one topic per format: json,
# csv, raw) through the same SQL - ysb_fs.sql with only the events table's connector
# options swapped - so the decoders' projection pushdown (the query reads 3 of the 7 event
# columns) is checked end to end in every format against the same reference rows.
#
# PIPELINES_WORKERS (default "1 2 4"): the worker counts to run at. tools/test.sh runs all
# three in the release and cap2 builds, 2 alone under ASan (every operator and the exchange
# once, at 8 times the cost of a release run) and 2 and 4 under TSan (where threads meet);
# docs/testing.md, "Time budget".
set -u
workers=${PIPELINES_WORKERS:-1 2 4}
for w in $workers; do
  case $w in 1 | 2 | 4) ;; *) echo "FAIL: PIPELINES_WORKERS='$workers': 1, 2 or 4"; exit 1 ;; esac
done
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$here/reference.sh" # sl_reference: reference.py's rows, computed once per input
ex=$src/docs/examples/nexmark
. "$src/tests/sql/mock.sh" # $tmp, sl_mock_start
fail=0
events=20000
base=1700000000000
rate=1000  # events per second of event time: 20 s of events, several windows

for w in 1 2 4; do # events-2.json also for the unchanged files at the end
  "$bin" gen nexmark --events $events --base-time $base --rate $rate --splits $w \
      --out "$tmp/events-$w.json" || exit 1
done
"$bin" gen nexmark --events $events --base-time $base --rate $rate --rng per-event \
    --out "$tmp/events-pe.json" || exit 1
sed "s/'sluice.base-time' = '\${BASE_TIME}'/&, 'sluice.rng' = 'per-event'/" "$here/nexmark_gen.sql" \
    > "$tmp/nexmark_gen_pe.sql"
grep -q "'sluice.rng' = 'per-event'" "$tmp/nexmark_gen_pe.sql" ||
  { echo "FAIL: nexmark_gen.sql's WITH options are not where this test expects"; exit 1; }
"$bin" gen ysb --events $events --base-time $base --rate $rate --out "$tmp/ysb.json" \
    --campaigns-out "$tmp/campaigns.csv" || exit 1

common=(--set TPS=$rate --set EVENTS_NUM=$events --set BASE_TIME=$base --set NEXMARK_TABLE=datagen
        --quiet)

check() { # name, reference query, workers, events file, sluice run arguments...
  local name=$1 query=$2 workers=$3 events=$4; shift 4
  local out="$tmp/out-$name-$workers"
  rm -rf "$out"
  if ! "$bin" run "$@" --workers "$workers" --set OUT="$out" > "$tmp/log" 2>&1; then
    echo "FAIL $name workers=$workers: sluice run failed"; cat "$tmp/log"; fail=1; return
  fi
  cat "$out"/part-* 2>/dev/null | LC_ALL=C sort > "$tmp/got"
  if [ "$query" = ysb ]; then
    sl_reference ysb "$tmp/ysb.json" "$tmp/campaigns.csv" > "$tmp/want"
  else
    sl_reference "$query" "$events" > "$tmp/want"
  fi
  if cmp -s "$tmp/got" "$tmp/want" && [ -s "$tmp/want" ]; then
    echo "ok   $name workers=$workers ($(wc -l < "$tmp/want") rows)"
  else
    echo "FAIL $name workers=$workers: $(wc -l < "$tmp/got") rows, want $(wc -l < "$tmp/want")"
    diff "$tmp/got" "$tmp/want" | head -10
    fail=1
  fi
}

# YSB from Kafka: ysb_fs.sql with the events table reading topic ysb-FORMAT instead
sl_mock_start --partitions 3 --topic ysb-json --topic ysb-csv --topic ysb-raw
cols="user_id VARCHAR, page_id VARCHAR, ad_id VARCHAR, ad_type VARCHAR, event_type VARCHAR,
  event_time BIGINT, ip_address VARCHAR"
for f in json csv raw; do
  cat > "$tmp/load-$f.sql" <<SQL
CREATE TABLE ysb_file ($cols) WITH ('connector' = 'filesystem', 'path' = '$tmp/ysb.json',
  'format' = 'json');
CREATE TABLE ysb_topic ($cols) WITH ('connector' = 'kafka', 'topic' = 'ysb-$f',
  'format' = '$f', 'properties.bootstrap.servers' = '$bs', 'sink.partitioner' = 'round-robin');
INSERT INTO ysb_topic SELECT * FROM ysb_file;
SQL
  "$bin" run "$tmp/load-$f.sql" --workers 2 --quiet > "$tmp/log" 2>&1 ||
    { echo "FAIL: loading topic ysb-$f"; cat "$tmp/log"; exit 1; }
  python3 - "$here/ysb_fs.sql" "$tmp/ysb_kafka_$f.sql" "$f" <<'PY' || exit 1
import sys
src, dst, fmt = sys.argv[1:4]
sql = open(src).read()
old = "'connector' = 'filesystem',\n  'path' = '${EVENTS}',\n  'format' = 'json'"
new = ("'connector' = 'kafka', 'topic' = 'ysb-%s', 'format' = '%s',\n"
       "  'properties.bootstrap.servers' = '${BROKERS}', 'scan.bounded.mode' = 'latest-offset'"
       % (fmt, fmt))
if sql.count(old) != 1:
    sys.exit("ysb_fs.sql: the events table's WITH options are not where this test expects")
open(dst, "w").write(sql.replace(old, new))
PY
done

for w in $workers; do
  for rng in splittable per-event; do
    if [ $rng = splittable ]; then ev="$tmp/events-$w.json" gen="$here/nexmark_gen.sql" sfx=
    else ev="$tmp/events-pe.json" gen="$tmp/nexmark_gen_pe.sql" sfx=_pe; fi
    check q0$sfx q0 $w "$ev" "$gen" "$ex/ddl_views.sql" "$here/q0_fs.sql" "${common[@]}"
    check q1$sfx q1 $w "$ev" "$gen" "$ex/ddl_views.sql" "$here/q1_fs.sql" "${common[@]}"
    check q2$sfx q2 $w "$ev" "$gen" "$ex/ddl_views.sql" "$here/q2_fs.sql" "${common[@]}"
    check tumble_stats$sfx tumble_stats $w "$ev" "$gen" "$ex/ddl_views.sql" \
        "$here/tumble_stats_fs.sql" "${common[@]}"
    check hop_count$sfx hop_count $w "$ev" "$gen" "$ex/ddl_views.sql" \
        "$here/hop_count_fs.sql" "${common[@]}"
    if [ $rng = splittable ]; then # DISTINCT and FILTER aggregates (one rng is enough)
      check q15_window q15_window $w "$ev" "$gen" "$ex/ddl_views.sql" \
          "$here/q15_window_fs.sql" "${common[@]}"
      check q16_window q16_window $w "$ev" "$gen" "$ex/ddl_views.sql" \
          "$here/q16_window_fs.sql" "${common[@]}"
    fi
  done
  # SESSION (q11, session) and CUMULATE windows: one event stream is enough
  for q in q11 session cumulate; do
    check $q $q $w "$tmp/events-$w.json" "$here/nexmark_gen.sql" "$ex/ddl_views.sql" \
        "$here/${q}_fs.sql" "${common[@]}"
  done
  check ysb ysb $w - "$here/ysb_fs.sql" --set EVENTS="$tmp/ysb.json" \
      --set CAMPAIGNS="$tmp/campaigns.csv" --quiet
  # the events file in byte-range splits over the workers, cut elsewhere at each count
  check ysb_split ysb $w - "$here/ysb_fs_split.sql" --set EVENTS="$tmp/ysb.json" \
      --set CAMPAIGNS="$tmp/campaigns.csv" --set SPLIT_SIZE=64kb --quiet
  for f in json csv raw; do
    check ysb_kafka_$f ysb $w - "$tmp/ysb_kafka_$f.sql" --set BROKERS="$bs" \
        --set CAMPAIGNS="$tmp/campaigns.csv" --quiet
  done
done

# q13 (processing-time lookup join on mod(auction, 10000), Flink's legacy filesystem
# options) against the reference; q12 (processing-time TUMBLE): which 10 s window of the
# wall clock a bid falls into depends on when it was read, so what is checked is each
# bidder's count summed over its windows (every bid counted once: at the end of the input
# every open window fires), and that every window is 10 s long and aligned.
mkdir -p "$tmp/flink/data"
python3 -c 'print("\n".join("%d,%d" % (i, i) for i in range(10000)))' > "$tmp/flink/data/side_input.txt"
for w in $workers; do
  check q13 q13 $w "$tmp/events-$w.json" "$here/nexmark_gen.sql" "$ex/ddl_views.sql" \
      "$here/q13_fs.sql" "${common[@]}" --set FLINK_HOME="$tmp/flink"
  out="$tmp/out-q12-$w"
  if ! "$bin" run "$here/nexmark_gen.sql" "$ex/ddl_views.sql" "$here/q12_fs.sql" "${common[@]}" \
       --workers $w --set OUT="$out" > "$tmp/log" 2>&1; then
    echo "FAIL q12 workers=$w: sluice run failed"; cat "$tmp/log"; fail=1; continue
  fi
  python3 - "$out" > "$tmp/got" <<'PY' || { echo "FAIL q12 workers=$w: bad windows"; fail=1; }
import csv, glob, sys
from collections import defaultdict
from datetime import datetime
tot = defaultdict(int)
def ms(t):
    return datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f").timestamp() * 1000
for f in glob.glob(sys.argv[1] + "/part-*"):
    for bidder, n, start, end in csv.reader(open(f)):
        if ms(end) - ms(start) != 10000 or round(ms(start)) % 10000:
            sys.exit("window %s - %s is not a 10 s window" % (start, end))
        tot[bidder] += int(n)
for bidder, n in tot.items():
    print("%s,%d" % (bidder, n))
PY
  LC_ALL=C sort -o "$tmp/got" "$tmp/got"
  sl_reference q12 "$tmp/events-$w.json" > "$tmp/want"
  if cmp -s "$tmp/got" "$tmp/want" && [ -s "$tmp/want" ]; then
    echo "ok   q12 workers=$w ($(wc -l < "$tmp/want") bidders, counts summed over windows)"
  else
    echo "FAIL q12 workers=$w: per-bidder totals differ from the reference"
    diff "$tmp/got" "$tmp/want" | head -10; fail=1
  fi
done

# the Nexmark repository's files, unchanged: rows out as the reference counts them
for q in q0 q1 q2; do
  want=$(sl_reference $q "$tmp/events-2.json" | wc -l)
  if ! "$bin" run "$ex/ddl_gen.sql" "$ex/ddl_views.sql" "$ex/$q.sql" --workers 2 \
       --set TPS=10000000 --set EVENTS_NUM=$events --set PERSON_PROPORTION=1 \
       --set AUCTION_PROPORTION=3 --set BID_PROPORTION=46 --set NEXMARK_TABLE=datagen \
       > "$tmp/log" 2>&1; then
    echo "FAIL unchanged $q: sluice run failed"; cat "$tmp/log"; fail=1; continue
  fi
  got=$(sed -n 's/.* \([0-9]*\) rows out.*/\1/p' "$tmp/log")
  if [ "$got" = "$want" ]; then echo "ok   unchanged $q ($got rows)"; else
    echo "FAIL unchanged $q: $got rows out, want $want"; cat "$tmp/log"; fail=1; fi
done
exit $fail

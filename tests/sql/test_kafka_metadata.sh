#!/usr/bin/env bash
# tests/sql/test_kafka_metadata.sh - Kafka metadata columns through whole jobs: an INSERT
# into a table with VIRTUAL metadata columns writes the persisted columns (the VIRTUAL ones
# are read only and not in the query), its 'timestamp' column becomes each record's
# timestamp (NULL: the produce time), and no metadata column lands in the record's value;
# kcat (an independent client) reads the records, and a second job reads them back with
# every metadata column. Through `sluice kafka-mock` (2 partitions, round-robin).
set -u
bin=${SLUICE_BIN:?}
src=${SLUICE_SOURCE_DIR:?}
here=$src/tests/sql
. "$src/tests/sql/mock.sh" # $tmp, sl_mock_start
fail() { echo "FAIL: $*"; exit 1; }

sl_mock_start --topic meta --partitions 2

printf '%s\n' '1,one,2024-01-01 00:00:01.000' '2,two,2024-01-01 00:00:02.500' \
  '3,three,' '4,four,1999-12-31 23:59:59.999' > "$tmp/in.csv"
start_ms=$(($(date +%s) * 1000 - 1000))
"$bin" run "$here/kafka_meta_write.sql" --set IN="$tmp/in.csv" --set BS="$bs" \
  --set TOPIC=meta 2> "$tmp/w.err" || { cat "$tmp/w.err"; fail "the writing job"; }

# kcat: partition, timestamp and value of every record; round-robin puts rows 1 and 3 in
# one partition, 2 and 4 in the other, in order
kcat -C -b "$bs" -t meta -e -q -f '%p %T %s\n' > "$tmp/kcat" 2> "$tmp/kcat.err" ||
  { cat "$tmp/kcat.err"; fail "kcat"; }
[ "$(wc -l < "$tmp/kcat")" = 4 ] || { cat "$tmp/kcat"; fail "kcat read $(wc -l < "$tmp/kcat") records, not 4"; }
check_rec() { # value, timestamp ("now": at or after the run's start)
  line=$(grep -F " $1" "$tmp/kcat") || fail "no record $1 (kcat: $(cat "$tmp/kcat"))"
  ts=$(echo "$line" | cut -d' ' -f2)
  if [ "$2" = now ]; then
    [ "$ts" -ge "$start_ms" ] || fail "record $1: timestamp $ts, not the produce time"
  else
    [ "$ts" = "$2" ] || fail "record $1: timestamp $ts, not $2"
  fi
}
check_rec '{"a":1,"b":"one"}' 1704067201000
check_rec '{"a":2,"b":"two"}' 1704067202500
check_rec '{"a":3,"b":"three"}' now
check_rec '{"a":4,"b":"four"}' 946684799999
p1=$(grep -F '"a":1' "$tmp/kcat" | cut -d' ' -f1)
p3=$(grep -F '"a":3' "$tmp/kcat" | cut -d' ' -f1)
p2=$(grep -F '"a":2' "$tmp/kcat" | cut -d' ' -f1)
[ "$p1" = "$p3" ] && [ "$p1" != "$p2" ] || fail "round-robin partitions: $(cat "$tmp/kcat")"

"$bin" run "$here/kafka_meta_read.sql" --set OUT="$tmp/out" --set BS="$bs" \
  --set TOPIC=meta 2> "$tmp/r.err" || { cat "$tmp/r.err"; fail "the reading job"; }
cat "$tmp"/out/* | LC_ALL=C sort > "$tmp/got"
ts3=$(grep -F '"a":3' "$tmp/kcat" | cut -d' ' -f2)
ts3_text=$(date -u -d "@$((ts3 / 1000))" '+%Y-%m-%d %H:%M:%S').$(printf '%03d' $((ts3 % 1000)))
{
  echo "1,one,2024-01-01 00:00:01.000,$p1,0,meta"
  echo "2,two,2024-01-01 00:00:02.500,$p2,0,meta"
  echo "3,three,$ts3_text,$p1,1,meta"
  echo "4,four,1999-12-31 23:59:59.999,$p2,1,meta"
} > "$tmp/want"
diff "$tmp/want" "$tmp/got" || fail "the rows read back (want, got above)"
echo "ok: VIRTUAL metadata columns not written, 'timestamp' written and read back"
